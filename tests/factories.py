"""Test data builders: one call makes a valid object with sensible defaults.

Objects are flushed, not committed; call `commit()` before driving the app over
HTTP so its request sees them.
"""
import itertools
from datetime import UTC, date, datetime, time, timedelta

from backend.extensions import db
from backend.models import (
    DEFAULT_RULES, CarePackage, Contract, FrameworkStatus, MonitoringRule, Organisation,
    OrganisationKind, PackageType, Priority, Role, ScheduleLine, ServiceUser, User, Visit,
    VisitAssignment, VisitTask,
)
from backend.services.dates import clock
from backend.services.identity.passwords import hash_password

_counter = itertools.count(1)
_HASHES: dict[str, str] = {}

# A home in Northampton; 0.0045 degrees of latitude is about 500 m.
HOME = (52.2405, -0.9027)


class Factory:
    """Builders for the domain objects tests need."""

    PASSWORD = "correct-horse-battery"

    def _n(self) -> int:
        return next(_counter)

    def commit(self) -> None:
        db.session.commit()

    def organisation(self, kind=OrganisationKind.PROVIDER, name=None, **kw) -> Organisation:
        n = self._n()
        if kind == OrganisationKind.PROVIDER:
            kw.setdefault("cqc_id", f"1-{100000000 + n}")
            kw.setdefault("framework_status", FrameworkStatus.ACCREDITED)
        org = Organisation(kind=kind, name=name or f"{kind.value.title()} {n}", **kw)
        db.session.add(org)
        db.session.flush()
        return org

    def provider(self, **kw) -> Organisation:
        return self.organisation(OrganisationKind.PROVIDER, **kw)

    def council(self, **kw) -> Organisation:
        return self.organisation(OrganisationKind.COUNCIL, **kw)

    def nhs(self, **kw) -> Organisation:
        return self.organisation(OrganisationKind.NHS, **kw)

    def user(self, role=Role.CARE_WORKER, organisation=None, password=None, **kw) -> User:
        role = Role(role)
        if organisation is None:
            provider_roles = (Role.CARE_WORKER, Role.PROVIDER_MANAGER)
            organisation = self.provider() if role in provider_roles else self.council()
        password = password or self.PASSWORD
        if password not in _HASHES:  # argon2 is slow on purpose; hash each password once
            _HASHES[password] = hash_password(password)
        n = self._n()
        kw.setdefault("username", f"{role.value}{n}")
        kw.setdefault("display_name", f"{role.value.replace('_', ' ').title()} {n}")
        user = User(role=role, organisation_id=organisation.id, password_hash=_HASHES[password],
                    **kw)
        db.session.add(user)
        db.session.flush()
        return user

    def contract(self, funder=None, provider=None, **kw) -> Contract:
        funder = funder or self.council()
        provider = provider or self.provider()
        contract = Contract(name=f"Contract {self._n()}", funder_id=funder.id,
                            provider_id=provider.id, starts_on=date(2020, 1, 1), **kw)
        for priority, values in DEFAULT_RULES.items():
            contract.rules.append(MonitoringRule(priority=priority, **values))
        db.session.add(contract)
        db.session.flush()
        return contract

    def service_user(self, **kw) -> ServiceUser:
        n = self._n()
        kw.setdefault("first_name", "Person")
        kw.setdefault("last_name", f"Number{n}")
        kw.setdefault("council_ref", f"CR{n:06d}")
        kw.setdefault("address", f"{n} High Street, Northampton")
        kw.setdefault("postcode", "NN1 1AA")
        kw.setdefault("home_lat", HOME[0])
        kw.setdefault("home_lon", HOME[1])
        kw.setdefault("date_of_birth", date(1940, 5, 17))
        person = ServiceUser(**kw)
        db.session.add(person)
        db.session.flush()
        return person

    def package(self, service_user=None, provider=None, funder=None, contract=None,
                schedule=(), **kw) -> CarePackage:
        """A package; schedule is a list of (weekday, "HH:MM", minutes[, carers, priority])."""
        if contract is None:
            contract = self.contract(funder=funder, provider=provider)
        kw.setdefault("package_type", PackageType.STANDARD)
        kw.setdefault("weekly_minutes", 420)
        kw.setdefault("start_date", date(2024, 1, 1))
        package = CarePackage(service_user_id=(service_user or self.service_user()).id,
                              provider_id=contract.provider_id, funder_id=contract.funder_id,
                              contract_id=contract.id, **kw)
        for line in schedule:
            weekday, hhmm, minutes, *rest = line
            hour, minute = map(int, hhmm.split(":"))
            package.schedule.append(ScheduleLine(
                weekday=weekday, start_time=time(hour, minute), duration_min=minutes,
                carers_required=rest[0] if rest else 1,
                priority=rest[1] if len(rest) > 1 else Priority.NORMAL,
                tasks=["Personal care", "Medication prompt"]))
        db.session.add(package)
        db.session.flush()
        return package

    def visit(self, package=None, start: datetime | None = None, minutes: int = 30,
              workers=(), tasks=("Personal care", "Breakfast"), **kw) -> Visit:
        """A visit (default: starting now, rounded to the minute) assigned to workers."""
        package = package or self.package()
        start = start or clock.now().replace(second=0, microsecond=0)
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        visit = Visit(package_id=package.id, contract_id=package.contract_id,
                      planned_start=start,
                      planned_end=start + timedelta(minutes=minutes),
                      local_date=start.astimezone(clock.zone()).date(), duration_min=minutes,
                      **kw)
        for position, text in enumerate(tasks):
            visit.tasks.append(VisitTask(position=position, description=text))
        for worker in workers:
            visit.assignments.append(VisitAssignment(worker_id=worker.id))
        db.session.add(visit)
        db.session.flush()
        return visit

    def world(self):
        """Two providers under one council and one NHS funder, with a user of each role."""
        return World(self)


class World:
    """A small county: for access tests, every role with own and foreign objects."""

    def __init__(self, make: Factory):
        self.council = make.council(name="Northshire County Council")
        self.nhs = make.nhs(name="Northshire ICB")
        self.provider = make.provider(name="Caring Hands")
        self.other_provider = make.provider(name="Elsewhere Care")
        self.contract = make.contract(funder=self.council, provider=self.provider)
        self.other_contract = make.contract(funder=self.nhs, provider=self.other_provider)
        self.worker = make.user(Role.CARE_WORKER, self.provider)
        self.other_worker = make.user(Role.CARE_WORKER, self.provider)
        self.foreign_worker = make.user(Role.CARE_WORKER, self.other_provider)
        self.manager = make.user(Role.PROVIDER_MANAGER, self.provider)
        self.other_manager = make.user(Role.PROVIDER_MANAGER, self.other_provider)
        self.commissioner = make.user(Role.COMMISSIONER, self.council)
        self.nhs_commissioner = make.user(Role.COMMISSIONER, self.nhs)
        self.panel = make.user(Role.PANEL_MEMBER, self.council)
        self.admin = make.user(Role.ADMIN, self.council)
        self.person = make.service_user()
        self.other_person = make.service_user()
        self.package = make.package(self.person, contract=self.contract)
        self.other_package = make.package(self.other_person, contract=self.other_contract)
        self.visit = make.visit(self.package, workers=[self.worker])
        self.colleague_visit = make.visit(self.package, workers=[self.other_worker],
                                          start=clock.now().replace(microsecond=0)
                                          + timedelta(hours=2))
        self.other_visit = make.visit(self.other_package, workers=[self.foreign_worker])
