"""Joint funding: this funder's share of a package, the one definition every report uses.

A package's funders are its contract's funders with their shares (contract_funders, e.g.
council 70% / ICB 30%); a contract with no such rows is paid wholly by the package's
funder. Shares are handled as whole basis points (70% = 7000 of 10000) so both databases
sum them exactly. The rule is here twice, side by side, as the rulebook keeps its rules:
as SQL for the reports that sum in the database (`Split`, `funder_column`,
`points_column`) and as its Python twin for the payment stream (`contract_shares`).

- Hours and counts: a jointly funded package counts for each funder by its share (a
  visit is 0.7 of a visit for the council and 0.3 for the ICB; an hour 0.7 and 0.3 h).
- Money: each visit's billed pence are split once per visit, to whole pence, by largest
  remainder: every funder gets its share rounded down, and the pence left over go one at
  a time to the largest fractions, the contract's own (lead) funder first on a tie. So the
  funders' amounts add up to the visit's bill exactly (70/30 of 5p: 4p and 1p).
- Who reads a report: a commissioner reads their organisation's share of every package it
  funds or co-funds; everyone else reads packages whole, split across their funders when
  the report is by funder.
"""
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from backend.extensions import db
from backend.models import CarePackage, ContractFunder, Role, User

WHOLE = 10000  # basis points: 100.00%


def share_points(pct) -> int:
    """A share percentage (e.g. Decimal('70.00')) as basis points (7000)."""
    return int((Decimal(str(pct)) * 100).to_integral_value())


def co_funded_contract_ids(funder_id):
    """Contracts in which `funder_id` holds a joint funding share."""
    return sa.select(ContractFunder.contract_id).where(ContractFunder.funder_id == funder_id)


def funded_by(funder_id):
    """WHERE clause on CarePackage: packages `funder_id` funds or co-funds. Its own
    packages by the package's funder (the planner knows how many those are), the co-funded
    ones by the few contracts it holds a share in."""
    return sa.or_(CarePackage.funder_id == funder_id,
                  CarePackage.contract_id.in_(co_funded_contract_ids(funder_id)))


def funder_column():
    """The funder of each package row once split (outer-joined contract_funders)."""
    return sa.func.coalesce(ContractFunder.funder_id, CarePackage.funder_id)


def points_column():
    """The share, in basis points, of each package row once split."""
    return sa.func.coalesce(
        sa.cast(sa.func.round(ContractFunder.share_pct * 100), sa.Integer), WHOLE)


@dataclass(frozen=True)
class Split:
    """How a report reads packages: whole (weight WHOLE), or one row per funder with its
    share in basis points, for one viewing funder or for all of them."""

    split: bool
    viewer_id: object = None

    @property
    def points(self):
        """Basis points to weigh each row by (sum(x * points) / WHOLE)."""
        return points_column() if self.split else sa.literal(WHOLE, sa.Integer)

    @property
    def funder(self):
        """The funder each row counts for."""
        return funder_column() if self.split else CarePackage.funder_id

    def apply(self, stmt: sa.Select) -> sa.Select:
        """The statement (which has CarePackage in it) with the package's funders joined,
        and for one funder only the packages it funds or co-funds."""
        stmt = self.join(stmt)
        if self.split and self.viewer_id is not None:
            stmt = stmt.where(funded_by(self.viewer_id))
        return stmt

    def join(self, stmt: sa.Select) -> sa.Select:
        """The package's funders joined, for a statement already narrowed to the packages
        its reader may see (report_scope.package_criteria: a commissioner's are the ones
        their organisation funds or co-funds). Narrowing twice by the same rule made
        PostgreSQL's planner expect half the packages and read a county-year of visits
        package by package."""
        if not self.split:
            return stmt
        if self.viewer_id is None:  # every funder's row
            return stmt.outerjoin(ContractFunder,
                                  ContractFunder.contract_id == CarePackage.contract_id)
        # One funder's rows: its own share row where the contract has shares (a small
        # hash join).
        return stmt.outerjoin(ContractFunder, sa.and_(
            ContractFunder.contract_id == CarePackage.contract_id,
            ContractFunder.funder_id == self.viewer_id))


def split_for(user: User, by_funder: bool = False) -> Split:
    """A commissioner reads their own share; others read whole, or split when by funder."""
    if user.role == Role.COMMISSIONER:
        return Split(True, user.organisation_id)
    return Split(by_funder)


def weighed(total):
    """sum(x * points) as x: an int when whole, else a Decimal to 2 places."""
    value = Decimal(total or 0) / WHOLE
    if value == value.to_integral_value():
        return int(value)
    return value.quantize(Decimal("0.01"))


def contract_shares(contract, package_funder_id) -> list[tuple]:
    """[(funder id, basis points)] of a package under `contract`, the lead funder first."""
    rows = sorted(contract.funders, key=lambda f: (f.funder_id != contract.funder_id,
                                                   str(f.funder_id)))
    if not rows:
        return [(package_funder_id, WHOLE)]
    return [(f.funder_id, share_points(f.share_pct)) for f in rows]


def split_pence(pence: int, shares: list[tuple]) -> dict:
    """{funder id: whole pence} of one visit's bill, adding up to `pence` exactly: each share
    rounded down, then the pence left over to the largest fractions (the first listed, the
    lead funder, first on a tie)."""
    if len(shares) == 1:
        return {shares[0][0]: pence}
    floors = {f: pence * p // WHOLE for f, p in shares}
    left = pence - sum(floors.values())
    order = sorted(range(len(shares)), key=lambda i: (-(pence * shares[i][1] % WHOLE), i))
    for i in order[:left]:
        floors[shares[i][0]] += 1
    return floors


def as_pct(points: int) -> Decimal:
    """Basis points as a percentage to 2 places (7000 -> 70.00)."""
    return (Decimal(points) / 100).quantize(Decimal("0.01"))


def package_points(user: User, package_ids) -> dict:
    """{package id: the reader's share in basis points} (WHOLE for all but commissioners)."""
    ids = list(package_ids)
    split = split_for(user)
    if not split.split or not ids:
        return dict.fromkeys(ids, WHOLE)
    stmt = split.apply(sa.select(CarePackage.id, split.points)).where(CarePackage.id.in_(ids))
    return dict(db.session.execute(stmt).all())
