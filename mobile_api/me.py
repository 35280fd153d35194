"""The signed-in user: who am I, and (for care workers) my rota."""
from mobile_api.blueprint import Blueprint

from backend.models import Role
from backend.services.dates import clock
from backend.services.rota import carer_rota
from mobile_api.auth import BEARER, current_user, token_required
from mobile_api.rota_schemas import RotaQuerySchema, RotaSchema
from mobile_api.session_schemas import UserSummarySchema

blp = Blueprint("me", __name__, description="The signed-in user and their rota")


@blp.get("/me")
@token_required()
@blp.doc(security=[BEARER])
@blp.response(200, UserSummarySchema)
def who_am_i():
    """The user the access token speaks for, with their organisation."""
    return current_user()


@blp.get("/me/rota")
@token_required(Role.CARE_WORKER, admin=False)  # outermost: who asks, before what they asked
@blp.doc(security=[BEARER])
@blp.arguments(RotaQuerySchema, location="query")
@blp.response(200, RotaSchema)
def my_rota(query):
    """My visits on a local day (default today), in planned start order, for offline use.

    Care workers only: other roles, admins included, get 403 (they have no rota).
    """
    day = query["date"] or clock.today()
    visits = carer_rota.rota_for(current_user(), day)
    return {"date": day, "time_zone": clock.zone().key, "visits": visits,
            "rota_changes": carer_rota.rota_changes(current_user())}
