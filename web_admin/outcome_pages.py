"""The person's page, and its forms for goals and reablement episodes: set a goal, review
it (a score now, closed with its outcome, or reopened), start an episode, end it with its
outcome, record the 91-day follow-up. Each form calls the one service the API calls
(backend/services/outcomes/); a refused form is shown again with what was typed and the
field named."""
from flask import Blueprint, flash, redirect, render_template, url_for

from backend.errors import DomainError, NotFound
from backend.models import MEASURE_RANGES, Role
from backend.services.dates import clock
from backend.services.outcomes import goals, reablement
from backend.services.outcomes.gas import score_words
from backend.services.reference.person_record import person_record
from web_admin.admin_support import refuse
from web_admin.auth import current_user, login_required
from web_admin.charts import line_chart
from web_admin.outcome_forms import (
    DischargeForm, EpisodeForm, FollowUpForm, GoalForm, GoalReviewForm, ScoreCorrectionForm,
    barthel_aliases, barthel_items,
)
from web_admin.choices import options

bp = Blueprint("outcome_pages", __name__)


def _review_form(goal_id, data=None) -> GoalReviewForm:
    prefix = f"review-{goal_id.hex}"
    return GoalReviewForm(prefix=prefix) if data else GoalReviewForm(formdata=None,
                                                                      prefix=prefix)


def _correction_form(goal, data=None) -> ScoreCorrectionForm:
    """The form correcting one of a goal's standing scores, newest first."""
    prefix = f"correct-{goal.id.hex}"
    form = ScoreCorrectionForm(prefix=prefix) if data else ScoreCorrectionForm(
        formdata=None, prefix=prefix)
    form.entry_id.choices = options([("", "Choose ...")] + [
        (str(e.id), f"{e.recorded_at.astimezone(clock.zone()):%-d %b %Y %H:%M}: "
                    f"{score_words(goal.measure, e.score)}")
        for e in reversed(goal.standing_series)])
    return form


def _package_choices(record) -> list[tuple[str, str]]:
    return [(str(p.id), f"{p.package_type.value.replace('_', ' ')} from {p.start_date:%-d %b %Y}"
             f" ({p.reference or 'no reference'})") for p in record["packages"]]


def render_person(person_id, forms: dict | None = None, status: int = 200):
    """The person's page; `forms` holds a refused form to show again (by its key)."""
    record = person_record(current_user(), person_id)
    forms = forms or {}
    charts = {}
    for goal in record["goals"]:
        low, high = MEASURE_RANGES[goal.measure]
        # The baseline when the goal was set starts the line, so a goal achieved with
        # one score (or none yet) still draws where it began.
        points = [(f"set {goal.created_at.astimezone(clock.zone()):%-d %b}", goal.baseline)]
        points += [(e.recorded_at.astimezone(clock.zone()).strftime("%-d %b"), e.score)
                   for e in goal.standing_series]
        charts[goal.id] = line_chart(f"Progress: {goal.description}", points, low, high,
                                     target=goal.target)
    shown = {}
    if record["may_change"]:
        packages = _package_choices(record)
        shown["goal"] = forms.get("goal") or GoalForm(formdata=None, prefix="goal")
        shown["goal"].package_id.choices = options([("", "-")] + packages)
        shown["episode"] = forms.get("episode") or EpisodeForm(formdata=None, prefix="episode")
        shown["episode"].package_id.choices = options(packages)
        for goal in record["goals"]:
            shown[goal.id] = forms.get(goal.id) or _review_form(goal.id)
            if goal.standing_series:
                shown[("correct", goal.id)] = forms.get(("correct", goal.id)) or \
                    _correction_form(goal)
        for episode in record["episodes"]:
            if episode.actual_end is None:
                shown[episode.id] = forms.get(episode.id) or DischargeForm(
                    formdata=None, prefix=f"end-{episode.id.hex}")
            elif episode.followup_result is None:
                shown[episode.id] = forms.get(episode.id) or FollowUpForm(
                    formdata=None, prefix=f"follow-{episode.id.hex}")
    return render_template("person.html", r=record, charts=charts, zone=clock.zone(),
                           words=score_words, forms=shown), status


def _refused(person_id, key, form, exc: DomainError, aliases: dict | None = None):
    refuse(form, exc, aliases)
    return render_person(person_id, {key: form}, exc.status)


def _done(person_id, message: str, anchor: str):
    flash(message, "ok")
    return redirect(url_for("manager.person", person_id=person_id, _anchor=anchor))


