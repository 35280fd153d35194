"""A manager's decision on a suggested corrected home pin."""
from mobile_api.blueprint import Blueprint

from backend.models import Role
from backend.services.attendance import pins
from mobile_api.auth import BEARER, current_user, token_required
from mobile_api.event_schemas import PinSuggestionOutSchema

blp = Blueprint("pin_suggestions", __name__, description="Home pin corrections")


@blp.post("/pin-suggestions/<uuid:suggestion_id>/accept")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.response(200, PinSuggestionOutSchema)
def accept(suggestion_id):
    """Move the person's home pin to the suggested spot."""
    return pins.accept(current_user(), suggestion_id)


@blp.post("/pin-suggestions/<uuid:suggestion_id>/reject")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.response(200, PinSuggestionOutSchema)
def reject(suggestion_id):
    """Keep the pin where it is; the spot is not suggested again."""
    return pins.reject(current_user(), suggestion_id)
