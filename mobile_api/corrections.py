"""Corrections to a visit's times by provider managers and commissioners."""
from mobile_api.blueprint import Blueprint

from backend.models import Role
from backend.services.attendance import corrections as service
from backend.services.audit import held_visits
from mobile_api.auth import BEARER, current_user, token_required
from mobile_api.report_schemas import (
    CorrectionInSchema, CorrectionOutSchema, DeliveryConfirmationInSchema,
    DeliveryConfirmationOutSchema, DeliveryWithdrawalInSchema,
)

blp = Blueprint("visit_corrections", __name__,
                description="Corrections: appended events with reason and resolution codes")


@blp.post("/visits/<uuid:visit_id>/corrections")
@token_required(Role.PROVIDER_MANAGER, Role.COMMISSIONER)
@blp.arguments(CorrectionInSchema)
@blp.response(201, CorrectionOutSchema)
@blp.doc(security=[BEARER])
def correct(data, visit_id):
    """Correct one worker's start/end (or accept their location) with reason and resolution."""
    return service.correct_by_ids(current_user(), visit_id, **data)


@blp.post("/visits/<uuid:visit_id>/delivery-confirmation")
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(DeliveryConfirmationInSchema)
@blp.response(201, DeliveryConfirmationOutSchema)
@blp.doc(security=[BEARER])
def confirm_delivery(data, visit_id):
    """Confirm, with a reason, that a visit held for want of verification in the home was
    delivered: its contract then bills it as usual."""
    return held_visits.confirm_delivered(current_user(), visit_id, data["reason"])


@blp.post("/visits/<uuid:visit_id>/delivery-confirmation/withdrawal")
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(DeliveryWithdrawalInSchema)
@blp.response(204)
@blp.doc(security=[BEARER])
def withdraw_delivery_confirmation(data, visit_id):
    """Withdraw, with a reason, a confirmation given in error: the visit is held again and
    bills nothing until it is confirmed anew."""
    held_visits.withdraw_confirmation(current_user(), visit_id, data["reason"])
