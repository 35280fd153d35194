"""Importing and exporting contracts: terms, call-length rates and joint funding, matched
on the funder and the contract's name."""
from decimal import Decimal

import sqlalchemy as sa

from backend.errors import Invalid
from backend.extensions import db
from backend.models import Contract, Organisation, User
from backend.services.administration import contracts as service
from backend.services.bulk_import import cells
from backend.services.bulk_import.columns import Column, Row, problems_of
from backend.services.bulk_import.report import ImportReport, Problem
from backend.services.identity import access
from backend.services.reference.packages import check_contract_terms


def _rates(value: str) -> dict | None:
    """'30=8.20; 45=10.65' as {30: 820, 45: 1065} (blank: none given)."""
    if not value:
        return None
    rates = {}
    for item in cells.listed(value, ";"):
        minutes, _, pounds = item.partition("=")
        try:
            rates[int(minutes)] = cells.pence(pounds.strip())
        except (ValueError, TypeError):
            raise ValueError("Expected rates such as '30=8.20; 45=10.65'.") from None
    return rates


def _shares(value: str) -> dict:
    """'Westshire ICB=30' as {"Westshire ICB": Decimal(30)}."""
    shares = {}
    for item in cells.listed(value, ";"):
        name, _, pct = item.rpartition("=")
        try:
            shares[name.strip()] = Decimal(pct.strip())
        except ArithmeticError:
            raise ValueError("Expected co-funders such as 'Westshire ICB=30'.") from None
    return shares


COLUMNS = [
    Column("funder", "the paying council or ICB, by name or ODS code", True),
    Column("provider", "the provider, by name or ODS code", True),
    Column("name", "the contract's name; rows are matched on the funder and it", True),
    Column("starts_on", "YYYY-MM-DD", True, parse=cells.day),
    Column("ends_on", "blank: open-ended", parse=cells.day),
    Column("hourly_rate", "pounds an hour; blank: as it is (new: £18.93)", parse=cells.pence),
    Column("floor_rate", "pounds an hour", parse=cells.pence),
    Column("ceiling_rate", "pounds an hour", parse=cells.pence),
    Column("billing_basis", "planned, actual or actual_capped"),
    Column("rounding_unit_min", "1, 5, 10, 15, 30 or 60", parse=cells.whole),
    Column("rounding", "up, down or nearest"),
    Column("minimum_billable_min", "minutes", parse=cells.whole),
    Column("geofence_radius_m", "the default radius around homes, metres", parse=cells.whole),
    Column("offline_window_hours", "1 to 120", parse=cells.whole),
    Column("home_logging_target_pct", "per cent of calls logged in the home",
           parse=cells.whole),
    Column("unverified_visits", "visits not verified in the home: paid, or held until a "
           "provider manager confirms each; blank: as it is (new: paid)"),
    Column("call_rates", "call-length rates, e.g. '30=8.20; 45=10.65; 60=14.20'",
           parse=_rates),
    Column("co_funders", "joint funding: other funders and their shares, e.g. "
           "'Westshire ICB=30' (the funder pays the rest); blank: wholly the funder's",
           parse=_shares),
]
_TERMS = {"hourly_rate": "hourly_rate_pence", "floor_rate": "floor_rate_pence",
          "ceiling_rate": "ceiling_rate_pence", "billing_basis": "billing_basis",
          "rounding_unit_min": "rounding_unit_min", "rounding": "rounding",
          "minimum_billable_min": "minimum_billable_min",
          "geofence_radius_m": "geofence_radius_m",
          "offline_window_hours": "offline_window_hours",
          "home_logging_target_pct": "home_logging_target_pct",
          "unverified_visits": "unverified_visits"}
_COLUMN = {field: column for column, field in _TERMS.items()} | {"funders": "co_funders",
                                                                  "call_rates": "call_rates"}


def _organisations() -> dict:
    found = {}
    for org in db.session.scalars(sa.select(Organisation)):
        found[org.name] = org
        if org.ods_code:
            found[org.ods_code] = org
    return found


