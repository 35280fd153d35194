"""Visits not verified in the home under a contract that holds them: billed nothing until a
provider manager confirms each was delivered, with a reason; then billed as usual. Every
bill here is worked by hand under the default terms: actual time capped at planned,
£18.93 an hour, whole minutes to the nearest, halves of a penny up."""
import csv
import io
import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from backend.errors import Conflict
from backend.extensions import db
from backend.models import (
    AuditEntry, Contract, DeliveryConfirmation, Role, UnverifiedVisits, User,
)
from backend.services.audit.held_visits import confirm_delivered
from backend.services.audit import one_view, payment
from backend.services.audit.report_scope import parse_grouping
from backend.services.bulk_import.run import export, run_import
from backend.services.dates import periods
from tests.audit_support import attend
from tests.import_helpers import csv_file
from tests.test_admin_browser import signed_in

MARCH = "from=2026-03-01&to=2026-03-31"
PERIOD = periods.resolve("custom", first=date(2026, 3, 1), last=date(2026, 3, 31))
REASON = "No signal at the home; the person confirmed the visit by phone."


def at(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def w(make):
    """Four council visits of Caring Hands in March: verified in the home (30 of 30 min:
    946.5p -> 947p), not verified, checked in outside the fence (20 of 30 min: 631p; 45 of
    60 min: 1419.75p -> 1420p), and not judged, no location (40 of 60 min: 1262p); and one
    unverified visit of another provider under an NHS contract that keeps paying (45 of
    45 min: 1419.75p -> 1420p)."""
    world = make.world()
    world.verified = attend(make.visit(world.package, start=at(2026, 3, 2, 9), minutes=30,
                                       workers=[world.worker]),
                            world.worker, at(2026, 3, 2, 9), 30, verified=True)
    world.unverified = attend(make.visit(world.package, start=at(2026, 3, 3, 9), minutes=30,
                                         workers=[world.worker]),
                              world.worker, at(2026, 3, 3, 9), 20, verified=False)
    world.outside = attend(make.visit(world.package, start=at(2026, 3, 4, 9), minutes=60,
                                      workers=[world.worker]),
                           world.worker, at(2026, 3, 4, 9), 45, verified=False)
    world.unjudged = attend(make.visit(world.package, start=at(2026, 3, 5, 9), minutes=60,
                                       workers=[world.worker]),
                            world.worker, at(2026, 3, 5, 9), 40, verified=None)
    world.foreign = attend(make.visit(world.other_package, start=at(2026, 3, 2, 10),
                                      minutes=45, workers=[world.foreign_worker]),
                           world.foreign_worker, at(2026, 3, 2, 10), 45, verified=False)
    make.commit()
    return world


def _hold(client, bearer, w):
    response = client.patch(f"/api/v1/contracts/{w.contract.id}", headers=bearer(w.commissioner),
                            json={"unverified_visits": "held"})
    assert response.status_code == 200, response.json
    assert response.json["unverified_visits"] == "held"


def _confirm(client, bearer, user, visit, reason=REASON):
    return client.post(f"/api/v1/visits/{visit.id}/delivery-confirmation",
                       headers=bearer(user), json={"reason": reason} if reason is not None else {})


def _totals(client, bearer, user) -> dict:
    return client.get(f"/api/v1/reports/payment?{MARCH}", headers=bearer(user)).json["total"]


def _csv(response) -> list[dict]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_a_paying_contract_bills_unverified_visits_as_before(client, bearer, w):
    total = _totals(client, bearer, w.commissioner)
    assert w.contract.unverified_visits == UnverifiedVisits.PAID  # every existing contract
    assert total["amount_pence"] == 947 + 631 + 1420 + 1262
    assert (total["held_visits"], total["held_pence"], total["confirmed_visits"]) == (0, 0, 0)


def test_held_visits_bill_nothing_until_confirmed_then_as_usual(client, bearer, w):
    _hold(client, bearer, w)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "contract_changed"))
    assert entry.details == {"before": {"unverified_visits": "paid"},
                             "after": {"unverified_visits": "held"}}
    total = _totals(client, bearer, w.commissioner)
    # The visits checked in outside the fence wait (631p + 1420p); the one verified in the
    # home bills, and so does the one not judged (no location): 947p + 1262p.
    assert total["amount_pence"] == 947 + 1262 and total["billed_minutes"] == 70
    assert (total["held_visits"], total["held_minutes"], total["held_pence"]) == (2, 65, 2051)
    visits = {v["visit_id"]: v for v in client.get(
        f"/api/v1/reports/payment/visits?{MARCH}", headers=bearer(w.commissioner)).json["visits"]}
    held = visits[str(w.unverified.id)]
    assert (held["amount_pence"], held["billed_minutes"], held["held"], held["held_pence"]) \
        == (0, 0, True, 631)
    assert held["rule"].startswith("Held: not verified in the home")
    assert visits[str(w.verified.id)]["amount_pence"] == 947
    assert (visits[str(w.unjudged.id)]["amount_pence"], visits[str(w.unjudged.id)]["held"]) \
        == (1262, False)

    confirmed = _confirm(client, bearer, w.manager, w.unverified)
    assert confirmed.status_code == 201, confirmed.json
    assert confirmed.json["reason"] == REASON
    assert confirmed.json["confirmed_by_id"] == str(w.manager.id)
    audit = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "visit_delivery_confirmed"))
    assert audit.object_id == str(w.unverified.id) and audit.user_id == w.manager.id
    assert audit.details["after"]["reason"] == REASON
    total = _totals(client, bearer, w.commissioner)
    assert total["amount_pence"] == 947 + 1262 + 631 and total["billed_minutes"] == 90
    assert (total["held_visits"], total["held_pence"], total["confirmed_visits"]) == (1, 1420, 1)
    # The other provider's NHS contract still pays its unverified visit.
    assert _totals(client, bearer, w.nhs_commissioner)["amount_pence"] == 1420

    # The commissioner sees which visits are held and which were confirmed, by whom and why.
    listed = client.get(f"/api/v1/reports/payment/held?{MARCH}",
                        headers=bearer(w.commissioner)).json
    assert [v["visit_id"] for v in listed["held"]] == [str(w.outside.id)]
    assert [v["visit_id"] for v in listed["confirmed"]] == [str(w.unverified.id)]
    assert w.manager.display_name in listed["confirmed"][0]["rule"]
    assert REASON in listed["confirmed"][0]["rule"]
    assert listed["confirmed"][0]["amount_pence"] == 631

    # The per-visit CSV and the payment CSV agree with the totals.
    lines = _csv(client.get(f"/api/v1/reports/actuals.csv?{MARCH}",
                            headers=bearer(w.commissioner)))
    assert sum(Decimal(r["Amount (£)"]) for r in lines) == Decimal("28.40")
    assert [r["Held amount (£)"] for r in lines if r["Held amount (£)"]] == ["14.20"]
    summary = _csv(client.get(f"/api/v1/reports/payment?{MARCH}&format=csv",
                              headers=bearer(w.commissioner)))
    assert [(r["Amount (£)"], r["Held visits"], r["Held amount (£)"], r["Confirmed visits"])
            for r in summary] == [("28.40", "1", "14.20", "1")]


