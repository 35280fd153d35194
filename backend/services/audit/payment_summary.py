"""The commissioner's payment page: billed totals per provider, per week and per funder for
a period, and the jointly funded contracts the reader sees with each funder's share.

The tables come from payment.payment_totals (the billing rule applied once per visit),
and the CSV downloads are produced from the same reports, so their totals agree. A
commissioner's figures are their organisation's share of jointly funded visits; an
admin's are whole, and the funder table splits each visit across its funders.
"""
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Contract, ContractFunder, Organisation, User
from backend.services.audit import exports
from backend.services.audit.held_visits import held_visits
from backend.services.audit.payment import payment_totals
from backend.services.audit.report_scope import check_reader, parse_grouping
from backend.services.dates.periods import Period
from backend.services.identity.access import visible

TABLES = {"providers": "provider", "weeks": "week", "funders": "funder"}


def joint_contracts(user: User) -> list[dict]:
    """The jointly funded contracts the user may see: name and each funder's share."""
    check_reader(user)
    stmt = (sa.select(Contract.id, Contract.name, Organisation.name, ContractFunder.share_pct,
                      ContractFunder.funder_id == Contract.funder_id)
            .join(ContractFunder, ContractFunder.contract_id == Contract.id)
            .join(Organisation, Organisation.id == ContractFunder.funder_id)
            .where(visible(user, Contract))
            .order_by(Contract.name, Contract.id, ContractFunder.share_pct.desc()))
    found: dict = {}
    for contract_id, name, funder, share, lead in db.session.execute(stmt):
        entry = found.setdefault(contract_id, {"contract": name, "funders": []})
        entry["funders"].append({"funder": funder, "share_pct": share, "lead": lead})
    return list(found.values())


def payment_summary(user: User, period: Period) -> dict:
    """{period, providers, weeks, funders, joint, held}: payment totals grouped by provider,
    by week and by funder, the jointly funded contracts behind them, and the visits held for
    a manager's confirmation or confirmed (held_visits)."""
    return {"period": period,
            **{name: payment_totals(user, period, parse_grouping(group))
               for name, group in TABLES.items()},
            "joint": joint_contracts(user), "held": held_visits(user, period)}


def payment_table_csv(user: User, period: Period, table: str):
    """The CSV lines of one of the page's tables ('providers', 'weeks' or 'funders')."""
    return exports.payment_csv(payment_totals(user, period, parse_grouping(TABLES[table])))
