"""How a person on the staff is named on a page: by their display name, told apart from
anyone else of their organisation with the same name (or shown beside them) by their
staff reference or, without one, their username, so two carers called "Sam Patel" are
never mistaken for each other, on whichever page one of them appears alone."""
from collections import Counter
from collections.abc import Iterable

import sqlalchemy as sa

from backend.extensions import db
from backend.models import User


def told_apart(users: Iterable[User]) -> dict:
    """user id -> the name to show: the display name, with the staff reference or
    username in brackets when another user of the same organisation, or another of these
    users, has the same display name (one query)."""
    users = {u.id: u for u in users}
    if not users:
        return {}

    def key(name: str) -> str:
        return name.strip().casefold()

    shown = Counter(key(u.display_name) for u in users.values())
    shared = {(org, key(name)) for org, name in db.session.execute(
        sa.select(User.organisation_id, User.display_name)
        .where(User.organisation_id.in_({u.organisation_id for u in users.values()}),
               User.display_name.in_({u.display_name for u in users.values()}))
        .group_by(User.organisation_id, User.display_name).having(sa.func.count() > 1))}
    return {uid: (f"{u.display_name} ({u.staff_ref or u.username})"
                  if shown[key(u.display_name)] > 1
                  or (u.organisation_id, key(u.display_name)) in shared else u.display_name)
            for uid, u in users.items()}
