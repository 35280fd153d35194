"""Visits a contract holds: delivered but not verified in the home, billed nothing until
a provider manager confirms they were delivered, with a reason ("no signal at the home;
the person confirmed the visit by phone"). Whether a visit is held is the billing rule's
(billing.bill_visit); this module records the confirmation and lists the visits waiting
for one, or confirmed, for both sides to check a bill."""
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.errors import Conflict, Invalid
from backend.extensions import db
from backend.models import DeliveryConfirmation, User
from backend.services.audit import payment, trail
from backend.services.audit.billing import Bill
from backend.services.database import transactions
from backend.services.dates import clock
from backend.services.dates.periods import Period
from backend.services.identity import access

REASON_MAX = 500
LIST_LIMIT = 500  # the page lists this many; the per-visit CSV and API list every one


def check_reason(reason, missing: str = "Say why you are sure the visit was delivered."
                 ) -> str:
    """The manager's reason, required: a confirmation without one is no evidence."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise Invalid(missing, field="reason")
    if len(text) > REASON_MAX:
        raise Invalid(f"Keep the reason to {REASON_MAX} characters.", field="reason")
    return text


def confirm_delivered(user: User, visit_id, reason) -> DeliveryConfirmation:
    """A provider manager confirms that a held visit was delivered; it then bills as usual.
    Audited with who, when and why."""
    visit = access.get_confirmable(user, visit_id)
    text = check_reason(reason)
    bill = payment.visit_bill(visit)
    if bill.confirmed:
        raise Conflict("This visit's delivery was confirmed already.")
    if not bill.held:
        raise Conflict("This visit is not held: its contract pays it, it was verified in "
                       "the home, or it billed nothing to confirm.")
    confirmation = DeliveryConfirmation(visit_id=visit.id, confirmed_by_id=user.id,
                                        confirmed_at=clock.now(), reason=text)
    try:  # another manager may have confirmed it a moment ago: one confirmation a visit
        with transactions.savepoint():
            db.session.add(confirmation)
            db.session.flush()
    except IntegrityError:
        raise Conflict("This visit's delivery was confirmed already.") from None
    trail.record_change(user, "visit_delivery_confirmed", visit, {"held_pence": bill.held_pence},
                        {"confirmed_at": confirmation.confirmed_at, "reason": text})
    return confirmation


def withdraw_confirmation(user: User, visit_id, reason) -> None:
    """A provider manager takes back a confirmation given in error: the visit is held
    again (it bills nothing until confirmed anew). Audited with the confirmation withdrawn
    and why; the provider's word is theirs to correct, as it was theirs to give."""
    visit = access.get_confirmable(user, visit_id)
    text = check_reason(reason, "Say why the confirmation is withdrawn.")
    confirmation = db.session.scalar(sa.select(DeliveryConfirmation).where(
        DeliveryConfirmation.visit_id == visit.id).with_for_update())
    if confirmation is None:
        raise Conflict("This visit's delivery is not confirmed: there is nothing to withdraw.")
    trail.record_change(user, "visit_delivery_confirmation_withdrawn", visit, {
        "confirmed_by_id": str(confirmation.confirmed_by_id),
        "confirmed_at": confirmation.confirmed_at, "reason": confirmation.reason},
        {"reason": text})
    db.session.delete(confirmation)
    db.session.flush()


def visit_billing(user: User, visit) -> dict:
    """What a visit's page shows of its bill: the bill (held, confirmed or as usual), the
    confirmation if any, and whether this user may confirm it."""
    bill: Bill = payment.visit_bill(visit)
    confirmation = db.session.scalar(
        sa.select(DeliveryConfirmation).where(DeliveryConfirmation.visit_id == visit.id))
    may = access.may_confirm_delivery(user)
    return {"bill": bill, "confirmation": confirmation, "may_confirm": bill.held and may,
            "may_withdraw": confirmation is not None and may}


def held_visits(user: User, period: Period, provider_id=None,
                limit: int | None = LIST_LIMIT) -> dict:
    """The period's visits held for confirmation and those confirmed, each with its bill
    line (the rule in words names who confirmed and why)."""
    lines = [payment.visit_line(row, bill) for row, bill in payment.held_or_confirmed(
        user, period, provider_id, limit)]
    return {"period": {"from": period.first, "to": period.last},
            "held": [line for line in lines if line["held"]],
            "confirmed": [line for line in lines if line["confirmed"]]}
