"""All models, imported here so Alembic and the app see every table."""
from backend.models.account_links import AccountLink, LinkPurpose
from backend.models.access import AccessEntry, RateLimitCounter, SignInThrottle, WebSession
from backend.models.alerts import (
    Alert, AlertKind, AlertStatus, Channel, DeliveryStatus, Notification,
)
from backend.models.audit import AuditEntry, SchedulerJobRun, SchedulerLease
from backend.models.carers import (
    CarerArea, CarerAvailability, CarerLeave, CarerSkill, LeaveKind, Skill, TravelMode,
)
from backend.models.contracts import (
    DEFAULT_RULES, BillingBasis, CallRate, Contract, ContractFunder, DoubleUpRule,
    MonitoringRule, Priority, Rounding, UnverifiedVisits,
)
from backend.models.feedback import (
    DEFAULT_FEEDBACK_SETTINGS, QUESTIONS, Feedback, FeedbackLink, FeedbackSettings,
)
from backend.models.hospital import HospitalStay
from backend.models.idempotency import IdempotencyRecord
from backend.models.organisations import (
    Area, FrameworkStatus, FrameworkStatusChange, Organisation, OrganisationKind,
)
from backend.models.outcomes import (
    MEASURE_RANGES, EpisodeOutcome, FollowUpResult, Goal, GoalMeasure, GoalProgress, GoalStatus,
    OutcomeDomain,
    ReablementEpisode,
)
from backend.models.packages import (
    CarePackage, PackageChange, PackageStatus, PackageSuspension, PackageType, ScheduleLine,
)
from backend.models.people import PinStatus, PinSuggestion, ServiceUser
from backend.models.pay import WageRate
from backend.models.rota_plans import MoveDecision, PlanStatus, RotaPlan, RotaPlanMove
from backend.models.sessions import RefreshToken
from backend.models.users import Role, User
from backend.models.visits import (
    LOCATION_ACCEPTED, NOT_DELIVERED, DeliveryConfirmation, EventKind, EventMethod, Visit,
    VisitAssignment, VisitEvent, VisitStatus, VisitTask,
)

__all__ = [
    "AccessEntry", "AccountLink", "LinkPurpose", "RateLimitCounter", "SignInThrottle",
    "WebSession",
    "Alert", "AlertKind", "AlertStatus", "Area", "AuditEntry", "BillingBasis", "CallRate",
    "CarePackage", "CarerArea", "CarerAvailability", "CarerLeave", "CarerSkill", "Channel",
    "ContractFunder", "DeliveryConfirmation", "UnverifiedVisits",
    "LeaveKind", "Skill", "TravelMode", "Contract", "DEFAULT_RULES",
    "DeliveryStatus", "DoubleUpRule",
    "EpisodeOutcome", "EventKind", "EventMethod", "Feedback", "FollowUpResult",
    "DEFAULT_FEEDBACK_SETTINGS", "QUESTIONS", "FeedbackLink", "FeedbackSettings",
    "FrameworkStatus", "FrameworkStatusChange", "Goal", "GoalMeasure", "GoalProgress",
    "GoalStatus", "HospitalStay", "IdempotencyRecord", "LOCATION_ACCEPTED", "MEASURE_RANGES",
    "MonitoringRule",
    "NOT_DELIVERED",
    "Notification", "Organisation",
    "OrganisationKind", "OutcomeDomain", "PackageStatus", "PackageSuspension", "PackageType",
    "PinStatus", "PinSuggestion", "Priority", "ReablementEpisode", "RefreshToken", "Role",
    "Rounding",
    "PackageChange", "ScheduleLine", "SchedulerJobRun", "SchedulerLease", "ServiceUser",
    "User", "Visit",
    "VisitAssignment",
    "VisitEvent", "VisitStatus", "VisitTask",
    "MoveDecision", "PlanStatus", "RotaPlan", "RotaPlanMove", "WageRate",
]
