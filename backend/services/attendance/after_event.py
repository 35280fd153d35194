"""What an accepted event calls for beyond the visit's state: steps of the pipeline.

A check-out may carry the tasks done, progress on the person's goals and a concern; a
"no access" tells the office at once;
a check-in outside the geofence may be one more sign that the home's map pin is
wrong. Each step runs only when the event calls for it. `check_payload` runs before
the event is appended, so a bad task or goal refuses the event with nothing written.
"""
import uuid
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa

from backend.errors import Invalid
from backend.extensions import db
from backend.models import EventKind, Goal, ServiceUser, User, Visit, VisitEvent, VisitTask
from backend.services.attendance import judging, pins
from backend.services.identity import access
from backend.services.monitoring import concerns, no_access
from backend.services.outcomes import goal_progress


def check_payload(worker: User, visit, kind: EventKind, data: dict) -> None:
    """Tasks belong to the visit; goals exist and belong to the person visited."""
    if kind != EventKind.CHECK_OUT:
        return
    tasks = data.get("tasks") or []
    task_ids = set(db.session.scalars(sa.select(VisitTask.id).where(
        VisitTask.visit_id == visit.visit_id))) if tasks else set()
    seen = set()
    for n, task in enumerate(tasks):
        if task["task_id"] not in task_ids or task["task_id"] in seen:
            raise Invalid("That task is not on this visit (or is listed twice).",
                          fields={"tasks": {str(n): {"task_id": ["Not a task of this visit."]}}})
        seen.add(task["task_id"])
    for n, entry in enumerate(data.get("goal_progress") or []):
        goal = db.session.scalar(access.scoped(worker, Goal).where(Goal.id == entry["goal_id"]))
        if goal is None or goal.service_user_id != visit.service_user_id:
            raise Invalid("That goal is not one of this person's goals.",
                          fields={"goal_progress": {str(n): {"goal_id": ["Unknown goal."]}}})
        try:
            goal_progress.check_progress(goal, entry["score"])
        except Invalid as exc:
            raise Invalid(exc.message, fields={"goal_progress": {str(n): exc.fields}}) from None


def react(visit, event: dict, now: datetime) -> None:
    """The steps this event calls for, after the visit's state is rewritten."""
    kind = event["kind"]
    if kind == EventKind.CHECK_OUT:
        if event["details"].get("tasks"):
            _cache_task_outcomes(visit.visit_id)
        if event["details"].get("goal_progress"):
            _record_goal_progress(visit.visit_id, event)
        if judging.raises_concern(event):
            concerns.raise_concern(visit.visit_id, event, now)
    if kind == EventKind.NO_ACCESS:
        no_access.tell_the_office(visit.visit_id, event, now)
    if kind == EventKind.CHECK_IN and event["verified"] is False and not event["mock_location"]:
        person = db.session.get(ServiceUser, visit.service_user_id)
        pins.consider(person, visit.person_radius_m or visit.geofence_radius_m,
                      near=(event["lat"], event["lon"]))


_CHECK_OUT_TASKS = sa.select(VisitEvent.details).where(
    VisitEvent.visit_id == sa.bindparam("visit_id"), VisitEvent.kind == EventKind.CHECK_OUT
).order_by(VisitEvent.device_time, VisitEvent.worker_id)


def _cache_task_outcomes(visit_id: uuid.UUID) -> None:
    """Each task's outcome from the latest check-out (by device time) that mentions it;
    a check-out that reports no task leaves every task's cached outcome as it was."""
    outcomes: dict[str, dict] = {}
    for details in db.session.scalars(_CHECK_OUT_TASKS, {"visit_id": visit_id}):
        for task in (details or {}).get("tasks", []):
            outcomes[task["task_id"]] = task
    for task in db.session.scalars(sa.select(VisitTask).where(VisitTask.visit_id == visit_id)):
        outcome = outcomes.get(str(task.id))
        if outcome is not None:
            task.done = outcome["done"]
            task.not_done_reason = None if outcome["done"] else outcome.get("reason")


def _record_goal_progress(visit_id: uuid.UUID, event: dict) -> None:
    """Each progress entry of the check-out (checked by check_payload before appending)."""
    visit = db.session.get(Visit, visit_id)
    worker = db.session.get(User, event["worker_id"])
    for entry in event["details"]["goal_progress"]:
        goal = db.session.get(Goal, uuid.UUID(entry["goal_id"]))
        goal_progress.record_progress(goal, worker, entry["score"], entry.get("note"),
                                      visit=visit, event=SimpleNamespace(id=event["id"]),
                                      recorded_at=event["device_time"])
