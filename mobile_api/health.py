"""Liveness and readiness for load balancers and the demo script."""
import sqlalchemy as sa
from mobile_api.blueprint import Blueprint

from backend.errors import Unavailable
from backend.extensions import db

blp = Blueprint("health", __name__, description="Service health")


@blp.get("/health")
@blp.response(200)
def health():
    """Whether the service and its database answer."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        raise Unavailable("The database is not answering.") from None
    return {"status": "ok"}
