"""Demo hospital stays: the discharges behind reablement that started from hospital (ASCOF 2D).

Drawn from a random stream of their own, so the episodes' stream is the same as before.
"""
import random
import uuid
from datetime import UTC, date, datetime, time, timedelta

from backend.extensions import db
from backend.models import HospitalStay

READMITTED = 0.08  # emergency readmissions within 12 weeks, roughly as published


def stay_rows(rng: random.Random, episodes: list[dict], today: date) -> list[dict]:
    """A stay ending just before (or soon after) each from-hospital episode's start, and
    now and then an emergency readmission in the twelve weeks after it."""
    rows = []
    for e in episodes:
        if not e["from_hospital"]:
            continue
        discharged = e["start_date"] - timedelta(days=rng.choice((0, 0, 0, 1, 2, 5, -1)))
        if discharged > today:
            continue
        rows.append(_row(e["service_user_id"], discharged - timedelta(days=rng.randint(2, 20)),
                         discharged))
        if rng.random() < READMITTED:
            admitted = discharged + timedelta(days=rng.randint(10, 80))
            if admitted <= today:
                left = admitted + timedelta(days=rng.randint(2, 10))
                rows.append(_row(e["service_user_id"], admitted,
                                 left if left <= today else None))
    return rows


def _row(person_id, admitted: date, discharged: date | None) -> dict:
    return dict(id=uuid.uuid4(), service_user_id=person_id, admitted_on=admitted,
                discharged_on=discharged, emergency=True,
                created_at=datetime.combine(admitted, time(12), tzinfo=UTC))


def insert_stays(rows: list[dict]) -> None:
    """Bulk insert."""
    for start in range(0, len(rows), 5000):
        db.session.execute(HospitalStay.__table__.insert(), rows[start:start + 5000])
