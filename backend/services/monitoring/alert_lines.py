"""The one line each alert carries: what a manager reads in the inbox and the messages."""
from datetime import datetime

from backend.models import AlertKind
from backend.services.dates import clock


def hhmm(instant: datetime | None) -> str:
    """Local wall-clock time of an instant, or "?" when unknown."""
    return instant.astimezone(clock.zone()).strftime("%H:%M") if instant else "?"


def _planned_minutes(v) -> str:
    if v.carers_required > 1:
        return f"{v.duration_min * v.carers_required} carer-minutes"
    return f"{v.duration_min} minutes"


# One line a manager can act on, per kind: {planned} is the visit's planned times and day.
_DESCRIPTIONS = {
    AlertKind.LATE: lambda v, planned: f"No check-in yet for the visit planned {planned}.",
    AlertKind.MISSED: lambda v, planned: f"Missed: nobody checked in for the visit planned "
                                         f"{planned}.",
    AlertKind.SHORT: lambda v, planned: f"Short call: {v.delivered_minutes} of "
                                        f"{_planned_minutes(v)} delivered ({planned}).",
    AlertKind.NO_CHECKOUT: lambda v, planned: f"Checked in at {hhmm(v.actual_start)} but not "
                                              f"checked out; planned {planned}.",
    AlertKind.EARLY_FINISH: lambda v, planned: f"Finished at {hhmm(v.actual_end)}, before "
                                               f"the planned end ({planned}).",
    AlertKind.LOCATION_UNVERIFIED: lambda v, planned: f"Check-in location not verified at the "
                                                      f"home ({planned}).",
}


def describe(kind: AlertKind, visit) -> str:
    """One line a manager can act on (only the kind's own line is written: a busy minute
    describes a hundred alerts). `visit`: a visit, or a row with its columns."""
    planned = f"{hhmm(visit.planned_start)}-{hhmm(visit.planned_end)} on {visit.local_date}"
    line = _DESCRIPTIONS.get(kind)
    return line(visit, planned) if line else f"Alert for the visit planned {planned}."
