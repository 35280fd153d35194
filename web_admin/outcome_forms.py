"""WTForms for goals and reablement episodes on the person's page (CSRF on every form).

The Barthel index is ten fields per form (barthel_start_feeding ...): all ten or none.
"""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from backend.models import EpisodeOutcome, FollowUpResult, GoalMeasure, OutcomeDomain
from backend.services.outcomes.reablement import BARTHEL_ITEMS
from web_admin.choices import options


def _choices(enum_cls, blank: str | None = None) -> list[tuple[str, str]]:
    first = [("", blank)] if blank else []
    return first + [(m.value, m.value.replace("_", " ")) for m in enum_cls]


class GoalForm(FlaskForm):
    """A goal set with the person."""

    description = TextAreaField("The goal, in the person's own words", validators=[
        DataRequired(message="Write the goal in the person's own words."),
        Length(max=2000)])
    domain = SelectField("Outcome domain (ASCOT)", choices=options(_choices(OutcomeDomain)))
    measure = SelectField("Measured on", choices=options([
        ("gas", "Goal Attainment Scaling (-2 to +2)"), ("scale_10", "a 0 to 10 scale"),
        ("independence", "independence (0 dependent, 1 needs help, 2 independent)")]),
        default=GoalMeasure.GAS.value)
    baseline = IntegerField("Where the person is now (baseline; GAS: -1, or -2)",
                            validators=[Optional()])
    target = IntegerField("Target (blank on the GAS scale: 0, as expected)",
                          validators=[Optional()])
    importance = IntegerField("Importance to the person (0 to 3)", default=1,
                              validators=[Optional()])
    difficulty = IntegerField("Difficulty (0 to 3)", default=1, validators=[Optional()])
    review_date = DateField("Review by", validators=[Optional()])
    package_id = SelectField("Package (optional)", validators=[Optional()])


class GoalReviewForm(FlaskForm):
    """A review: where the person is now, and the goal closed (with its outcome) or not."""

    score = IntegerField("Score now", validators=[Optional()])
    note = StringField("Note on the score", validators=[Optional(), Length(max=500)])
    status = SelectField("Goal", choices=options([
        ("", "keep open"), ("achieved", "close: achieved"),
        ("partly_achieved", "close: partly achieved"),
        ("discontinued", "close: not achieved (discontinued)"), ("active", "reopen")]),
        validators=[Optional()])
    status_reason = TextAreaField("Outcome (required when not achieved)",
                                  validators=[Optional(), Length(max=2000)])
    review_date = DateField("Next review by", validators=[Optional()])


class ScoreCorrectionForm(FlaskForm):
    """A score recorded in error, corrected: a new entry for the same moment that
    supersedes it (the original is kept). The entries are set by the page."""

    entry_id = SelectField("The score to correct", validators=[
        DataRequired(message="Choose the score to correct.")])
    # 0 is a score (GAS: as expected), so the field is required as typed, not as truthy.
    score = IntegerField("The right score",
                         validators=[InputRequired(message="Give the right score.")])
    note = StringField("Why (e.g. typed on the wrong goal)",
                       validators=[Optional(), Length(max=500)])


def _barthel(prefix: str, when: str) -> dict:
    return {f"{prefix}_{item}": IntegerField(
        f"{when}: {item.replace('_', ' ')} (0 to {top})", validators=[Optional()])
        for item, top in BARTHEL_ITEMS.items()}


class EpisodeForm(FlaskForm):
    """A reablement episode started under one of the person's packages."""

    package_id = SelectField("Package")
    start_date = DateField("Started on", validators=[
        DataRequired(message="A start date is required.")])
    from_hospital = BooleanField("Started at a discharge from hospital", default=True)
    planned_end = DateField("Planned end (blank: six weeks)", validators=[Optional()])
    weekly_minutes_start = IntegerField("Care at the start (minutes a week)",
                                        validators=[Optional()])


class DischargeForm(FlaskForm):
    """The end of an episode: its outcome (ASCOF), Barthel and hours."""

    actual_end = DateField("Ended on", validators=[
        DataRequired(message="An end date is required.")])
    outcome = SelectField("What followed", choices=options(_choices(EpisodeOutcome)))
    weekly_minutes_end = IntegerField("Care at the end (minutes a week)",
                                      validators=[Optional()])


for _form, _prefix, _when in ((EpisodeForm, "barthel_start", "Barthel at start"),
                              (DischargeForm, "barthel_end", "Barthel at end")):
    for _name, _field in _barthel(_prefix, _when).items():
        setattr(_form, _name, _field)  # WTForms' FormMeta takes fields added this way


class FollowUpForm(FlaskForm):
    """Where the person is living at the 91-day follow-up."""

    result = SelectField("At the 91-day follow-up the person is",
                         choices=options(_choices(FollowUpResult)))
    checked_on = DateField("Checked on (blank: today)", validators=[Optional()])


def barthel_items(form, prefix: str) -> dict | None:
    """The form's Barthel items as the service takes them; None when none were filled."""
    items = {item: form[f"{prefix}_{item}"].data for item in BARTHEL_ITEMS}
    return None if all(v is None for v in items.values()) else items


def barthel_aliases(prefix: str) -> dict:
    """The service's field names for Barthel items (barthel_start.feeding) to the form's."""
    return {f"{prefix}.{item}": f"{prefix}_{item}" for item in BARTHEL_ITEMS}
