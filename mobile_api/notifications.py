"""The caller's inbox, and failed deliveries for admins."""
from mobile_api.blueprint import Blueprint

from backend.models import Role
from backend.services.monitoring import notifications as inbox_service
from backend.services.monitoring.outbox import failed_notifications, requeue
from mobile_api.alert_schemas import InboxQuerySchema, NotificationSchema, OutboxRowSchema
from mobile_api.auth import BEARER, current_user, token_required

blp = Blueprint("notifications", __name__, description="In-app inbox and the outbox")


@blp.get("/notifications")
@token_required()
@blp.arguments(InboxQuerySchema, location="query")
@blp.response(200, NotificationSchema(many=True))
@blp.doc(security=[BEARER])
def list_inbox(args):
    """The caller's own inbox, newest first."""
    return inbox_service.inbox(current_user(), args["unread"], args["limit"])


@blp.post("/notifications/<uuid:notification_id>/read")
@blp.response(200, NotificationSchema)
@blp.doc(security=[BEARER])
@token_required()
def read_notification(notification_id):
    """Mark one inbox row read."""
    return inbox_service.mark_read(current_user(), notification_id)


@blp.get("/notifications/failed")
@blp.response(200, OutboxRowSchema(many=True))
@blp.doc(security=[BEARER])
@token_required(Role.ADMIN)
def list_failed():
    """Emails and webhooks that gave up after their retry period, or whose send was
    interrupted and may have gone (admins only)."""
    return failed_notifications(current_user())


@blp.post("/notifications/<uuid:notification_id>/requeue")
@blp.response(200, OutboxRowSchema)
@blp.doc(security=[BEARER])
@token_required(Role.ADMIN)
def requeue_notification(notification_id):
    """Send a failing email or webhook again at the next delivery run (admins only)."""
    return requeue(current_user(), notification_id)
