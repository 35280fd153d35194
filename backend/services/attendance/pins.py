"""Pin correction hints: when check-ins that failed verification cluster at one spot,
suggest moving the person's home pin there. A manager decides; nothing moves by itself.
"""
import math
import uuid
from datetime import datetime

import sqlalchemy as sa

from backend.errors import Conflict
from backend.extensions import db
from backend.models import (
    AuditEntry, CarePackage, EventKind, PinStatus, PinSuggestion, ServiceUser, User, Visit,
    VisitEvent,
)
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.attendance.geo import distance_m

# Evidence a suggestion needs: check-ins at this many visits, by this many workers,
# all within CLUSTER_RADIUS_M of the cluster's centre.
MIN_VISITS = 3
MIN_WORKERS = 2
CLUSTER_RADIUS_M = 50
# Only the most recent failed check-ins are considered; old ones may predate a move.
RECENT_EVENTS = 100
EARTH_RADIUS_M = 6_371_000


def _near_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance for clustering: equirectangular, exact enough within a few hundred metres
    and much cheaper than a geodesic for the pairwise pass."""
    mean_lat = math.radians((a[0] + b[0]) / 2)
    dx = math.radians(b[1] - a[1]) * math.cos(mean_lat)
    dy = math.radians(b[0] - a[0])
    return EARTH_RADIUS_M * math.hypot(dx, dy)


def _failed_check_ins(person_id: uuid.UUID) -> list[VisitEvent]:
    """The person's recent check-ins that were judged outside the fence."""
    return list(db.session.scalars(
        sa.select(VisitEvent)
        .join(Visit, Visit.id == VisitEvent.visit_id)
        .join(CarePackage, CarePackage.id == Visit.package_id)
        .where(CarePackage.service_user_id == person_id,
               VisitEvent.kind == EventKind.CHECK_IN, VisitEvent.verified.is_(False),
               VisitEvent.lat.is_not(None), VisitEvent.lon.is_not(None))
        .order_by(VisitEvent.device_time.desc()).limit(RECENT_EVENTS)))


def _centre(points: list[VisitEvent]) -> tuple[float, float]:
    return (sum(e.lat for e in points) / len(points), sum(e.lon for e in points) / len(points))


def find_cluster(events: list[VisitEvent], seeds: list[VisitEvent] | None = None,
                 ) -> tuple[tuple[float, float], list[VisitEvent]] | None:
    """The densest spot (centre, members) with enough visits and workers, or None.

    Clusters are grown from each of `seeds` (default: every event).
    """
    best = None
    for seed in events if seeds is None else seeds:
        members = [e for e in events
                   if _near_m((seed.lat, seed.lon), (e.lat, e.lon)) <= CLUSTER_RADIUS_M]
        centre = _centre(members)
        members = [e for e in members if _near_m(centre, (e.lat, e.lon)) <= CLUSTER_RADIUS_M]
        visits = {e.visit_id for e in members}
        workers = {e.worker_id for e in members}
        if len(visits) >= MIN_VISITS and len(workers) >= MIN_WORKERS:
            if best is None or len(members) > len(best[1]):
                best = (_centre(members), members)
    return best


def consider(person: ServiceUser, radius_m: int,
             near: tuple[float, float] | None = None) -> PinSuggestion | None:
    """Suggest a corrected pin if failed check-ins now cluster away from the home.

    `near` is the new check-in: only a cluster it could belong to is looked for, so a
    lone stray check-in costs one query and a linear pass.
    """
    if db.session.scalar(sa.select(PinSuggestion.id).where(
            PinSuggestion.service_user_id == person.id,
            PinSuggestion.status == PinStatus.SUGGESTED)) is not None:
        return None  # one open suggestion at a time
    failed = _failed_check_ins(person.id)
    seeds = None
    if near is not None:
        failed = [e for e in failed if _near_m(near, (e.lat, e.lon)) <= 2 * CLUSTER_RADIUS_M]
        if len({e.visit_id for e in failed}) < MIN_VISITS:
            return None
        seeds = [e for e in failed if _near_m(near, (e.lat, e.lon)) <= CLUSTER_RADIUS_M][:10]
    cluster = find_cluster(failed, seeds)
    if cluster is None:
        return None
    centre, members = cluster
    if distance_m(centre, (person.home_lat, person.home_lon)) <= radius_m:
        return None
    rejected = db.session.scalars(sa.select(PinSuggestion).where(
        PinSuggestion.service_user_id == person.id, PinSuggestion.status == PinStatus.REJECTED))
    if any(_near_m(centre, (r.lat, r.lon)) <= CLUSTER_RADIUS_M for r in rejected):
        return None  # a manager already said no to this spot
    suggestion = PinSuggestion(
        service_user_id=person.id, lat=centre[0], lon=centre[1],
        evidence_events=len(members), evidence_workers=len({e.worker_id for e in members}))
    db.session.add(suggestion)
    db.session.flush()
    return suggestion


def _decide(user: User, suggestion_id, status: PinStatus, now: datetime | None) -> PinSuggestion:
    suggestion = access.get_changeable(user, PinSuggestion, suggestion_id, "pin suggestion")
    if suggestion.status != PinStatus.SUGGESTED:
        raise Conflict(f"This suggestion was already {suggestion.status}.", code="already_decided")
    suggestion.status = status
    suggestion.decided_at = now or clock.now()
    suggestion.decided_by_id = user.id
    return suggestion


def accept(user: User, suggestion_id, now: datetime | None = None) -> PinSuggestion:
    """Move the person's home pin to the suggested spot, keeping the old one in the audit log."""
    suggestion = _decide(user, suggestion_id, PinStatus.ACCEPTED, now)
    person = db.session.get(ServiceUser, suggestion.service_user_id)
    db.session.add(AuditEntry(
        at=suggestion.decided_at, user_id=user.id, action="pin_moved",
        object_type="service_user", object_id=str(person.id),
        details={"from": [person.home_lat, person.home_lon],
                 "to": [suggestion.lat, suggestion.lon], "suggestion_id": str(suggestion.id)}))
    person.home_lat, person.home_lon = suggestion.lat, suggestion.lon
    db.session.flush()
    return suggestion


def reject(user: User, suggestion_id, now: datetime | None = None) -> PinSuggestion:
    """Turn a suggestion down; the same spot is not suggested again."""
    suggestion = _decide(user, suggestion_id, PinStatus.REJECTED, now)
    db.session.add(AuditEntry(
        at=suggestion.decided_at, user_id=user.id, action="pin_suggestion_rejected",
        object_type="service_user", object_id=str(suggestion.service_user_id),
        details={"suggestion_id": str(suggestion.id)}))
    db.session.flush()
    return suggestion