def test_one_view_shows_held_money_and_its_steps_add_up(client, bearer, w):
    _hold(client, bearer, w)
    assert _confirm(client, bearer, w.manager, w.unverified).status_code == 201
    view = one_view.one_view(w.commissioner, "month", date(2026, 3, 2))
    billed = view["total"].stages[-1]
    assert (billed.pence, billed.held_pence, billed.held_visits) == (2840, 1420, 1)
    steps = dict(view["total"].explanation)
    held = "Held: checked in outside the fence, waiting for a manager's confirmation"
    assert steps[held] == Decimal("-0.75")  # the 45 minutes delivered and held
    assert sum(h for what, h in view["total"].explanation[:-1]) == steps["Billed"]
    totals = payment.payment_totals(w.commissioner, PERIOD, parse_grouping("provider"))
    assert totals["total"]["amount_pence"] == billed.pence


def test_only_the_providers_own_managers_confirm_and_only_with_a_reason(client, bearer, w):
    _hold(client, bearer, w)
    # Another provider's manager: the visit does not exist for them.
    assert _confirm(client, bearer, w.other_manager, w.unverified).status_code == 404
    # The commissioner sees the visit but the confirmation is the provider's word.
    assert _confirm(client, bearer, w.commissioner, w.unverified).status_code == 403
    for bad in (None, "", "   ", "x" * 501):
        refused = _confirm(client, bearer, w.manager, w.unverified, bad)
        assert refused.status_code == 422, bad
        assert "reason" in refused.json["error"]["fields"]
    # A visit verified in the home, or not judged, is not held; nor is a confirmed one.
    assert _confirm(client, bearer, w.manager, w.verified).status_code == 409
    assert _confirm(client, bearer, w.manager, w.unjudged).status_code == 409
    assert _confirm(client, bearer, w.manager, w.unverified).status_code == 201
    assert _confirm(client, bearer, w.manager, w.unverified).status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DeliveryConfirmation)) == 1


