"""A commissioner's feedback settings (baseline, minimum responses, windows), with defaults."""
import uuid

from backend.errors import Invalid
from backend.extensions import db
from backend.models import DEFAULT_FEEDBACK_SETTINGS, FeedbackSettings

_LIMITS = {"baseline_pct": (0, 100), "min_responses": (1, 1000),
           "update_window_hours": (0, 24 * 30), "link_valid_days": (1, 365),
           "max_text_chars": (100, 20000)}


def settings_for(commissioner_id: uuid.UUID | None) -> FeedbackSettings:
    """The stored settings of a commissioner, or the defaults (not added to the session)."""
    row = db.session.get(FeedbackSettings, commissioner_id) if commissioner_id else None
    if row is None:
        row = FeedbackSettings(commissioner_id=commissioner_id, **DEFAULT_FEEDBACK_SETTINGS)
    return row


def save_settings(commissioner_id: uuid.UUID, **values) -> FeedbackSettings:
    """Create or change a commissioner's settings, each within its sensible range."""
    errors = {}
    for name, value in values.items():
        low, high = _LIMITS[name]
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not low <= value <= high:
            errors[name] = [f"Must be between {low} and {high}."]
    if errors:
        raise Invalid("Some settings are not valid.", fields=errors)
    row = db.session.get(FeedbackSettings, commissioner_id)
    if row is None:
        row = FeedbackSettings(commissioner_id=commissioner_id, **DEFAULT_FEEDBACK_SETTINGS)
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    db.session.flush()
    return row
