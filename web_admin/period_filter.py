"""The period filter of the report pages: what was typed stays, problems sit by the field."""
from datetime import date

from flask import request

from backend.errors import Invalid
from backend.services.dates import periods
from backend.services.dates.periods import Period
from web_admin.forms import PeriodForm

DATE_HINT = "Enter a date as YYYY-MM-DD, for example 2026-11-02."


def read_period(default_first: date, default_last: date) -> tuple[PeriodForm, Period, bool]:
    """(form, period, ok): the period asked for, or the default one when it is not valid."""
    form = PeriodForm(formdata=request.args)
    form.validate()
    for field in (form.first, form.last):
        if field.raw_data and field.raw_data[0] and field.data is None:
            field.errors = [DATE_HINT]
    fallback = periods.resolve("custom", first=default_first, last=default_last)
    if form.first.errors or form.last.errors:
        return form, fallback, False
    try:
        period = periods.resolve("custom", first=form.first.data or default_first,
                                 last=form.last.data or default_last)
    except Invalid as exc:
        names = {"from": form.first, "to": form.last}
        for name, messages in (exc.fields or {"to": [exc.message]}).items():
            names.get(name, form.last).errors = list(messages)
        return form, fallback, False
    form.first.data, form.last.data = period.first, period.last  # show the dates in use
    form.first.raw_data = form.last.raw_data = None
    return form, period, True


def period_args(period: Period) -> dict:
    """Query-string arguments naming a period (for links and CSV downloads)."""
    return {"from": period.first.isoformat(), "to": period.last.isoformat()}