def plan(user: User, rows: list[Row], report: ImportReport):
    """Check every row against the contracts there; the writes to make."""
    orgs = _organisations()
    existing = {(c.funder_id, c.name): c for c in db.session.scalars(sa.select(Contract))}
    seen, creates, updates = {}, [], []
    for row in rows:
        v = row.values
        funder, provider = orgs.get(v["funder"] or ""), orgs.get(v["provider"] or "")
        for column, org in (("funder", funder), ("provider", provider)):
            if v[column] and org is None:
                report.problems.append(Problem(row.number, column, "No organisation of that "
                                               "name or ODS code."))
        if funder is None or provider is None or not v["name"]:
            continue
        if not access.may_set_up(user, Contract, [funder.id]):
            report.problems.append(Problem(row.number, "funder", "You may not set up that "
                                           "funder's contracts."))
            continue
        key = (funder.id, v["name"])
        if key in seen:
            report.problems.append(Problem(row.number, "name", f"The same contract is on row "
                                           f"{seen[key]}."))
            continue
        seen[key] = row.number
        current = existing.get(key)
        terms = {field: v[column] for column, field in _TERMS.items() if v[column] is not None}
        try:
            terms = check_contract_terms(terms, current)
            rates = service.check_call_rates(v["call_rates"]) if v["call_rates"] else None
            unknown = [name for name in v["co_funders"] if name not in orgs]
            if unknown:
                raise Invalid(f"No organisation named {', '.join(unknown)}.", field="funders")
            shares = {orgs[name].id: pct for name, pct in v["co_funders"].items()}
            if shares:
                shares[funder.id] = Decimal(100) - sum(shares.values())
            shares = service.check_shares(shares, funder.id)
            if v["ends_on"] and v["ends_on"] < v["starts_on"]:
                raise Invalid("The contract ends before it starts.", field="ends_on")
        except Invalid as exc:
            report.problems.extend(problems_of(exc, row.number, _COLUMN))
            continue
        dates = {"starts_on": v["starts_on"], "ends_on": v["ends_on"]}
        if current is None:
            creates.append((funder.id, provider.id, v["name"], dates, terms, rates, shares))
            continue
        if current.provider_id != provider.id:
            report.problems.append(Problem(row.number, "provider", "A contract keeps its "
                                           "provider."))
            continue
        diff = {k: val for k, val in {**dates, **terms}.items() if getattr(current, k) != val}
        rates = rates if rates is not None and rates != {
            r.duration_min: r.amount_pence for r in current.call_rates} else None
        shares = shares if shares != {f.funder_id: f.share_pct for f in current.funders} \
            else None
        if diff or rates is not None or shares is not None:
            updates.append((current.id, diff, rates, shares))
        else:
            report.unchanged += 1
    report.created, report.updated = len(creates), len(updates)

    def apply() -> None:
        for funder_id, provider_id, name, dates, terms, rates, shares in creates:
            contract = service.create_contract(user, funder_id, provider_id, name,
                                               dates["starts_on"], dates["ends_on"], **terms)
            if rates:
                service.set_call_rates(user, contract.id, rates)
            if shares:
                service.set_funders(user, contract.id, shares)
        for contract_id, diff, rates, shares in updates:
            if diff:
                service.update_contract(user, contract_id, **diff)
            if rates is not None:
                service.set_call_rates(user, contract_id, rates)
            if shares is not None:
                service.set_funders(user, contract_id, shares)

    return apply


def _money(pence: int | None) -> str:
    return "" if pence is None else f"{pence / 100:.2f}"


def export_rows(user: User) -> list[list]:
    """Every contract the user may see, in the template's columns."""
    names = {o.id: o.name for o in db.session.scalars(sa.select(Organisation))}
    out = []
    for c in service.list_contracts(user):
        co = "; ".join(f"{names[f.funder_id]}={f.share_pct:g}" for f in c.funders
                       if f.funder_id != c.funder_id)
        out.append([names[c.funder_id], names[c.provider_id], c.name, c.starts_on.isoformat(),
                    c.ends_on.isoformat() if c.ends_on else "", _money(c.hourly_rate_pence),
                    _money(c.floor_rate_pence), _money(c.ceiling_rate_pence), c.billing_basis.value,
                    c.rounding_unit_min, c.rounding.value, c.minimum_billable_min,
                    c.geofence_radius_m, c.offline_window_hours, c.home_logging_target_pct,
                    c.unverified_visits.value,
                    "; ".join(f"{r.duration_min}={r.amount_pence / 100:.2f}"
                              for r in c.call_rates), co])
    return out
