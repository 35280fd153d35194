"""Shared builders for the feedback tests."""
from backend.extensions import db
from backend.models import Feedback


def answers(provider, **overrides) -> dict:
    """A complete, valid set of answers about a provider."""
    values = {"provider_id": str(provider.id), "overall": 4, "reliability": 3, "consistency": 5,
              "dignity": 5, "involvement": 4, "safety": 5,
              "free_text": "The carers are kind but sometimes late in the morning."}
    values.update(overrides)
    return values


def add_feedback(provider, overall: int, count: int = 1, when=None, **kw) -> None:
    """Store `count` responses with the given overall rating (bypassing the form)."""
    for _ in range(count):
        row = Feedback(provider_id=provider.id, overall=overall, **kw)
        if when is not None:
            row.created_at = when
        db.session.add(row)
    db.session.flush()
