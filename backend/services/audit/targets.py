"""The contract targets a provider is measured against, and red/amber/green, defined once.

A commissioner may hold several contracts with one provider: the provider is measured
against the most demanding target among the contracts of packages the user may see.
Green: at or above the target; amber: below it by no more than the contract's amber
margin; red: further below. No figure (nothing to measure): no rating.
"""
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from backend.extensions import db
from backend.models import CarePackage, Contract, User
from backend.services.audit.report_scope import package_criteria

GREEN, AMBER, RED = "green", "amber", "red"


@dataclass(frozen=True)
class Targets:
    """One provider's targets, in percent."""

    home_logging_pct: int
    delivery_pct: int
    amber_margin_pct: int


def provider_targets(user: User, provider_id=None) -> dict:
    """{provider id: Targets} over the contracts of the packages the user may see."""
    stmt = (sa.select(CarePackage.provider_id, sa.func.max(Contract.home_logging_target_pct),
                      sa.func.max(Contract.delivery_target_pct),
                      sa.func.min(Contract.rag_amber_margin_pct))
            .join(Contract, Contract.id == CarePackage.contract_id)
            .where(*package_criteria(user, provider_id)).group_by(CarePackage.provider_id))
    return {row[0]: Targets(*row[1:]) for row in db.session.execute(stmt)}


def rag(value_pct, target_pct, margin_pct) -> str | None:
    """green, amber or red for a share against its target; None when there is no share."""
    if value_pct is None or target_pct is None:
        return None
    value = Decimal(str(value_pct))
    if value >= target_pct:
        return GREEN
    return AMBER if value >= target_pct - margin_pct else RED
