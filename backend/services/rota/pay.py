"""A care worker's paid day: contact, travel, waiting and mileage, and the minimum-wage check.

Per worker per local day, from their visits on the rota (planned times: what the rota
asks of them; visits nobody attends still took the slot):
- contact: the visits' planned minutes;
- travel: between consecutive visits, by the rota's one travel rule (rota/travel.py);
- waiting: what is left of a gap after the travel, when it is no longer than
  ROTA_WAITING_MAX_MIN (a longer gap is the worker's own time, not waiting);
- mileage: kilometres between consecutive homes (geodesic x the road factor), for a
  worker who drives.
Pay is the worker's hourly pay for contact time (how most home care is paid). The
check: that pay, over the contact and travel time it has to cover, must be at least
the minimum wage in force that day (wage_rates: data, by date), per day and over the
period. The payroll CSV has a row per worker per day and a total per worker.
"""
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from backend.errors import Forbidden, Invalid
from backend.extensions import db
from backend.models import (
    CarePackage, Role, TravelMode, User, Visit, VisitAssignment, WageRate,
)
from backend.services.attendance.geo import distance_m
from backend.services.audit.exports import csv_lines, pounds
from backend.services.identity import access
from backend.services.rota.assignments import BUSY_STATUSES, care_workers
from backend.services.rota.travel import gap_minutes, road_factor, speed_kmh, trip_minutes


@dataclass
class PaidDay:
    """One worker's day (or, with day None, their period's total)."""

    worker: User
    day: date | None
    visits: int = 0
    contact_min: int = 0
    travel_min: int = 0
    waiting_min: int = 0
    mileage_km: float = 0.0
    pay_pence: int = 0
    floor_pence: int = 0  # the minimum wage for the contact and travel time
    rates: set = field(default_factory=set)

    @property
    def effective_pence_per_hour(self) -> float | None:
        """Pay over contact and travel time, per hour."""
        worked = self.contact_min + self.travel_min
        return self.pay_pence * 60 / worked if worked else None

    @property
    def below_minimum(self) -> bool:
        """Whether the pay falls short of the minimum wage for the time it covers."""
        return self.pay_pence < self.floor_pence


def minimum_wage(day: date) -> int:
    """The minimum wage in force on a day, pence an hour (Invalid when none recorded)."""
    rate = db.session.scalar(sa.select(WageRate.hourly_pence)
                             .where(WageRate.effective_from <= day)
                             .order_by(WageRate.effective_from.desc()).limit(1))
    if rate is None:
        raise Invalid(f"No minimum wage rate is recorded for {day}.", field="from")
    return rate


def paid_days(actor: User, first: date, last: date) -> list[PaidDay]:
    """Every care worker's paid days from first to last, each followed by their total."""
    if actor.role not in (Role.PROVIDER_MANAGER, Role.ADMIN):
        raise Forbidden("Only provider managers see their care workers' pay.")
    if last < first or (last - first).days > 31:
        raise Invalid("Choose a pay period of at most 32 days.", field="to")
    workers = care_workers(actor)
    rows = db.session.execute(
        sa.select(VisitAssignment.worker_id, Visit)
        .join(Visit, Visit.id == VisitAssignment.visit_id)
        .where(access.visible(actor, Visit), VisitAssignment.worker_id.in_(
            [w.id for w in workers]), Visit.local_date.between(first, last),
            Visit.status.in_(BUSY_STATUSES))
        .options(selectinload(Visit.package).selectinload(CarePackage.service_user),
                 selectinload(Visit.package).selectinload(CarePackage.contract))
        .order_by(Visit.planned_start)).all()
    days = defaultdict(list)
    for worker_id, visit in rows:
        days[worker_id, visit.local_date].append(visit)
    rates = {}
    result = []
    for worker in workers:
        total = PaidDay(worker, None)
        for (worker_id, day), visits in sorted(days.items(), key=lambda kv: kv[0][1]):
            if worker_id != worker.id:
                continue
            if day not in rates:
                rates[day] = minimum_wage(day)
            paid = paid_day(worker, day, visits, rates[day])
            result.append(paid)
            for name in ("visits", "contact_min", "travel_min", "waiting_min", "mileage_km",
                         "pay_pence", "floor_pence"):
                setattr(total, name, getattr(total, name) + getattr(paid, name))
            total.rates.add(rates[day])
        if total.visits:
            result.append(total)
    return result


def paid_day(worker: User, day: date, visits: list[Visit], rate_pence: int) -> PaidDay:
    """One worker's day from their visits (in start order) and the minimum wage that day."""
    paid = PaidDay(worker, day, visits=len(visits), rates={rate_pence})
    waiting_max = current_app.config["ROTA_WAITING_MAX_MIN"]
    for before, after in zip(visits, visits[1:], strict=False):
        here = _home(before)
        there = _home(after)
        trip = trip_minutes(here, there, speed_kmh(worker.travel_mode,
                                                   after.package.contract.travel_speed_kmh))
        gap = gap_minutes(before.planned_end, after.planned_start)
        paid.travel_min += trip
        if 0 < gap - trip <= waiting_max:
            paid.waiting_min += gap - trip
        if worker.travel_mode in (None, TravelMode.DRIVING):
            paid.mileage_km += distance_m(here, there) / 1000 * road_factor()
    paid.contact_min = sum(v.duration_min for v in visits)
    paid.mileage_km = round(paid.mileage_km, 2)
    paid.pay_pence = round((worker.hourly_pay_pence or 0) * paid.contact_min / 60)
    paid.floor_pence = math.ceil(rate_pence * (paid.contact_min + paid.travel_min) / 60)
    return paid


def _home(visit: Visit) -> tuple[float, float]:
    person = visit.package.service_user
    return person.home_lat, person.home_lon


COLUMNS = ["staff_ref", "worker", "date", "visits", "contact_min", "travel_min",
           "waiting_min", "mileage_km", "hourly_pay", "pay", "minimum_wage_rate",
           "minimum_for_contact_and_travel", "effective_hourly", "below_minimum_wage"]


def payroll_csv(actor: User, first: date, last: date) -> Iterator[str]:
    """The payroll CSV: a row per worker per day and a total row per worker (pounds)."""
    days = paid_days(actor, first, last)  # the period is checked before anything streams
    return csv_lines(COLUMNS, _payroll_rows(days, first, last))


def _payroll_rows(days, first: date, last: date) -> Iterator[list]:
    for paid in days:
        worker, effective = paid.worker, paid.effective_pence_per_hour
        yield [
            worker.staff_ref or "", worker.display_name,
            paid.day.isoformat() if paid.day else f"total {first}..{last}", paid.visits,
            paid.contact_min, paid.travel_min, paid.waiting_min, f"{paid.mileage_km:.2f}",
            _pounds(worker.hourly_pay_pence), _pounds(paid.pay_pence),
            "/".join(_pounds(r) for r in sorted(paid.rates)), _pounds(paid.floor_pence),
            _pounds(round(effective)) if effective is not None else "",
            "yes" if paid.below_minimum else "no"]


def _pounds(pence: int | None) -> str:
    return "" if pence is None else pounds(pence)
