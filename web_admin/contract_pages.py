"""Administration pages: contracts, their terms, call-length rates, tolerances per priority
and joint funding. Commissioners change their own; providers read theirs."""
from flask import Blueprint, abort, flash, redirect, url_for

from backend.errors import DomainError
from backend.models import Priority, Role, UnverifiedVisits
from backend.services.administration import contracts, organisations
from web_admin.admin_forms import (
    CallRatesForm, ContractForm, ContractTermsForm, FundersForm, RuleForm,
)
from web_admin.admin_support import money, page, pence, pounds, refuse
from web_admin.auth import current_user, login_required
from web_admin.choices import options

bp = Blueprint("admin_contracts", __name__, url_prefix="/admin")
READERS = (Role.COMMISSIONER, Role.PROVIDER_MANAGER)
TERMS = ("billing_basis", "rounding_unit_min", "rounding", "minimum_billable_min",
         "complete_units_only", "double_up_rule", "unverified_visits", "geofence_radius_m",
         "accuracy_allowance_max_m", "offline_window_hours", "home_logging_target_pct",
         "lock_after_days")
UNVERIFIED_WORDS = {
    UnverifiedVisits.PAID: "paid as usual",
    UnverifiedVisits.HELD: "held: billed nothing until a provider manager confirms the visit "
                           "was delivered, with a reason"}
MONEY = {"hourly_rate_pence": "hourly_rate", "floor_rate_pence": "floor_rate",
         "ceiling_rate_pence": "ceiling_rate"}


def _terms(form) -> dict:
    """The form's terms as the service takes them (pounds to pence)."""
    values = {name: form[name].data for name in TERMS}
    values["minimum_billable_min"] = values["minimum_billable_min"] or 0
    values.update({term: pence(form[field].data) for term, field in MONEY.items()})
    return values


def _contract_form(submitted: bool = False) -> ContractForm:
    user = current_user()
    form = ContractForm() if submitted else ContractForm(formdata=None)
    funders = organisations.register_of("council", "nhs")
    if user.role != Role.ADMIN:
        funders = [f for f in funders if f.id == user.organisation_id]
    form.funder_id.choices = options([(str(o.id), o.name) for o in funders])
    form.provider_id.choices = options([(str(o.id), o.name)
                                        for o in organisations.register_of("provider")])
    return form


def _index(form=None, status: int = 200):
    user = current_user()
    rows = [[{"text": c.name, "href": url_for(".show", contract_id=c.id)}, str(c.starts_on),
             str(c.ends_on or ""), money(c.hourly_rate_pence)]
            for c in contracts.list_contracts(user)]
    sections = [{"heading": "Contracts", "rows": rows,
                 "headers": ["Contract", "Starts", "Ends", "Hourly rate"]}]
    if user.role in (Role.ADMIN, Role.COMMISSIONER):
        sections.append({"heading": "Add a contract", "form": form or _contract_form(),
                         "action": url_for(".create"), "submit": "Add contract",
                         "id": "contract-form"})
    return page("Contracts", sections, status)


@bp.get("/contracts")
@login_required(*READERS)
def index():
    """Contracts the user's organisation funds or delivers."""
    return _index()


@bp.post("/contracts")
@login_required(Role.COMMISSIONER)
def create():
    """Add a contract funded by the user's organisation."""
    form = _contract_form(submitted=True)
    if not form.validate_on_submit():
        return _index(form, 422)
    try:
        contract = contracts.create_contract(
            current_user(), form.funder_id.data, form.provider_id.data, form.name.data,
            form.starts_on.data, form.ends_on.data, **_terms(form))
    except DomainError as exc:
        refuse(form, exc, MONEY)
        return _index(form, exc.status)
    flash(f"Added {contract.name}: now set its call-length rates and any joint funding.", "ok")
    return redirect(url_for(".show", contract_id=contract.id))


def _forms(terms: dict, submitted: str | None = None) -> dict:
    """The contract's forms filled from its terms, except the one just submitted."""
    contract = terms["contract"]
    forms = {}
    if submitted != "terms":
        forms["terms"] = ContractTermsForm(formdata=None, obj=contract, prefix="terms",
                                           **{f: pounds(getattr(contract, t))
                                              for t, f in MONEY.items()})
    if submitted != "rates":
        rates = [{"duration_min": r.duration_min, "amount": pounds(r.amount_pence)}
                 for r in terms["call_rates"]]
        forms["rates"] = CallRatesForm(formdata=None, prefix="rates", data={
            "call_rates": rates + [{}] * max(2, 5 - len(rates))})
    if submitted != "funders":
        shares = [{"funder_id": str(f["funder_id"]), "share_pct": f["share_pct"]}
                  for f in terms["funders"]]
        forms["funders"] = FundersForm(formdata=None, prefix="funders", data={
            "funders": shares + [{}] * max(1, 3 - len(shares))})
    for rule in terms["rules"]:
        key = f"rule-{rule.priority.value}"
        if submitted != key:
            forms[key] = RuleForm(formdata=None, obj=rule, prefix=key)
    return forms


