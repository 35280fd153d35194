"""Where the demo county is: settlements around Northampton, its lots, names and streets.

Coordinates are approximate town centres; people are scattered around them.
"""
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Settlement:
    """A town or village: centre, spread of homes in metres, postcode district, lot."""

    name: str
    lat: float
    lon: float
    spread_m: float
    districts: tuple[str, ...]
    area: str
    weight: float  # share of the county's people


AREAS = ("Northampton Town", "North and Rural", "Daventry and West",
         "Wellingborough and East", "Towcester and South")

SETTLEMENTS = (
    Settlement("Northampton", 52.2370, -0.8970, 1400, ("NN1",), AREAS[0], 0.12),
    Settlement("Kingsthorpe", 52.2620, -0.9010, 900, ("NN2",), AREAS[0], 0.09),
    Settlement("Weston Favell", 52.2480, -0.8500, 1100, ("NN3",), AREAS[0], 0.10),
    Settlement("Far Cotton", 52.2180, -0.8950, 800, ("NN4",), AREAS[0], 0.07),
    Settlement("Wootton", 52.2030, -0.8780, 900, ("NN4",), AREAS[0], 0.05),
    Settlement("Duston", 52.2420, -0.9420, 1000, ("NN5",), AREAS[0], 0.08),
    Settlement("Moulton", 52.2880, -0.8560, 600, ("NN3",), AREAS[1], 0.04),
    Settlement("Brixworth", 52.3300, -0.9050, 600, ("NN6",), AREAS[1], 0.04),
    Settlement("Long Buckby", 52.3030, -1.0780, 600, ("NN6",), AREAS[1], 0.03),
    Settlement("Daventry", 52.2570, -1.1620, 1200, ("NN11",), AREAS[2], 0.09),
    Settlement("Bugbrooke", 52.2100, -1.0130, 500, ("NN7",), AREAS[2], 0.03),
    Settlement("Wellingborough", 52.3020, -0.6940, 1300, ("NN8",), AREAS[3], 0.12),
    Settlement("Earls Barton", 52.2640, -0.7520, 600, ("NN6",), AREAS[3], 0.04),
    Settlement("Towcester", 52.1330, -0.9900, 800, ("NN12",), AREAS[4], 0.07),
    Settlement("Roade", 52.1600, -0.8950, 500, ("NN7",), AREAS[4], 0.03),
)

STREETS = ("High Street", "Church Lane", "Station Road", "Park Avenue", "Mill Lane",
           "Victoria Road", "The Green", "Manor Close", "Orchard Way", "Kettering Road",
           "Wellingborough Road", "St James Road", "Harborough Road", "Abington Avenue",
           "Spencer Parade", "Billing Road", "Queens Road", "Elm Grove", "Meadow View",
           "School Lane", "Nene Way", "Brook Street", "Windmill Close", "Holly Drive")

FIRST_NAMES_OLDER = (
    "Margaret", "Dorothy", "Joan", "Jean", "Patricia", "Barbara", "Betty", "Sheila",
    "Brenda", "Maureen", "Irene", "Doris", "Eileen", "Joyce", "Peggy", "Audrey", "Pamela",
    "Valerie", "Sylvia", "Shirley", "Iris", "Vera", "John", "William", "George", "Kenneth",
    "Peter", "Brian", "Ronald", "Dennis", "Roy", "Derek", "Alan", "Frank", "Arthur",
    "Harold", "Raymond", "Donald", "Michael", "David", "Colin", "Keith", "Ernest",
    "Stanley", "Norman", "Albert", "Walter", "Gurdev", "Kamala", "Winston")
FIRST_NAMES_YOUNGER = (
    "Sarah", "Emma", "Laura", "Chloe", "Jade", "Amy", "Priya", "Aisha", "Agnieszka",
    "Grace", "Blessing", "Hannah", "Rebecca", "Olivia", "Daniel", "James", "Tomasz",
    "Mohammed", "Ryan", "Liam", "Kwame", "Jack", "Adam", "Samuel", "Joseph", "Ioana")
LAST_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
    "Hall", "Wood", "Jackson", "Clarke", "Patel", "Khan", "Lewis", "James", "Phillips",
    "Mason", "Mitchell", "Rose", "Turner", "Hill", "Cooper", "Ward", "Morris", "Moore",
    "King", "Harris", "Baker", "Harrison", "Morgan", "Allen", "Young", "Scott", "Edwards",
    "Bennett", "Kowalski", "Begum", "Shah", "Murphy", "Kelly", "Okafor", "Nowak", "Singh")

PROVIDER_FIRST = ("Nene Valley", "Bluebell", "Spencer", "Abington", "Rushmere", "Becket",
                  "Delapre", "Castle Ashby", "Althorp", "Salcey", "Whittlebury", "Pitsford",
                  "Harlestone", "Kingfisher", "Riverside", "Oakleaf", "Willow", "Heartwood",
                  "Lantern", "Compass")
PROVIDER_SUFFIX = ("Home Care", "Care at Home", "Support Services", "Domiciliary Care",
                   "Community Care", "Care Partners")

ACCESS_NOTES = ("Key safe by the back door; code held by the office.",
                "Dog in the house: please knock loudly and wait.",
                "Side door only; ring twice.",
                "Daughter lives next door and has a key.",
                "Hard of hearing: use the door bell light.",
                "Parking on the drive is fine.")


def move(point: tuple[float, float], distance_m: float, bearing_rad: float) -> tuple[float, float]:
    """The point distance_m away on a bearing (flat-earth: fine over a few kilometres)."""
    lat, lon = point
    dlat = distance_m * math.cos(bearing_rad) / 111_320
    dlon = distance_m * math.sin(bearing_rad) / (111_320 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def scatter(rng, settlement: Settlement, widen: float = 1.0) -> tuple[float, float]:
    """A random home around a settlement's centre, denser near the middle."""
    distance = abs(rng.gauss(0, settlement.spread_m * widen))
    return move((settlement.lat, settlement.lon), distance, rng.uniform(0, 2 * math.pi))


def pick_settlement(rng, areas: tuple[str, ...] | None = None) -> Settlement:
    """A settlement weighted by its population, optionally only within some lots."""
    choices = [s for s in SETTLEMENTS if areas is None or s.area in areas]
    return rng.choices(choices, weights=[s.weight for s in choices])[0]
