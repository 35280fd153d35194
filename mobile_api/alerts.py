"""Alerts API: managers and commissioners list, acknowledge and resolve alerts."""
from mobile_api.blueprint import Blueprint

from backend.models import Role
from backend.services.monitoring import alerts as alert_service
from mobile_api.alert_schemas import (
    AcknowledgeSchema, AlertQuerySchema, AlertSchema, ResolveSchema,
)
from mobile_api.auth import BEARER, current_user, token_required

blp = Blueprint("alerts", __name__, description="Late, missed and short call alerts")
STAFF = (Role.PROVIDER_MANAGER, Role.COMMISSIONER)


@blp.get("/alerts")
@token_required(*STAFF)
@blp.arguments(AlertQuerySchema, location="query")
@blp.response(200, AlertSchema(many=True))
@blp.doc(security=[BEARER])
def list_alerts(args):
    """Alerts the caller may see (own provider, or packages their organisation funds)."""
    filters = alert_service.AlertFilter(
        status=args.get("status"), kind=args.get("kind"), raised_from=args.get("date_from"),
        raised_to=args.get("date_to"), provider_id=args.get("provider_id"),
        limit=args["limit"], offset=args["offset"])
    return alert_service.list_alerts(current_user(), filters)


@blp.get("/alerts/<uuid:alert_id>")
@blp.response(200, AlertSchema)
@blp.doc(security=[BEARER])
@token_required(*STAFF)
def get_alert(alert_id):
    """One alert; 404 when it is not the caller's."""
    return alert_service.get_alert(current_user(), alert_id)


@blp.post("/alerts/<uuid:alert_id>/acknowledge")
@token_required(*STAFF)
@blp.arguments(AcknowledgeSchema)
@blp.response(200, AlertSchema)
@blp.doc(security=[BEARER])
def acknowledge_alert(args, alert_id):
    """Say someone is dealing with it; 409 if already resolved or acknowledged."""
    return alert_service.acknowledge(current_user(), alert_id, args["note"])


@blp.post("/alerts/<uuid:alert_id>/resolve")
@token_required(*STAFF)
@blp.arguments(ResolveSchema)
@blp.response(200, AlertSchema)
@blp.doc(security=[BEARER])
def resolve_alert(args, alert_id):
    """Close the alert with what was done; 409 with why when already resolved."""
    return alert_service.resolve(current_user(), alert_id, args["resolution"])