def test_two_managers_confirming_at_once_one_confirmation_and_a_409(app, client, bearer, w,
                                                                    make):
    """The second confirmation read the visit as held before the first was committed, then
    waits for it at the write; the one-a-visit index refuses it, answered as a conflict."""
    _hold(client, bearer, w)
    colleague = make.user(Role.PROVIDER_MANAGER, w.provider)
    make.commit()
    visit_id, first_in, release = w.unverified.id, threading.Event(), threading.Event()
    outcomes, errors = {}, []

    def confirm(name: str, manager_id, hold_open: bool):
        try:
            with app.app_context():
                try:
                    confirm_delivered(db.session.get(User, manager_id), visit_id, REASON)
                    if hold_open:  # the first confirmation's transaction is still open
                        first_in.set()
                        release.wait(10)
                    db.session.commit()
                    outcomes[name] = "confirmed"
                except Conflict as exc:
                    db.session.rollback()
                    outcomes[name] = exc.message
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - a lost outcome fails the test below
            errors.append(exc)

    first = threading.Thread(target=confirm, args=("first", w.manager.id, True))
    first.start()
    assert first_in.wait(10)
    second = threading.Thread(target=confirm, args=("second", colleague.id, False))
    second.start()
    second.join(1.0)
    assert second.is_alive()  # waits at its write for the first confirmation's outcome
    release.set()
    first.join(10)
    second.join(10)
    assert not errors
    assert outcomes == {"first": "confirmed",
                        "second": "This visit's delivery was confirmed already."}
    [row] = db.session.scalars(sa.select(DeliveryConfirmation)).all()
    assert row.confirmed_by_id == w.manager.id


def _withdraw(client, bearer, user, visit, reason="Confirmed the wrong visit."):
    return client.post(f"/api/v1/visits/{visit.id}/delivery-confirmation/withdrawal",
                       headers=bearer(user), json={"reason": reason} if reason is not None else {})


