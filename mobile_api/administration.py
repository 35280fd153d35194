"""Administration for machine clients: organisations, contracts, people, packages, care
workers and accounts; each endpoint calls the one service the pages call too."""
from mobile_api.blueprint import Blueprint

from backend.models import Role
from backend.services.administration import (
    carers, contracts, organisations, package_changes, packages, people, users,
)
from backend.services.identity.links import redeem_link
from backend.services.reference.packages import CallLine
from mobile_api import admin_schemas as s
from mobile_api.auth import BEARER, current_user, token_required

blp = Blueprint("administration", __name__, description="Setting up organisations, "
                "contracts, people, packages, care workers and accounts")
STAFF = (Role.PROVIDER_MANAGER, Role.COMMISSIONER)


def _lines(schedule) -> list[CallLine]:
    return [CallLine(**line) for line in schedule]


def _windows(availability) -> list[tuple]:
    return [(w["weekday"], w["start_time"], w["end_time"]) for w in availability]


def _link(issued, user=None) -> dict:
    # An emailed link goes to its holder only; the caller is told where it went.
    return {"user": user, "user_id": issued.link.user_id, "purpose": issued.link.purpose,
            "link": None if issued.emailed_to else issued.url,
            "emailed_to": issued.emailed_to, "expires_at": issued.link.expires_at}


@blp.get("/organisations")
@blp.doc(security=[BEARER])
@token_required()
@blp.response(200, s.OrganisationOut(many=True))
def list_organisations():
    """Organisations the caller may see."""
    return organisations.list_organisations(current_user())


@blp.post("/organisations")
@blp.doc(security=[BEARER])
@token_required(Role.ADMIN)
@blp.arguments(s.OrganisationIn)
@blp.response(201, s.OrganisationOut)
def create_organisation(data):
    """A new council, NHS body or provider (admins)."""
    return organisations.create_organisation(current_user(), data.pop("name"),
                                             data.pop("kind"), **data)


@blp.patch("/organisations/<uuid:organisation_id>")
@blp.doc(security=[BEARER])
@token_required(Role.ADMIN)
@blp.arguments(s.OrganisationChange)
@blp.response(200, s.OrganisationOut)
def update_organisation(data, organisation_id):
    """Change an organisation's name, codes or contact points (admins)."""
    return organisations.update_organisation(current_user(), organisation_id, **data)


@blp.post("/areas")
@blp.doc(security=[BEARER])
@token_required(Role.ADMIN)
@blp.arguments(s.AreaIn)
@blp.response(201, s.AreaOut)
def create_area(data):
    """A new area (lot) of the framework (admins)."""
    return organisations.create_area(current_user(), data["name"])


@blp.put("/organisations/<uuid:organisation_id>/areas")
@blp.doc(security=[BEARER])
@token_required(Role.ADMIN)
@blp.arguments(s.AreaIds)
@blp.response(200, s.OrganisationOut)
def set_provider_areas(data, organisation_id):
    """The areas a provider works in (admins)."""
    return organisations.set_provider_areas(current_user(), organisation_id, data["area_ids"])


@blp.get("/contracts")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.response(200, s.ContractOut(many=True))
def list_contracts():
    """Contracts the caller's organisation funds or delivers."""
    return contracts.list_contracts(current_user())


@blp.post("/contracts")
@blp.doc(security=[BEARER])
@token_required(Role.COMMISSIONER)
@blp.arguments(s.ContractIn)
@blp.response(201, s.ContractOut)
def create_contract(data):
    """A contract funded by the caller's organisation, with the default tolerances."""
    return contracts.create_contract(current_user(), data.pop("funder_id"),
                                     data.pop("provider_id"), data.pop("name"),
                                     data.pop("starts_on"), data.pop("ends_on", None), **data)


@blp.get("/contracts/<uuid:contract_id>")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.response(200, s.ContractTermsOut)
def contract_terms(contract_id):
    """Every term of the contract, read-only for the provider, so both sides can check a bill."""
    return contracts.contract_terms(current_user(), contract_id)


@blp.patch("/contracts/<uuid:contract_id>")
@blp.doc(security=[BEARER])
@token_required(Role.COMMISSIONER)
@blp.arguments(s.ContractChange)
@blp.response(200, s.ContractOut)
def update_contract(data, contract_id):
    """Change a contract's name, dates or terms."""
    return contracts.update_contract(current_user(), contract_id, **data)