def _funder_choices(form: FundersForm) -> None:
    choices = options([("", "-")] + [(str(o.id), o.name)
                                     for o in organisations.register_of("council", "nhs")])
    for entry in form.funders.entries:
        entry.form.funder_id.choices = choices


def _show(contract_id, submitted: str | None = None, form=None, status: int = 200):
    terms = contracts.contract_terms(current_user(), contract_id)
    contract = terms["contract"]
    lines = [("Funder", terms["funder"]), ("Provider", terms["provider"]),
             ("Dates", f"{contract.starts_on} to {contract.ends_on or 'open'}"),
             ("Hourly rate", money(contract.hourly_rate_pence)),
             ("Floor / ceiling", f"{money(contract.floor_rate_pence) or '-'} / "
                                 f"{money(contract.ceiling_rate_pence) or '-'}"),
             ("Billing", f"{contract.billing_basis.value}, {contract.rounding.value} to "
                         f"{contract.rounding_unit_min} min, minimum "
                         f"{contract.minimum_billable_min} min"),
             ("Visits not verified in the home", UNVERIFIED_WORDS[contract.unverified_visits]),
             ("Geofence default", f"{contract.geofence_radius_m} m"),
             ("Offline window", f"{contract.offline_window_hours} h"),
             ("Home-logging target", f"{contract.home_logging_target_pct}%"),
             ("Call-length rates", ", ".join(f"{r.duration_min} min {money(r.amount_pence)}"
                                             for r in terms["call_rates"]) or "none"),
             ("Funding", ", ".join(f"{f['name']} {f['share_pct']}%" for f in terms["funders"])
              or f"{terms['funder']} 100%")]
    for rule in terms["rules"]:
        missed = "by the planned end" if rule.missed_after_min is None \
            else f"{rule.missed_after_min} min after the start"
        lines.append((f"Tolerances ({rule.priority.value})",
                      f"late after {rule.late_after_min} min, missed if nobody came "
                      f"{missed}, short by more than {rule.short_margin_min} min"))
    sections = [{"heading": "Terms", "lines": lines}]
    if terms["may_change"]:
        forms = _forms(terms, submitted)
        if submitted:
            forms[submitted] = form
        _funder_choices(forms["funders"])
        for key, heading, submit in (
                ("terms", "Change the terms", "Save terms"),
                ("rates", "Call-length rates", "Save rates"),
                ("funders", "Joint funding (shares add up to 100%; leave empty for one funder)",
                 "Save funding"),
                *[(f"rule-{p.value}", f"Tolerances for {p.value} calls", "Save tolerances")
                  for p in Priority if f"rule-{p.value}" in forms]):
            sections.append({"heading": heading, "form": forms[key], "submit": submit,
                             "action": url_for(".change", contract_id=contract.id, part=key),
                             "id": f"{key}-form"})
    return page(contract.name, sections, status)


@bp.get("/contracts/<uuid:contract_id>")
@login_required(*READERS)
def show(contract_id):
    """A contract's terms, read-only to the provider, with forms for its commissioner."""
    return _show(contract_id)


def _submitted(part: str):
    if part == "terms":
        return ContractTermsForm(prefix="terms")
    if part == "rates":
        return CallRatesForm(prefix="rates")
    if part == "funders":
        form = FundersForm(prefix="funders")
        _funder_choices(form)
        return form
    return RuleForm(prefix=part)


def _save(user, contract_id, part: str, form) -> None:
    if part == "terms":
        contracts.update_contract(user, contract_id, name=form.name.data,
                                  starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                                  **_terms(form))
    elif part == "rates":
        contracts.set_call_rates(user, contract_id, {
            row.duration_min.data: pence(row.amount.data) for row in form.call_rates
            if row.duration_min.data is not None or row.amount.data is not None})
    elif part == "funders":
        contracts.set_funders(user, contract_id, {
            row.funder_id.data: row.share_pct.data for row in form.funders
            if row.funder_id.data})
    else:
        contracts.set_monitoring_rule(user, contract_id, part.removeprefix("rule-"),
                                      **{f.short_name: f.data for f in form
                                         if f.type not in ("CSRFTokenField",)})


@bp.post("/contracts/<uuid:contract_id>/<part>")
@login_required(Role.COMMISSIONER)
def change(contract_id, part: str):
    """Save one part of a contract: terms, rates, funders, or a priority's tolerances."""
    if part not in ("terms", "rates", "funders") and part.removeprefix(
            "rule-") not in {p.value for p in Priority}:
        abort(404)
    form = _submitted(part)
    if not form.validate_on_submit():
        return _show(contract_id, part, form, 422)
    try:
        _save(current_user(), contract_id, part, form)
    except DomainError as exc:
        refuse(form, exc, MONEY)
        return _show(contract_id, part, form, exc.status)
    flash("Saved.", "ok")
    return redirect(url_for(".show", contract_id=contract_id))
