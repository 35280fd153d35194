"""A fresh production install: its first organisation and first administrator."""
import sqlalchemy as sa

from backend.errors import Conflict
from backend.extensions import db
from backend.models import Organisation, Role, User
from backend.services.administration.organisations import create_organisation
from backend.services.administration.users import invite_user
from backend.services.identity.links import IssuedLink


def first_install(organisation_name: str, kind, username: str, display_name: str | None = None,
                  email: str | None = None, ods_code: str | None = None
                  ) -> tuple[Organisation, User, IssuedLink]:
    """The first organisation and its administrator, who sets a password from the link.

    Only while no administrator exists: afterwards everything is set up from the pages.
    An organisation of that name already there (e.g. an earlier attempt) is reused."""
    if db.session.scalar(sa.select(User.id).where(User.role == Role.ADMIN).limit(1)):
        raise Conflict("This install already has an administrator; sign in and use the "
                       "administration pages, or `flask users invite`.")
    organisation = db.session.scalar(sa.select(Organisation).where(
        Organisation.name == (organisation_name or "").strip()))
    if organisation is None:
        organisation = create_organisation(None, organisation_name, kind, ods_code=ods_code)
    user, link = invite_user(None, organisation.id, username, Role.ADMIN, display_name, email)
    return organisation, user, link