@blp.put("/contracts/<uuid:contract_id>/call-rates")
@blp.doc(security=[BEARER])
@token_required(Role.COMMISSIONER)
@blp.arguments(s.CallRatesIn)
@blp.response(200, s.ContractTermsOut)
def set_call_rates(data, contract_id):
    """Replace the call-length rates."""
    contracts.set_call_rates(current_user(), contract_id, {
        r["duration_min"]: r["amount_pence"] for r in data["call_rates"]})
    return contracts.contract_terms(current_user(), contract_id)


@blp.put("/contracts/<uuid:contract_id>/rules/<priority>")
@blp.doc(security=[BEARER])
@token_required(Role.COMMISSIONER)
@blp.arguments(s.RuleIn)
@blp.response(200, s.RuleOut)
def set_rule(data, contract_id, priority):
    """The contract's monitoring tolerances for one priority (normal, critical)."""
    return contracts.set_monitoring_rule(current_user(), contract_id, priority, **data)


@blp.put("/contracts/<uuid:contract_id>/funders")
@blp.doc(security=[BEARER])
@token_required(Role.COMMISSIONER)
@blp.arguments(s.FundersIn)
@blp.response(200, s.ContractTermsOut)
def set_funders(data, contract_id):
    """Joint funding shares (an empty list: wholly the contract's funder)."""
    contracts.set_funders(current_user(), contract_id, {
        f["funder_id"]: f["share_pct"] for f in data["funders"]})
    return contracts.contract_terms(current_user(), contract_id)


@blp.get("/service-users")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.response(200, s.PersonOut(many=True))
def list_people():
    """People the caller may see."""
    return people.list_people(current_user())


@blp.post("/service-users")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.arguments(s.PersonIn)
@blp.response(201, s.PersonOut)
def create_person(data):
    """Record a person receiving care."""
    return people.create_person(current_user(), **data)


@blp.patch("/service-users/<uuid:service_user_id>")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.arguments(s.PersonChange)
@blp.response(200, s.PersonOut)
def update_person(data, service_user_id):
    """Change a person's details."""
    return people.update_person(current_user(), service_user_id, **data)


@blp.get("/packages")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.response(200, s.PackageOut(many=True))
def list_packages():
    """Packages the caller's organisation funds or delivers."""
    return packages.list_packages(current_user())


@blp.post("/packages")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.arguments(s.PackageIn)
@blp.response(201, s.PackageOut)
def create_package(data):
    """A package of care with its weekly pattern; pending until its start date."""
    return packages.create_package(
        current_user(), data["service_user_id"], data["contract_id"], data["package_type"],
        data["weekly_minutes"], data["start_date"], data.get("end_date"),
        _lines(data["schedule"]), data.get("reference"))


@blp.patch("/packages/<uuid:package_id>")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.arguments(s.PackageChange)
@blp.response(200, s.PackageOut)
def change_package(data, package_id):
    """Change a package's type, commissioned minutes, dates or reference."""
    return packages.change_package(current_user(), package_id, **data)


@blp.put("/packages/<uuid:package_id>/pattern")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.arguments(s.PatternIn)
@blp.response(200, s.PackageOut)
def set_pattern(data, package_id):
    """Replace the weekly pattern; future visits follow it."""
    return packages.set_pattern(current_user(), package_id, _lines(data["schedule"]))


@blp.post("/packages/<uuid:package_id>/changes")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.arguments(s.ScheduledChangeIn)
@blp.response(201, s.ScheduledChangeOut)
def schedule_change(data, package_id):
    """Change the commissioned minutes and/or the weekly pattern from a day (today or
    later): visits before it stay, visits from it follow the new pattern."""
    schedule = data.get("schedule")
    return package_changes.schedule_change(
        current_user(), package_id, data["effective_date"], data.get("weekly_minutes"),
        _lines(schedule) if schedule is not None else None)


@blp.delete("/packages/<uuid:package_id>/changes/<uuid:change_id>")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.response(204)
def cancel_change(package_id, change_id):
    """Withdraw a change not yet applied."""
    package_changes.cancel_change(current_user(), change_id, package_id)


@blp.post("/packages/<uuid:package_id>/suspensions")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.arguments(s.SuspensionIn)
@blp.response(201, s.SuspensionOut)
def suspend_package(data, package_id):
    """Suspend a package (a hospital stay): its visits on those days are cancelled."""
    return packages.suspend_package(current_user(), package_id, data["start_date"],
                                    data.get("end_date"), data["reason"])


@blp.post("/suspensions/<uuid:suspension_id>/end")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.arguments(s.LastDayIn)
@blp.response(200, s.SuspensionOut)
def end_suspension(data, suspension_id):
    """The person is back: the suspension's last day; later visits come back."""
    return packages.end_suspension(current_user(), suspension_id, data["end_date"])


