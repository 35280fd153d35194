"""Offline sync: the phone's queue of events in one request."""
from mobile_api.blueprint import Blueprint

from backend.models import Role
from backend.services.attendance import sync
from mobile_api.auth import BEARER, caller, token_required
from mobile_api.event_schemas import SyncBatchSchema, SyncResultsSchema

blp = Blueprint("sync", __name__, description="Offline sync")


@blp.post("/sync")
@blp.doc(security=[BEARER])
@token_required(Role.CARE_WORKER)
@blp.arguments(SyncBatchSchema())  # an instance: given a class, webargs builds one per request
@blp.response(200, SyncResultsSchema)
def sync_batch(data):
    """Apply queued events exactly once; each answers accepted, duplicate or rejected."""
    results = sync.sync_events(caller(), data["events"], data.get("sent_at"))
    return {"results": results}