def test_a_confirmation_given_in_error_is_withdrawn_and_the_visit_held_again(
        client, bearer, auth, w):
    _hold(client, bearer, w)
    assert _withdraw(client, bearer, w.manager, w.unverified).status_code == 409  # none yet
    assert _confirm(client, bearer, w.manager, w.unverified).status_code == 201
    assert _totals(client, bearer, w.commissioner)["amount_pence"] == 947 + 1262 + 631
    assert _withdraw(client, bearer, w.other_manager, w.unverified).status_code == 404
    assert _withdraw(client, bearer, w.commissioner, w.unverified).status_code == 403
    for bad in (None, "  "):
        refused = _withdraw(client, bearer, w.manager, w.unverified, bad)
        assert refused.status_code == 422 and "reason" in refused.json["error"]["fields"]
    assert _withdraw(client, bearer, w.manager, w.unverified).status_code == 204
    # Held again: billed nothing, and the audit keeps the confirmation and why it went.
    total = _totals(client, bearer, w.commissioner)
    assert total["amount_pence"] == 947 + 1262
    assert (total["held_visits"], total["held_pence"], total["confirmed_visits"]) == (2, 2051, 0)
    audit = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "visit_delivery_confirmation_withdrawn"))
    assert audit.user_id == w.manager.id and audit.object_id == str(w.unverified.id)
    assert audit.details["before"]["reason"] == REASON
    assert audit.details["after"]["reason"] == "Confirmed the wrong visit."
    assert _withdraw(client, bearer, w.manager, w.unverified).status_code == 409

    # On the visit's page: the manager withdraws with a reason, or is told to give one.
    assert _confirm(client, bearer, w.manager, w.unverified).status_code == 201
    auth.login(w.manager.username)
    page = client.get(f"/visits/{w.unverified.id}").get_data(as_text=True)
    assert 'id="withdraw-confirmation"' in page and 'id="confirm-delivery"' not in page
    url = f"/visits/{w.unverified.id}/delivery-confirmation/withdrawal"
    refused = client.post(url, data={"withdraw_reason": ""})
    assert refused.status_code == 422
    assert 'id="withdraw_reason-error"' in refused.get_data(as_text=True)
    assert client.post(url, data={"withdraw_reason": "Wrong visit."}).status_code == 302
    page = client.get(f"/visits/{w.unverified.id}").get_data(as_text=True)
    assert "Held:" in page and 'id="confirm-delivery"' in page
    auth.logout()
    auth.login(w.commissioner.username)
    assert 'id="withdraw-confirmation"' not in client.get(
        f"/visits/{w.outside.id}").get_data(as_text=True)


def test_a_paying_contracts_visit_cannot_be_confirmed(client, bearer, w):
    assert _confirm(client, bearer, w.manager, w.unverified).status_code == 409


def test_bad_term_is_refused_naming_the_field(client, bearer, w):
    refused = client.patch(f"/api/v1/contracts/{w.contract.id}", headers=bearer(w.commissioner),
                           json={"unverified_visits": "sometimes"})
    assert refused.status_code == 422 and "unverified_visits" in refused.json["error"]["fields"]
    terms = client.get(f"/api/v1/contracts/{w.contract.id}", headers=bearer(w.manager)).json
    assert terms["contract"]["unverified_visits"] == "paid"


