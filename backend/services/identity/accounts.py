"""Accounts: creating users and checking who is signing in."""
from datetime import timedelta

import sqlalchemy as sa

from backend.errors import Conflict, Invalid, SignInRefused
from backend.extensions import db
from backend.models import Organisation, OrganisationKind, Role, User
from backend.services.dates import clock
from backend.services.identity.passwords import hash_password, needs_rehash, verify_password
from backend.services.reference.validation import choice

MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=15)
# Which kinds of organisation each role may belong to.
ROLE_ORGANISATIONS = {
    Role.CARE_WORKER: {OrganisationKind.PROVIDER},
    Role.PROVIDER_MANAGER: {OrganisationKind.PROVIDER},
    Role.COMMISSIONER: {OrganisationKind.COUNCIL, OrganisationKind.NHS},
    Role.PANEL_MEMBER: {OrganisationKind.COUNCIL, OrganisationKind.NHS},
    Role.ADMIN: set(OrganisationKind),
}
_DUMMY_HASH = None
# An account invited but not yet signed up has no password: no argon2 hash starts with "!",
# so nothing verifies against it until the person sets one from their link.
NO_PASSWORD = "!no-password-set"


def check_password(password: str, field: str = "password") -> str:
    """A new password: at least 8 characters."""
    if len(password or "") < 8:
        raise Invalid("A password has at least 8 characters.", field=field)
    if len(password) > 200:
        raise Invalid("A password has at most 200 characters.", field=field)
    return password


def create_account(username: str, role, organisation: Organisation,
                   display_name: str | None = None, email: str | None = None,
                   password: str | None = None) -> User:
    """A new user whose role suits the organisation; without a password it cannot sign in
    until its holder sets one from an invitation link."""
    role = choice(Role, role, "role")
    username = (username or "").strip().lower()
    if not username or len(username) > 80:
        raise Invalid("A username is 1 to 80 characters.", field="username")
    password_hash = NO_PASSWORD if password is None else hash_password(check_password(password))
    if organisation.kind not in ROLE_ORGANISATIONS[role]:
        raise Invalid(f"A {role.value} cannot belong to a {organisation.kind.value}.",
                      field="organisation")
    if email is not None and (email := email.strip() or None) and "@" not in email:
        raise Invalid("That is not an email address.", field="email")
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise Conflict("That username is taken.", fields={"username": ["Already taken."]})
    user = User(username=username, password_hash=password_hash, role=role,
                organisation=organisation, display_name=(display_name or "").strip() or username,
                email=email)
    db.session.add(user)
    db.session.flush()
    return user


def create_user(username: str, password: str, role, organisation: Organisation,
                display_name: str | None = None, email: str | None = None) -> User:
    """A new user with an argon2id password; the role must suit the organisation."""
    return create_account(username, role, organisation, display_name, email,
                          password=password or "")


def authenticate(username: str, password: str) -> User:
    """The active user with these credentials; SignInRefused otherwise.

    Failures are counted (and lock the account after too many), and the count stands
    although the sign-in is refused: SignInRefused keeps its unit of work's changes.
    """
    global _DUMMY_HASH
    user = db.session.scalar(
        sa.select(User).where(User.username == (username or "").strip().lower()))
    now = clock.now()
    if user is None or not user.active:
        # Spend the same time as a real check so timing does not reveal usernames.
        _DUMMY_HASH = _DUMMY_HASH or hash_password("not-a-real-password")
        verify_password(_DUMMY_HASH, password or "")
        raise SignInRefused("Wrong username or password.")
    if user.locked_until and user.locked_until > now:
        raise SignInRefused("Too many failed sign-ins; try again in a few minutes.",
                           code="account_locked")
    if not verify_password(user.password_hash, password or ""):
        user.failed_sign_ins += 1
        if user.failed_sign_ins >= MAX_FAILED_SIGN_INS:
            user.locked_until = now + LOCKOUT
            user.failed_sign_ins = 0
        raise SignInRefused("Wrong username or password.")
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_sign_in_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user
