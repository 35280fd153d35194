"""Step: the people who receive care, at homes spread over the county.

The people are drawn here; each is imported by the funder of their package (the
packages step decides it), as the council's or the ICB's client list would be.
"""
import math
from datetime import timedelta

from backend.demo.county import DemoCounty, PersonFacts
from backend.demo.places import (
    ACCESS_NOTES,
    FIRST_NAMES_OLDER,
    FIRST_NAMES_YOUNGER,
    LAST_NAMES,
    STREETS,
    move,
    pick_settlement,
    scatter,
)

# Letters a postcode's inward code may end with.
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def nhs_number(rng) -> str:
    """A valid NHS number in the 999 range the NHS keeps for test data (never a real person)."""
    while True:
        digits = "999" + "".join(str(rng.randrange(10)) for _ in range(6))
        check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(digits)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return digits + str(check)


def postcode(rng, district: str) -> str:
    """A UK-looking postcode in a district, e.g. NN3 6AB."""
    return f"{district} {rng.randrange(1, 10)}{rng.choice(POSTCODE_LETTERS)}" \
           f"{rng.choice(POSTCODE_LETTERS)}"


# Where people receiving home care live (CLD Accommodation_Status), roughly; None: not recorded.
HOUSING = [("Owner occupier or shared ownership scheme", 62),
           ("Tenant: Local authority or other social housing provider", 18),
           ("Tenant: Private landlord", 6),
           ("Settled mainstream housing with family or friends", 6),
           ("Sheltered housing, extra care housing or other sheltered housing", 5),
           ("Staying with family or friends as a short term guest", 1), (None, 2)]


def _accommodation(rng) -> str | None:
    return rng.choices([k for k, _ in HOUSING], weights=[w for _, w in HOUSING])[0]


def add_people(county: DemoCounty) -> None:
    """Service users with valid NHS numbers; a few wrong map pins and geofence overrides."""
    rng = county.rng("people")
    housing = county.rng("accommodation")  # a stream of its own: the people stay the same
    numbers = set()
    for index in range(county.sizes.people):
        place = pick_settlement(rng)
        pin = scatter(rng, place)
        # About 2% of map pins are wrong (complaint 1 in DOMAIN.md): the home is elsewhere.
        wrong_pin = index == 3 or rng.random() < 0.02
        true_home = move(pin, rng.uniform(230, 400), rng.uniform(0, 2 * math.pi)) \
            if wrong_pin else pin
        geofence_off = index == 5 or rng.random() < 0.01  # rural, no signal
        radius = rng.choice((100, 300, 400)) if rng.random() < 0.04 else None
        number = nhs_number(rng)
        while number in numbers:
            number = nhs_number(rng)
        numbers.add(number)
        younger = rng.random() < 0.1
        first = rng.choice(FIRST_NAMES_YOUNGER if younger else FIRST_NAMES_OLDER)
        last = rng.choice(LAST_NAMES)
        age = rng.randint(19, 64) if younger else min(103, 65 + int(abs(rng.gauss(16, 8))))
        has_family = rng.random() < 0.6
        person = PersonFacts(
            id=None, council_ref=f"NCC{100000 + index}", pin=pin, true_home=true_home,
            area=place.area, geofence_radius_m=radius, geofence_off=geofence_off)
        county.people.append(person)
        county.person_rows[person.council_ref] = dict(
            council_ref=person.council_ref, first_name=first, last_name=last,
            date_of_birth=(county.today - timedelta(days=365 * age + rng.randrange(365))
                           ).isoformat(),
            nhs_number=number,
            address=f"{rng.randint(1, 140)} {rng.choice(STREETS)}, {place.name}",
            postcode=postcode(rng, rng.choice(place.districts)),
            home_lat=repr(pin[0]), home_lon=repr(pin[1]),
            geofence_radius_m="" if radius is None else str(radius),
            geofence_off=_yes(geofence_off),
            access_notes=rng.choice(ACCESS_NOTES) if rng.random() < 0.3 else "",
            area=place.area,
            contact_name=f"{rng.choice(FIRST_NAMES_YOUNGER)} {last}" if has_family else "",
            contact_email=f"family{index}@demo.example" if has_family else "",
            contact_phone=f"07700 900{index % 1000:03d}" if has_family else "",  # drama range
            contact_opted_in=_yes(has_family and rng.random() < 0.5),
            accommodation_status=_accommodation(housing) or "")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
