"""Changing a password, which signs the user out everywhere: every web session and
every phone's sign-in (refresh-token family, and the access tokens issued with it) ends,
so whoever learnt the old password, or holds a copied cookie or token, is out."""
from datetime import datetime

from backend.errors import Invalid
from backend.models import User
from backend.services.audit import trail
from backend.services.dates import clock
from backend.services.identity import sessions, web_sessions
from backend.services.identity.accounts import check_password
from backend.services.identity.passwords import hash_password, verify_password

REASON = "password_changed"


def set_password(user: User, new_password: str, now: datetime | None = None,
                 field: str = "new_password") -> dict:
    """Give the user a new password and end all their sign-ins; answers how many ended."""
    return set_passwords([user], new_password, now, field)


def set_passwords(users: list[User], new_password: str, now: datetime | None = None,
                  field: str = "new_password") -> dict:
    """set_password() for accounts given the same password at once (the demo county's
    sign-ins): argon2 is slow on purpose, so the password is hashed once and the accounts
    share that hash. Answers how many sign-ins ended, all the accounts together."""
    check_password(new_password, field)
    now = now or clock.now()
    password_hash = hash_password(new_password)
    ids = [user.id for user in users]
    ended = {"web_sessions": web_sessions.end_all_of(ids, REASON, now),
             "phone_tokens": sessions.revoke_all_of(ids, REASON, now)}
    for user in users:
        user.password_hash = password_hash
        trail.record(user, "password_changed", user, **ended)
    return ended


def change_password(user: User, current_password: str, new_password: str,
                    now: datetime | None = None) -> dict:
    """The user's own change: the current password first, then set_password()."""
    if not verify_password(user.password_hash, current_password or ""):
        raise Invalid("That is not your current password.", field="current_password")
    if new_password == current_password:
        raise Invalid("Choose a password different from the current one.",
                      field="new_password")
    return set_password(user, new_password, now)
