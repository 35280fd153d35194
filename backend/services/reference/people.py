"""Creating and updating service users, with the checks that protect the record."""
import sqlalchemy as sa

from backend.errors import Conflict, Invalid
from backend.extensions import db
from backend.models import ServiceUser
from backend.services.reference import validation

MAX_GEOFENCE_M = 2000


def _radius(value) -> int | None:
    if value is None:
        return None
    return validation.in_range(value, 20, MAX_GEOFENCE_M, "geofence_radius_m",
                               "geofence radius in metres")


def create_service_user(*, council_ref: str, first_name: str, last_name: str, address: str,
                        postcode: str, home_lat, home_lon, nhs_number: str | None = None,
                        date_of_birth=None, geofence_radius_m=None, geofence_off: bool = False,
                        access_notes: str = "", **contact) -> ServiceUser:
    """A new person receiving care; every field checked, the one at fault named."""
    lat, lon = validation.coordinates(home_lat, home_lon, "home_lat", "home_lon")
    for field, value in (("council_ref", council_ref), ("first_name", first_name),
                         ("last_name", last_name), ("address", address)):
        if not (value or "").strip():
            raise Invalid("This is required.", field=field)
    nhs = validation.nhs_number(nhs_number)
    if nhs and db.session.scalar(sa.select(ServiceUser.id).where(ServiceUser.nhs_number == nhs)):
        raise Conflict("Someone with that NHS number is already recorded.",
                       fields={"nhs_number": ["Already recorded."]})
    if db.session.scalar(sa.select(ServiceUser.id).where(ServiceUser.council_ref == council_ref)):
        raise Conflict("That council reference is already in use.",
                       fields={"council_ref": ["Already in use."]})
    person = ServiceUser(
        council_ref=council_ref.strip(), first_name=first_name.strip(),
        last_name=last_name.strip(), address=address.strip(),
        postcode=validation.postcode(postcode), home_lat=lat, home_lon=lon, nhs_number=nhs,
        date_of_birth=date_of_birth, geofence_radius_m=_radius(geofence_radius_m),
        geofence_off=bool(geofence_off), access_notes=access_notes or "",
        contact_name=contact.get("contact_name"), contact_email=contact.get("contact_email"),
        contact_opted_in=bool(contact.get("contact_opted_in")))
    db.session.add(person)
    db.session.flush()
    return person


def move_home_pin(person: ServiceUser, lat, lon) -> ServiceUser:
    """Set a person's home location (a manager's decision, never automatic)."""
    person.home_lat, person.home_lon = validation.coordinates(lat, lon, "home_lat", "home_lon")
    return person
