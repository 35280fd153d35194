"""Figures for each role's landing page, counted through the access rules."""
import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    Alert, AlertStatus, CarePackage, Feedback, Organisation, OrganisationKind, PackageStatus, Role,
    ServiceUser, User, Visit,
)
from backend.services.dates import clock
from backend.services.identity.access import visible
from backend.services.monitoring.outbox import count_failing


def _count(user: User, model, *criteria) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(model).where(visible(user, model), *criteria))


def landing_counts(user: User) -> list[tuple[str, int]]:
    """(label, number) pairs that matter to this user's role, today."""
    today = clock.today()
    visits_today = ("Visits today", _count(user, Visit, Visit.local_date == today))
    open_alerts = ("Open alerts", _count(user, Alert, Alert.status != AlertStatus.RESOLVED))
    active_packages = _count(user, CarePackage, CarePackage.status == PackageStatus.ACTIVE)
    if user.role == Role.CARE_WORKER:
        return [visits_today]
    if user.role == Role.PROVIDER_MANAGER:
        workers = _count(user, User, User.role == Role.CARE_WORKER)
        return [("Care workers", workers), ("People supported", _count(user, ServiceUser)),
                ("Active packages", active_packages), visits_today, open_alerts]
    if user.role == Role.COMMISSIONER:
        providers = _count(user, Organisation, Organisation.kind == OrganisationKind.PROVIDER)
        return [("Providers contracted", providers), ("Funded packages", active_packages),
                ("People funded", _count(user, ServiceUser)), visits_today, open_alerts]
    if user.role == Role.PANEL_MEMBER:
        return [("Feedback you have sent", _count(user, Feedback))]
    return [("Organisations", _count(user, Organisation)), ("Users", _count(user, User)),
            visits_today, open_alerts, ("Failing deliveries", count_failing(user))]
