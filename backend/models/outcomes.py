"""Outcome goals set with the person, progress per visit, and reablement episodes."""
import enum
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import CreatedMixin, IdMixin, UTCDateTime, enum_type, utcnow


class OutcomeDomain(enum.StrEnum):
    """The eight ASCOT social care outcome domains."""

    PERSONAL_CARE = "personal_care"
    FOOD_AND_DRINK = "food_and_drink"
    SAFETY = "safety"
    ACCOMMODATION = "accommodation"
    OCCUPATION = "occupation"
    SOCIAL_PARTICIPATION = "social_participation"
    CONTROL = "control"
    DIGNITY = "dignity"


class GoalMeasure(enum.StrEnum):
    GAS = "gas"  # Goal Attainment Scaling, -2..+2
    SCALE_10 = "scale_10"  # 0..10
    INDEPENDENCE = "independence"  # 0 dependent, 1 needs help, 2 independent


# The scores each measure allows, inclusive.
MEASURE_RANGES = {GoalMeasure.GAS: (-2, 2), GoalMeasure.SCALE_10: (0, 10),
                  GoalMeasure.INDEPENDENCE: (0, 2)}


class GoalStatus(enum.StrEnum):
    ACTIVE = "active"
    ACHIEVED = "achieved"
    PARTLY_ACHIEVED = "partly_achieved"
    DISCONTINUED = "discontinued"


class Goal(IdMixin, CreatedMixin, db.Model):
    """A goal in the person's own words."""

    __tablename__ = "goals"

    service_user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("service_users.id"), index=True)
    package_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("care_packages.id"))
    description: Mapped[str] = mapped_column(sa.Text)
    domain: Mapped[OutcomeDomain] = mapped_column(enum_type(OutcomeDomain))
    measure: Mapped[GoalMeasure] = mapped_column(enum_type(GoalMeasure), default=GoalMeasure.GAS)
    baseline: Mapped[int]
    target: Mapped[int]
    importance: Mapped[int] = mapped_column(default=1)
    difficulty: Mapped[int] = mapped_column(default=1)
    review_date: Mapped[date | None]
    status: Mapped[GoalStatus] = mapped_column(enum_type(GoalStatus), default=GoalStatus.ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    # When the goal left "active" (achieved, partly achieved, discontinued); None while active.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))

    progress: Mapped[list["GoalProgress"]] = relationship(
        back_populates="goal", order_by="GoalProgress.recorded_at")


class GoalProgress(IdMixin, db.Model):
    """A score recorded for a goal, usually at check-out. Edits supersede, never overwrite."""

    __tablename__ = "goal_progress"
    __table_args__ = (
        sa.Index("ix_goal_progress_goal_time", "goal_id", "recorded_at"),
        # An entry is corrected at most once; a later correction corrects the correction.
        sa.UniqueConstraint("supersedes_id", name="uq_goal_progress_supersedes"),
    )

    goal_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("goals.id"))
    visit_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("visits.id"), index=True)
    event_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("visit_events.id"))
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    score: Mapped[int]
    note: Mapped[str | None] = mapped_column(sa.Text)
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("goal_progress.id"))
    # When the row was written: a correction keeps the moment it describes in recorded_at.
    entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)

    goal: Mapped[Goal] = relationship(back_populates="progress")


class EpisodeOutcome(enum.StrEnum):
    """ASCOF 2D categories, plus reasons an episode ended early."""

    NO_FURTHER_SUPPORT = "no_further_support"
    LOW_LEVEL_SUPPORT = "low_level_support"
    OTHER_SHORT_TERM = "other_short_term"
    LONG_TERM_SUPPORT = "long_term_support"
    RESIDENTIAL_OR_NURSING = "residential_or_nursing"
    DIED = "died"
    HOSPITAL = "hospital"
    DECLINED = "declined"


class FollowUpResult(enum.StrEnum):
    AT_HOME = "at_home"
    IN_HOSPITAL = "in_hospital"
    CARE_HOME = "care_home"
    DIED = "died"
    NOT_CONTACTABLE = "not_contactable"


class ReablementEpisode(IdMixin, CreatedMixin, db.Model):
    """Short-term care aimed at independence, measured as commissioners report it."""

    __tablename__ = "reablement_episodes"
    __table_args__ = (
        sa.Index("ix_reablement_episodes_start", "start_date"),
        sa.Index("ix_reablement_episodes_end", "actual_end"),
        sa.Index("ix_reablement_episodes_followup_due", "followup_due"),
        # One episode in progress per person.
        sa.Index("uq_reablement_episode_open", "service_user_id", unique=True,
                 sqlite_where=sa.text("actual_end IS NULL"),
                 postgresql_where=sa.text("actual_end IS NULL")),
    )

    service_user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("service_users.id"), index=True)
    package_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("care_packages.id"), index=True)
    start_date: Mapped[date]
    from_hospital: Mapped[bool] = mapped_column(default=True)
    planned_end: Mapped[date]
    actual_end: Mapped[date | None]
    # Barthel index: ten items as {"feeding": 2, ...}; totals 0..20.
    barthel_start: Mapped[dict | None] = mapped_column(sa.JSON)
    barthel_start_total: Mapped[int | None]
    barthel_end: Mapped[dict | None] = mapped_column(sa.JSON)
    barthel_end_total: Mapped[int | None]
    weekly_minutes_start: Mapped[int | None]
    weekly_minutes_end: Mapped[int | None]
    outcome: Mapped[EpisodeOutcome | None] = mapped_column(enum_type(EpisodeOutcome))
    followup_due: Mapped[date | None]
    followup_result: Mapped[FollowUpResult | None] = mapped_column(enum_type(FollowUpResult))
    followup_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followup_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Age on start_date (the hospital discharge date when from_hospital), for ASCOF 2B's 65+.
    age_at_start: Mapped[int | None]
    followup_checked_on: Mapped[date | None]
    followup_recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
