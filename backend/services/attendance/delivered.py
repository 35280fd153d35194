"""Delivered time, defined once: what a carer gave a visit, and how it is shown.

A carer's delivered time at a visit is the seconds from their start to their end
(check-in and check-out, or the times a correction set), in whole seconds: a
fraction of a second is dropped. A carer a correction marked "not delivered"
delivered nothing (until a later correction gives times on other evidence:
visit_state.WorkerTimes.corrected). A visit's delivered time is the sum of its
carers' seconds.

Shown as whole minutes, rounded once, half up: 28 min 29 s -> 28, 28 min 30 s ->
29, 29 min 30 s -> 30. A figure in minutes is always this rounding of a number
of seconds, never a sum of minutes already rounded. Bills start from each carer's
seconds and round once to the contract's unit (audit/billing.py).
"""
from datetime import datetime, timedelta

SECOND = timedelta(seconds=1)


def carer_seconds(start: datetime | None, end: datetime | None) -> int | None:
    """Whole seconds from a carer's start to their end; None until both are known."""
    if start is None or end is None or end < start:
        return None
    return (end - start) // SECOND


def shown_minutes(seconds: int | None) -> int | None:
    """Seconds shown as whole minutes, half up (1710 s = 28:30 -> 29)."""
    if seconds is None:
        return None
    return (seconds + 30) // 60


def as_text(seconds: int) -> str:
    """Seconds in words precise to the second: '47 min', '14 min 44 s'."""
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"