def test_pages_set_the_term_show_it_to_the_provider_and_confirm(client, auth, w):
    auth.login(w.commissioner.username)
    form = client.get(f"/admin/contracts/{w.contract.id}").get_data(as_text=True)
    assert 'name="terms-unverified_visits"' in form
    saved = client.post(f"/admin/contracts/{w.contract.id}/terms", data={
        "terms-name": w.contract.name, "terms-starts_on": str(w.contract.starts_on),
        "terms-hourly_rate": "18.93", "terms-billing_basis": "actual_capped",
        "terms-rounding_unit_min": "1", "terms-rounding": "nearest",
        "terms-minimum_billable_min": "0", "terms-double_up_rule": "each_worker",
        "terms-unverified_visits": "held", "terms-geofence_radius_m": "200",
        "terms-accuracy_allowance_max_m": "100", "terms-offline_window_hours": "24",
        "terms-home_logging_target_pct": "85", "terms-lock_after_days": "7"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db.session.expire_all()
    assert w.contract.unverified_visits == UnverifiedVisits.HELD
    auth.logout()

    auth.login(w.manager.username)
    terms = client.get(f"/admin/contracts/{w.contract.id}").get_data(as_text=True)
    assert "held: billed nothing until a provider manager confirms" in terms
    assert 'name="terms-unverified_visits"' not in terms  # read-only to the provider
    assert "/held-visits" in client.get("/").get_data(as_text=True)
    listed = client.get(f"/held-visits?{MARCH}").get_data(as_text=True)
    held_list = listed.split('id="held-visits"')[1].split("</table>")[0]
    assert str(w.outside.id) in held_list and str(w.unverified.id) in held_list
    assert str(w.unjudged.id) not in held_list and "£14.20" in held_list
    page = client.get(f"/visits/{w.outside.id}").get_data(as_text=True)
    assert "Held:" in page and "£14.20" in page and 'id="confirm-delivery"' in page
    refused = client.post(f"/visits/{w.outside.id}/delivery-confirmation", data={"reason": ""})
    assert refused.status_code == 422
    assert 'id="reason-error"' in refused.get_data(as_text=True)
    done = client.post(f"/visits/{w.outside.id}/delivery-confirmation", data={"reason": REASON})
    assert done.status_code == 302
    auth.logout()
    auth.login(w.other_manager.username)
    listed = client.get(f"/held-visits?{MARCH}").get_data(as_text=True)
    assert str(w.unverified.id) not in listed and "No visits held in this period." in listed
    assert client.post(f"/visits/{w.unverified.id}/delivery-confirmation",
                       data={"reason": REASON}).status_code == 404
    auth.logout()

    auth.login(w.commissioner.username)
    page = client.get(f"/visits/{w.outside.id}").get_data(as_text=True)
    assert "Delivery confirmed" in page and REASON in page and w.manager.display_name in page
    assert 'id="confirm-delivery"' not in page
    payment_page = client.get(f"/payment?{MARCH}").get_data(as_text=True)
    held_list = payment_page.split('id="held-visits"')[1].split("</table>")[0]
    confirmed_list = payment_page.split('id="confirmed-visits"')[1].split("</table>")[0]
    assert str(w.unverified.id) in held_list and str(w.outside.id) in confirmed_list
    assert str(w.unjudged.id) not in held_list + confirmed_list
    assert "£6.31" in held_list and REASON in confirmed_list


@pytest.mark.browser
def test_a_manager_confirms_a_held_visit_in_the_browser(make, live_server, page, w):
    """In Chromium: the manager sees the visit held, is told to give a reason, confirms;
    the commissioner's payment page then lists it as confirmed with the reason."""
    w.contract.unverified_visits = UnverifiedVisits.HELD
    make.commit()
    signed_in(page, live_server, w.manager)
    page.goto(f"{live_server}/visits/{w.unverified.id}")
    billing = page.locator("#billing")
    assert "Held:" in billing.inner_text() and "£6.31" in billing.inner_text()
    page.click("#confirm-delivery button[type=submit]")
    page.wait_for_selector("#reason-error")
    page.fill("#reason", REASON)
    page.click("#confirm-delivery button[type=submit]")
    page.wait_for_selector("text=Delivery confirmed by")
    assert REASON in page.locator("#billing").inner_text()
    assert page.locator("#confirm-delivery").count() == 0
    page.context.clear_cookies()
    signed_in(page, live_server, w.commissioner)
    page.goto(f"{live_server}/payment?{MARCH}")
    confirmed = page.locator("#confirmed-visits").inner_text()
    assert REASON in confirmed and "£6.31" in confirmed
    assert "£14.20" in page.locator("#held-visits").inner_text()


def test_the_contracts_template_carries_the_term(w):
    """Import sets it (blank: as it is), a bad value is a problem of its row and column, and
    the export carries it so an exported file imports back changing nothing."""
    row = {"funder": w.council.name, "provider": w.provider.name, "name": "Held 2026",
           "starts_on": "2026-04-01", "unverified_visits": "held"}
    bad = dict(row, name="Bad", unverified_visits="sometimes")
    report = run_import(w.commissioner, "contracts", csv_file("contracts", [row, bad]),
                        "c.csv", True)
    assert {(p.row, p.column) for p in report.problems} == {(3, "unverified_visits")}
    assert run_import(w.commissioner, "contracts", csv_file("contracts", [row]), "c.csv",
                      False).created == 1
    made = db.session.scalar(sa.select(Contract).where(Contract.name == "Held 2026"))
    assert made.unverified_visits == UnverifiedVisits.HELD
    exported = export(w.commissioner, "contracts", "csv")
    assert b",held," in exported
    again = run_import(w.commissioner, "contracts", exported, "x.csv", False)
    assert again.problems == [] and (again.created, again.updated) == (0, 0)
    blank = dict(row, unverified_visits="")
    run_import(w.commissioner, "contracts", csv_file("contracts", [blank]), "c.csv", False)
    assert made.unverified_visits == UnverifiedVisits.HELD  # blank leaves it as it is