@blp.post("/packages/<uuid:package_id>/end")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.arguments(s.LastDayIn)
@blp.response(200, s.PackageOut)
def end_package(data, package_id):
    """End a package on its last day."""
    return packages.end_package(current_user(), package_id, data["end_date"])


@blp.get("/care-workers")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.response(200, s.CareWorkerOut(many=True))
def list_care_workers():
    """The caller's provider's care workers."""
    return carers.list_care_workers(current_user())


@blp.post("/care-workers")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(s.CareWorkerIn)
@blp.response(201, s.CareWorkerOut)
def create_care_worker(data):
    """A new care worker, with no password: /users/{id}/reset-link gives their invitation."""
    data["availability"] = _windows(data["availability"])
    return carers.create_care_worker(current_user(), data.pop("provider_id"),
                                     data.pop("username"), data.pop("display_name"), **data)


@blp.get("/care-workers/<uuid:worker_id>")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.response(200, s.CareWorkerProfileOut)
def care_worker(worker_id):
    """A care worker with skills, working windows, leave and areas."""
    return carers.care_worker_profile(current_user(), worker_id)


@blp.patch("/care-workers/<uuid:worker_id>")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(s.CareWorkerChange)
@blp.response(200, s.CareWorkerOut)
def update_care_worker(data, worker_id):
    """Change a care worker's hours, pay, travel mode, home base or reference."""
    return carers.update_care_worker(current_user(), worker_id, **data)


@blp.put("/care-workers/<uuid:worker_id>/skills")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(s.SkillsIn)
@blp.response(200, s.CareWorkerProfileOut)
def set_skills(data, worker_id):
    """Replace what the care worker is trained for."""
    carers.set_skills(current_user(), worker_id, data["skills"])
    return carers.care_worker_profile(current_user(), worker_id)


@blp.put("/care-workers/<uuid:worker_id>/availability")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(s.AvailabilityIn)
@blp.response(200, s.CareWorkerProfileOut)
def set_availability(data, worker_id):
    """Replace the weekly working windows."""
    carers.set_availability(current_user(), worker_id, _windows(data["availability"]))
    return carers.care_worker_profile(current_user(), worker_id)


@blp.put("/care-workers/<uuid:worker_id>/areas")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(s.AreaIds)
@blp.response(200, s.CareWorkerProfileOut)
def set_worker_areas(data, worker_id):
    """Replace the areas the care worker works in."""
    carers.set_areas(current_user(), worker_id, data["area_ids"])
    return carers.care_worker_profile(current_user(), worker_id)


@blp.post("/care-workers/<uuid:worker_id>/leave")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(s.LeaveIn)
@blp.response(201, s.LeaveOut)
def add_leave(data, worker_id):
    """Days the care worker is away."""
    return carers.add_leave(current_user(), worker_id, **data)


@blp.delete("/leave/<uuid:leave_id>")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.response(204)
def cancel_leave(leave_id):
    """Remove leave that will not be taken."""
    carers.cancel_leave(current_user(), leave_id)


@blp.get("/users")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.response(200, s.UserOut(many=True))
def list_users():
    """Accounts of the caller's organisation (an admin: all)."""
    return users.list_users(current_user())


@blp.post("/users")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.arguments(s.InvitationIn)
@blp.response(201, s.AccountLinkOut)
def invite_user(data):
    """Invite a user: the answer holds their one-time link (shown once)."""
    user, issued = users.invite_user(current_user(), data["organisation_id"], data["username"],
                                     data["role"], data.get("display_name"), data.get("email"))
    return _link(issued, user)


@blp.post("/users/<uuid:user_id>/deactivate")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.response(200, s.UserOut)
def deactivate_user(user_id):
    """Deactivate an account; its sign-ins end at once."""
    return users.set_active(current_user(), user_id, False)


@blp.post("/users/<uuid:user_id>/reactivate")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.response(200, s.UserOut)
def reactivate_user(user_id):
    """Reactivate an account."""
    return users.set_active(current_user(), user_id, True)


@blp.post("/users/<uuid:user_id>/reset-link")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
@blp.response(201, s.AccountLinkOut)
def reset_link(user_id):
    """A one-time link for the user to choose a (new) password."""
    return _link(users.send_reset_link(current_user(), user_id))


@blp.post("/account/password")
@blp.arguments(s.SetPasswordIn)
@blp.response(204)
def set_password(data):
    """Choose a password with a one-time link's secret (no sign-in needed)."""
    redeem_link(data["token"], data["password"])
