"""Accounts: creating users and checking who is signing in."""
import secrets
from datetime import datetime

import sqlalchemy as sa

from backend.errors import Conflict, Invalid, SignInRefused
from backend.extensions import db
from backend.models import Organisation, OrganisationKind, Role, User
from backend.services.dates import clock
from backend.services.identity import throttle
from backend.services.identity.passwords import hash_password, needs_rehash, verify_password
from backend.services.reference.validation import choice

MIN_PASSWORD_LENGTH = 8
# The one answer to every failed sign-in, whatever the reason (see authenticate()).
REFUSAL = ("Wrong username or password. After several failed tries from one place, "
           "wait a few minutes before trying again.")
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


def check_password(password: str | None, field: str = "password") -> str:
    """A new password (Invalid naming the field unless long enough to set)."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise Invalid(f"A password has at least {MIN_PASSWORD_LENGTH} characters.", field=field)
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


def authenticate(username: str, password: str, address: str | None = None,
                 now: datetime | None = None) -> User:
    """The active user with these credentials; SignInRefused otherwise.

    Every refusal is the same answer (REFUSAL, code "unauthorized") after the same work,
    one argon2 check, whatever the reason: an unknown name, a deactivated account, a
    wrong password, or a username and address that must wait after repeated failures
    (services/identity/throttle.py). So neither the answer nor its time tells a guesser
    which names exist or which they have slowed down. The failure is counted, and the
    count stands although the sign-in is refused: SignInRefused keeps its unit of work's
    changes.
    """
    now = now or clock.now()
    pair = throttle.key(username, address)
    user = db.session.scalar(
        sa.select(User).where(User.username == (username or "").strip().lower()))
    waiting = throttle.must_wait(pair, now)
    # The check runs even when the answer is already known, so that every path costs it.
    matched = verify_password(user.password_hash if user else _dummy_hash(), password or "")
    if user is None or not user.active or waiting or not matched:
        if user is not None:
            user.failed_sign_ins += 1
        throttle.record_failure(pair, now)
        raise SignInRefused(REFUSAL)
    throttle.clear(pair)
    user.failed_sign_ins = 0
    user.last_sign_in_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _dummy_hash() -> str:
    """A hash no password matches, made once, to check against for unknown names."""
    global _DUMMY_HASH
    _DUMMY_HASH = _DUMMY_HASH or hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASH
