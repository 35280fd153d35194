"""JSON API for phones and other machine clients, under /api/v1."""
from flask_smorest import Api

from backend.extensions import csrf


def register(api: Api) -> None:
    """Register every API blueprint; bearer-token clients are exempt from CSRF."""
    from mobile_api import (
        administration, alerts, corrections, episodes, feedback, goals, health, imports, me,
        national, notifications, outcomes, person_facts, pin_suggestions, reports, sessions,
        sync, visit_events,
    )

    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    for module in (
        health,
        sessions,
        me,
        feedback,
        visit_events,
        sync,
        pin_suggestions,
        reports,
        corrections,
        alerts,
        notifications,
        goals,
        episodes,
        outcomes,
        national,
        person_facts,
        administration,
        imports,
    ):
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp, url_prefix="/api/v1")
