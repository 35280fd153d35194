"""Marshmallow schemas for goals, progress corrections, reablement episodes and measures."""
from marshmallow import Schema, fields

_ints = dict(strict=True)


class GoalIn(Schema):
    description = fields.String(required=True)
    domain = fields.String(required=True)
    measure = fields.String(load_default="gas")
    baseline = fields.Integer(required=True, **_ints)
    target = fields.Integer(load_default=None, **_ints)
    importance = fields.Integer(load_default=1, **_ints)
    difficulty = fields.Integer(load_default=1, **_ints)
    review_date = fields.Date(load_default=None)
    package_id = fields.UUID(load_default=None)


class GoalReviewIn(Schema):
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    review_date = fields.Date(allow_none=True)
    description = fields.String()
    score = fields.Integer(allow_none=True, **_ints, metadata={
        "description": "where the person is now, on the goal's scale (recorded by the "
                       "reviewer, not at a visit)"})
    note = fields.String(allow_none=True)


class ProgressCorrectionIn(Schema):
    supersedes_id = fields.UUID(required=True)
    score = fields.Integer(required=True, **_ints)
    note = fields.String(load_default=None, allow_none=True)


class ProgressOut(Schema):
    id = fields.UUID()
    goal_id = fields.UUID()
    visit_id = fields.UUID(allow_none=True)
    recorded_by_id = fields.UUID()
    recorded_at = fields.DateTime()
    entered_at = fields.DateTime(allow_none=True)
    score = fields.Integer()
    note = fields.String(allow_none=True)
    supersedes_id = fields.UUID(allow_none=True)


class TimelineProgressOut(ProgressOut):
    superseded_by_id = fields.UUID(allow_none=True)


class GoalOut(Schema):
    id = fields.UUID()
    service_user_id = fields.UUID()
    package_id = fields.UUID(allow_none=True)
    description = fields.String()
    domain = fields.String()
    measure = fields.String()
    baseline = fields.Integer()
    target = fields.Integer()
    importance = fields.Integer()
    difficulty = fields.Integer()
    review_date = fields.Date(allow_none=True)
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    current_attainment = fields.Integer(allow_none=True)


class TimelineGoalOut(GoalOut):
    series = fields.List(fields.Nested(TimelineProgressOut))


class EpisodeIn(Schema):
    package_id = fields.UUID(required=True)
    start_date = fields.Date(required=True)
    from_hospital = fields.Boolean(load_default=True)
    planned_end = fields.Date(load_default=None)
    barthel_start = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                              load_default=None)
    weekly_minutes_start = fields.Integer(load_default=None, allow_none=True, **_ints)


class DischargeIn(Schema):
    actual_end = fields.Date(required=True)
    outcome = fields.String(required=True)
    barthel_end = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                              load_default=None)
    weekly_minutes_end = fields.Integer(load_default=None, allow_none=True, **_ints)


class FollowUpIn(Schema):
    result = fields.String(required=True)
    checked_on = fields.Date(load_default=None)


class MilestoneOut(Schema):
    kind = fields.String()
    date = fields.Date()


class EpisodeOut(Schema):
    id = fields.UUID()
    service_user_id = fields.UUID()
    package_id = fields.UUID(allow_none=True)
    start_date = fields.Date()
    from_hospital = fields.Boolean()
    age_at_start = fields.Integer(allow_none=True)
    planned_end = fields.Date()
    actual_end = fields.Date(allow_none=True)
    barthel_start = fields.Dict(allow_none=True)
    barthel_start_total = fields.Integer(allow_none=True)
    barthel_end = fields.Dict(allow_none=True)
    barthel_end_total = fields.Integer(allow_none=True)
    weekly_minutes_start = fields.Integer(allow_none=True)
    weekly_minutes_end = fields.Integer(allow_none=True)
    outcome = fields.String(allow_none=True)
    followup_due = fields.Date(allow_none=True)
    followup_result = fields.String(allow_none=True)
    followup_checked_on = fields.Date(allow_none=True)
    followup_reminded_at = fields.DateTime(allow_none=True)


class TimelineEpisodeOut(EpisodeOut):
    milestones = fields.List(fields.Nested(MilestoneOut))


class TimelineOut(Schema):
    service_user_id = fields.UUID()
    gas_t_score = fields.Float(allow_none=True)
    goals = fields.List(fields.Nested(TimelineGoalOut))
    episodes = fields.List(fields.Nested(TimelineEpisodeOut))


class MeasuresQuery(Schema):
    start = fields.Date(data_key="from", load_default=None)
    end = fields.Date(data_key="to", load_default=None)
    provider_id = fields.UUID(load_default=None)
    funder_id = fields.UUID(load_default=None)


class PeriodOut(Schema):
    start = fields.Date(data_key="from", attribute="from")
    end = fields.Date(data_key="to", attribute="to")


class ScopeOut(Schema):
    provider_id = fields.UUID(allow_none=True)
    funder_id = fields.UUID(allow_none=True)


class MeasuresOut(Schema):
    period = fields.Nested(PeriodOut)
    scope = fields.Nested(ScopeOut)
    # Each ASCOF figure carries numerator, denominator, value, what was left out and its
    # definition (name, sources, exclusions); see docs/outcomes.md.
    ascof_2a = fields.Dict()
    ascof_2d = fields.Dict()
    ascof_2e = fields.Dict()
    ascof_2b_91_days = fields.Dict(metadata={"description": "Earlier measure (to 2022-23)"})
    barthel_gain = fields.Dict()
    weekly_hours_reduction = fields.Dict()
    goals_achieved = fields.Dict()
    gas_t_score = fields.Dict()
