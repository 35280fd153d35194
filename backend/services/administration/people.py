"""Service users: recorded and changed by the commissioner or provider who brings them in."""
from backend.extensions import db
from backend.models import ServiceUser, User
from backend.services.administration import changes
from backend.services.identity import access
from backend.services.reference import people as reference


def create_person(user: User, organisation_id=None, **fields) -> ServiceUser:
    """A new person receiving care, recorded by the user's organisation (an admin may name
    another); every field checked, the one at fault named."""
    organisation_id = organisation_id or user.organisation_id
    access.require_set_up(user, ServiceUser, [organisation_id], "person")
    person = reference.create_service_user(organisation_id=organisation_id, **fields)
    changes.created(user, person, "person_created", reference.PERSON_FIELDS)
    return person


def update_person(user: User, person_id, **values) -> ServiceUser:
    """Change a person's details (address, pin, geofence, access notes, contact, consent)."""
    person = access.get_administrable(user, ServiceUser, person_id, "person")
    changes.apply(user, person, "person_changed", reference.check_person_fields(values, person))
    db.session.flush()
    return person


def get_person(user: User, person_id) -> ServiceUser:
    """A person whose record the user may change."""
    return access.get_administrable(user, ServiceUser, person_id, "person")


def list_people(user: User) -> list[ServiceUser]:
    """People the user may see, by name."""
    return list(db.session.scalars(access.scoped(user, ServiceUser).order_by(
        ServiceUser.last_name, ServiceUser.first_name)))
