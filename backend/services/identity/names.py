"""How a person on the staff is named on a page: by their display name, told apart from
anyone else shown with the same name by their staff reference (or, without one, their
username), so two carers called "Sam Patel" are never mistaken for each other."""
from collections import Counter
from collections.abc import Iterable

from backend.models import User


def told_apart(users: Iterable[User]) -> dict:
    """user id -> the name to show: the display name, with the staff reference or
    username in brackets when another of these users has the same display name."""
    users = {u.id: u for u in users}
    counts = Counter(u.display_name.strip().casefold() for u in users.values())
    return {uid: (f"{u.display_name} ({u.staff_ref or u.username})"
                  if counts[u.display_name.strip().casefold()] > 1 else u.display_name)
            for uid, u in users.items()}
