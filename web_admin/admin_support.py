"""What the administration pages share: a service's refusal put on the form's fields (so
the page keeps what was typed and names the field), pounds and pence, the one page."""
import re
from decimal import Decimal

from flask import render_template

from backend.errors import DomainError

_ROW_FIELD = re.compile(r"^(\w+)\[(\d+)\]\.(\w+)$")


def _find(form, name: str, rows: dict | None):
    match = _ROW_FIELD.match(name)
    if match and match.group(1) in form:
        listed, index, sub = match.group(1), int(match.group(2)), match.group(3)
        entries = form[listed].entries
        order = (rows or {}).get(listed) or list(range(len(entries)))
        if index < len(order) and sub in entries[order[index]].form:
            return entries[order[index]].form[sub]
    base = re.split(r"[.\[]", name)[0]
    return form[base] if base in form else None


def refuse(form, error: DomainError, aliases: dict | None = None,
           rows: dict | None = None) -> None:
    """Show a service's refusal beside the fields it names (aliases: the service's field
    name to the form's, e.g. hourly_rate_pence to hourly_rate; rows: which form rows the
    service's list indexes stand for). A 403 or 404 goes on to the error page."""
    if error.status in (403, 404):
        raise error
    placed = False
    for name, messages in error.fields.items():
        field = _find(form, (aliases or {}).get(name, name), rows)
        if field is not None and not hasattr(field, "entries"):
            field.errors = list(field.errors or []) + list(messages)
            placed = True
    if not placed:
        form.form_errors.append(error.message)


def pence(pounds) -> int | None:
    """Pounds typed on a page, in pence."""
    return None if pounds is None else int((Decimal(pounds) * 100).to_integral_value())


def pounds(amount_pence: int | None) -> Decimal | None:
    """Pence shown in pounds."""
    return None if amount_pence is None else (Decimal(amount_pence) / 100).quantize(
        Decimal("0.01"))


def money(amount_pence: int | None) -> str:
    """Pence as £1.23 (blank for none)."""
    return "" if amount_pence is None else f"£{pounds(amount_pence)}"


def page(title: str, sections: list[dict], status: int = 200, **extra):
    """The administration page: sections of tables, term lists and forms."""
    return render_template("admin/page.html", title=title, sections=sections, **extra), status
