"""Creating and updating service users, with the checks that protect the record."""
import re
from datetime import date

import sqlalchemy as sa

from backend.errors import Conflict, Invalid
from backend.extensions import db
from backend.models import Area, ServiceUser
from backend.services.dates import clock
from backend.services.national.codes import ACCOMMODATION_STATUSES
from backend.services.reference import geocoding, validation

MAX_GEOFENCE_M = 2000
_REQUIRED = ("council_ref", "first_name", "last_name", "address")
_LENGTHS = {"council_ref": 40, "first_name": 100, "last_name": 100, "address": 300,
            "contact_name": 200, "contact_email": 200, "contact_phone": 40}
PERSON_FIELDS = ("council_ref", "first_name", "last_name", "address", "postcode", "home_lat",
                 "home_lon", "nhs_number", "date_of_birth", "geofence_radius_m", "geofence_off",
                 "access_notes", "area_id", "contact_name", "contact_email", "contact_phone",
                 "contact_opted_in", "accommodation_status")


def _radius(value) -> int | None:
    if value is None:
        return None
    return validation.in_range(value, 20, MAX_GEOFENCE_M, "geofence_radius_m",
                               "geofence radius in metres")


# A key safe's code must never be written down here: access notes go to carers' phones,
# the audit log and exports. "Key safe by the back door" is fine; "key safe code 4821" not.
_KEY_SAFE_CODE = re.compile(r"\b(key\s*safe|keysafe|code|pin)\b\D{0,20}\d{3,}", re.I)


def _text(name: str, value) -> str | None:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if name in _REQUIRED and not text:
        raise Invalid("This is required.", field=name)
    if name == "access_notes" and _KEY_SAFE_CODE.search(text):
        raise Invalid("Say where the key safe is, never its code: access notes reach "
                      "phones, logs and exports. Give the code to carers another way.",
                      field=name)
    if len(text) > _LENGTHS.get(name, 10_000):
        raise Invalid(f"At most {_LENGTHS[name]} characters.", field=name)
    if name == "contact_email" and text and "@" not in text:
        raise Invalid("That is not an email address.", field=name)
    return text if text or name in _REQUIRED or name == "access_notes" else None


def _birth_date(value) -> date | None:
    if value is None:
        return None
    if not isinstance(value, date):
        raise Invalid("A date of birth is a date (YYYY-MM-DD).", field="date_of_birth")
    if not date(1900, 1, 1) <= value <= clock.today():
        raise Invalid("The date of birth must be between 1900 and today.", field="date_of_birth")
    return value


def check_person_fields(values: dict, current: ServiceUser | None = None,
                        unique: bool = True) -> dict:
    """The given fields of a person checked and normalised, the one at fault named; the NHS
    number and council reference must not belong to anyone else (unless unique=False: the
    import checks that for the whole file at once)."""
    checked = {}
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise Invalid(f"{name} is not a field of a person.", field=name)
    if "home_lat" in values or "home_lon" in values:
        checked["home_lat"], checked["home_lon"] = validation.coordinates(
            values.get("home_lat", current and current.home_lat),
            values.get("home_lon", current and current.home_lon), "home_lat", "home_lon")
    for name, value in values.items():
        if name in _LENGTHS or name == "access_notes":
            checked[name] = _text(name, value)
        elif name == "postcode":
            checked[name] = validation.postcode(value)
        elif name == "nhs_number":
            checked[name] = validation.nhs_number(value)
        elif name == "date_of_birth":
            checked[name] = _birth_date(value)
        elif name == "geofence_radius_m":
            checked[name] = _radius(value)
        elif name in ("geofence_off", "contact_opted_in"):
            checked[name] = bool(value)
        elif name == "accommodation_status":
            # Where the person lives, as the Client Level Data return and ASCOF 2E read it.
            if value is not None and value not in ACCOMMODATION_STATUSES:
                raise Invalid("Not a Client Level Data accommodation status.", field=name)
            checked[name] = value or None
        elif name == "area_id":
            if value is not None and db.session.get(Area, value) is None:
                raise Invalid("No area with that id.", field="area_id")
            checked[name] = value
    own_id = current.id if current is not None else None
    for name, column, message in () if not unique else (
            ("nhs_number", ServiceUser.nhs_number,
             "Someone with that NHS number is already recorded."),
            ("council_ref", ServiceUser.council_ref, "That council reference is already in use.")):
        value = checked.get(name)
        query = sa.select(ServiceUser.id).where(column == value)
        if own_id is not None:
            query = query.where(ServiceUser.id != own_id)
        if value and db.session.scalar(query):
            raise Conflict(message, fields={name: ["Already recorded."]})
    return checked


def pin_from_address(values: dict) -> dict:
    """The values with the home pin from the geocoder when none was given (and one is
    configured); Invalid naming home_lat when there is still none."""
    if values.get("home_lat") is None and values.get("home_lon") is None:
        pin = geocoding.home_pin(values.get("address"), values.get("postcode"))
        if pin is None:
            raise Invalid("Give the home's latitude and longitude" + (
                ": the geocoder could not place the address." if geocoding.enabled()
                else " (no geocoder is configured)."), field="home_lat")
        values = {**values, "home_lat": pin[0], "home_lon": pin[1]}
    return values


def create_service_user(*, council_ref: str, first_name: str, last_name: str, address: str,
                        postcode: str, home_lat=None, home_lon=None, organisation_id=None,
                        **optional) -> ServiceUser:
    """A new person receiving care; every field checked, the one at fault named. With no
    home pin, the configured geocoder places the address."""
    fields = check_person_fields(pin_from_address(dict(
        council_ref=council_ref, first_name=first_name, last_name=last_name, address=address,
        postcode=postcode, home_lat=home_lat, home_lon=home_lon, **optional)))
    fields.setdefault("access_notes", "")
    person = ServiceUser(organisation_id=organisation_id, **fields)
    db.session.add(person)
    db.session.flush()
    return person


def move_home_pin(person: ServiceUser, lat, lon) -> ServiceUser:
    """Set a person's home location (a manager's decision, never automatic)."""
    person.home_lat, person.home_lon = validation.coordinates(lat, lon, "home_lat", "home_lon")
    return person
