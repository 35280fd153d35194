"""One person's page: contacts, packages, visit history, concerns raised by carers,
outcome timeline (every goal's progress, achieved goals included) and any suggested
home-pin correction."""
import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    Alert, AlertKind, CarePackage, PinStatus, PinSuggestion, ServiceUser, User, Visit,
)
from backend.services.audit import access_log
from backend.services.identity import access
from backend.services.identity.names import told_apart
from backend.services.outcomes.timeline import outcome_timeline
from backend.services.reference.person_visits import visit_history


RECENT_CONCERNS = 20


def person_record(user: User, service_user_id) -> dict:
    """The person (NotFound if not the user's to see) with what the people page shows."""
    person = access.get_visible(user, ServiceUser, service_user_id, "person")
    access_log.record_read(user, "person", person.id, person.id)
    packages = db.session.scalars(access.scoped(user, CarePackage).where(
        CarePackage.service_user_id == person.id).order_by(CarePackage.start_date)).all()
    suggestions = db.session.scalars(access.scoped(user, PinSuggestion).where(
        PinSuggestion.service_user_id == person.id,
        PinSuggestion.status == PinStatus.SUGGESTED)).all()
    concerns = db.session.scalars(access.scoped(user, Alert).join(
        Visit, Visit.id == Alert.visit_id).where(
        Alert.kind == AlertKind.CONCERN,
        Visit.package_id.in_(sa.select(CarePackage.id).where(
            CarePackage.service_user_id == person.id))).order_by(
        Alert.raised_at.desc()).limit(RECENT_CONCERNS)).all()
    timeline = outcome_timeline(user, person.id)
    for goal in timeline["goals"]:  # corrected entries give way to their corrections
        goal.standing_series = [e for e in goal.series if e.superseded_by_id is None]
    recorders = {e.recorded_by_id for g in timeline["goals"] for e in g.standing_series}
    recorded_by = told_apart(db.session.scalars(sa.select(User).where(User.id.in_(recorders)))
                             ) if recorders else {}
    return {"person": person, "packages": list(packages), "suggestions": list(suggestions),
            "concerns": list(concerns), "visits": visit_history(user, person.id),
            "recorded_by": recorded_by,
            # Whether the page offers the forms to set and review goals and episodes.
            "may_change": access.can_change(user, person), **timeline}