@bp.post("/people/<uuid:person_id>/goals")
@login_required(Role.PROVIDER_MANAGER)
def set_goal(person_id):
    """Set a goal with the person."""
    form = GoalForm(prefix="goal")
    form.package_id.choices = options([("", "-")] + _package_choices(
        person_record(current_user(), person_id)))
    if not form.validate_on_submit():
        return render_person(person_id, {"goal": form}, 422)
    try:
        goals.create_goal(
            current_user(), person_id, form.description.data, form.domain.data,
            form.baseline.data, target=form.target.data, measure=form.measure.data,
            importance=form.importance.data, difficulty=form.difficulty.data,
            review_date=form.review_date.data, package_id=form.package_id.data or None)
    except DomainError as exc:
        return _refused(person_id, "goal", form, exc)
    return _done(person_id, "Goal set.", "goals-h")


@bp.post("/people/<uuid:person_id>/goals/<uuid:goal_id>/review")
@login_required(Role.PROVIDER_MANAGER)
def review_goal(person_id, goal_id):
    """Review a goal: a score now, closed with its outcome, or reopened."""
    form = _review_form(goal_id, data=True)
    if not form.validate_on_submit():
        return render_person(person_id, {goal_id: form}, 422)
    changes = {}
    if form.review_date.data is not None:
        changes["review_date"] = form.review_date.data
    if form.status.data:
        changes["status"] = form.status.data
    if (form.status_reason.data or "").strip():
        changes["status_reason"] = form.status_reason.data
    try:
        goal = goals.review_goal(current_user(), goal_id, score=form.score.data,
                                 note=form.note.data, **changes)
    except DomainError as exc:
        return _refused(person_id, goal_id, form, exc)
    return _done(goal.service_user_id, "Goal reviewed.", "goals-h")


@bp.post("/people/<uuid:person_id>/goals/<uuid:goal_id>/corrections")
@login_required(Role.PROVIDER_MANAGER)
def correct_score(person_id, goal_id):
    """Correct a score recorded in error: a new entry supersedes it; the original stays."""
    record = person_record(current_user(), person_id)
    goal = next((g for g in record["goals"] if g.id == goal_id), None)
    if goal is None:
        raise NotFound("No goal with that id.")
    key = ("correct", goal_id)
    form = _correction_form(goal, data=True)
    if not form.validate_on_submit():
        return render_person(person_id, {key: form}, 422)
    try:
        goals.correct_progress(current_user(), goal_id, form.entry_id.data, form.score.data,
                               note=form.note.data or None)
    except DomainError as exc:
        return _refused(person_id, key, form, exc, {"supersedes_id": "entry_id"})
    return _done(person_id, "Score corrected; the original is kept.", "goals-h")


@bp.post("/people/<uuid:person_id>/episodes")
@login_required(Role.PROVIDER_MANAGER)
def start_episode(person_id):
    """Start a reablement episode under one of the person's packages."""
    form = EpisodeForm(prefix="episode")
    form.package_id.choices = options(_package_choices(person_record(current_user(), person_id)))
    if not form.validate_on_submit():
        return render_person(person_id, {"episode": form}, 422)
    try:
        reablement.start_episode(
            current_user(), person_id, form.package_id.data, form.start_date.data,
            from_hospital=form.from_hospital.data, planned_end=form.planned_end.data,
            barthel_start=barthel_items(form, "barthel_start"),
            weekly_minutes_start=form.weekly_minutes_start.data)
    except DomainError as exc:
        return _refused(person_id, "episode", form, exc, barthel_aliases("barthel_start"))
    return _done(person_id, "Reablement episode started.", "episodes-h")


@bp.post("/people/<uuid:person_id>/episodes/<uuid:episode_id>/end")
@login_required(Role.PROVIDER_MANAGER)
def end_episode(person_id, episode_id):
    """End an episode with its outcome; the 91-day follow-up is scheduled."""
    form = DischargeForm(prefix=f"end-{episode_id.hex}")
    if not form.validate_on_submit():
        return render_person(person_id, {episode_id: form}, 422)
    try:
        episode = reablement.discharge(
            current_user(), episode_id, form.actual_end.data, form.outcome.data,
            barthel_end=barthel_items(form, "barthel_end"),
            weekly_minutes_end=form.weekly_minutes_end.data)
    except DomainError as exc:
        return _refused(person_id, episode_id, form, exc, barthel_aliases("barthel_end"))
    return _done(episode.service_user_id, "Reablement episode ended.", "episodes-h")


@bp.post("/people/<uuid:person_id>/episodes/<uuid:episode_id>/follow-up")
@login_required(Role.PROVIDER_MANAGER)
def follow_up(person_id, episode_id):
    """Record where the person is living at the 91-day follow-up."""
    form = FollowUpForm(prefix=f"follow-{episode_id.hex}")
    if not form.validate_on_submit():
        return render_person(person_id, {episode_id: form}, 422)
    try:
        episode = reablement.record_followup(current_user(), episode_id, form.result.data,
                                             form.checked_on.data)
    except DomainError as exc:
        return _refused(person_id, episode_id, form, exc)
    return _done(episode.service_user_id, "Follow-up recorded.", "episodes-h")
