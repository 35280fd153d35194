"""FHIR R4 resources as JSON-ready dicts, each built from one row the queries read.

The planned visit is an Appointment, the delivered visit an Encounter (same id: the
visit's), reablement an EpisodeOfCare, a package of care a CarePlan with one activity per
weekly call, goals Goals (base R4), and Barthel totals and goal scores Observations.
"""
from backend.models import GoalStatus, PackageStatus, VisitStatus
from backend.services.fhir import codes

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
APPOINTMENT_STATUS = {
    VisitStatus.SCHEDULED: "booked", VisitStatus.IN_PROGRESS: "arrived",
    VisitStatus.COMPLETED: "fulfilled", VisitStatus.MISSED: "noshow",
    VisitStatus.NO_ACCESS: "noshow", VisitStatus.CANCELLED: "cancelled",
}
GOAL_STATUS = {
    GoalStatus.ACTIVE: ("active", "in-progress"), GoalStatus.ACHIEVED: ("completed", "achieved"),
    GoalStatus.PARTLY_ACHIEVED: ("completed", "some-progress"),
    GoalStatus.DISCONTINUED: ("cancelled", None),
}


def _instant(value) -> str | None:
    return value.isoformat() if value is not None else None


def _meta(kind: str) -> dict:
    return {"profile": [codes.PROFILES[kind]]} if kind in codes.PROFILES else {}


def patient_ref(person_id) -> dict:
    """A reference to the person's Patient resource."""
    return {"reference": f"Patient/{person_id}"}


def organisation_ref(name: str, ods_code: str | None) -> dict:
    """A provider by name and, when known, its ODS code (no Organization resource here)."""
    ref = {"display": name}
    if ods_code:
        ref["identifier"] = {"system": codes.ODS_CODE, "value": ods_code}
    return ref


def patient(r) -> dict:
    """Minimal Patient: identifiers (NHS number, council reference), name, birth, death."""
    identifiers = [{"system": codes.COUNCIL_REF, "value": r.council_ref}]
    if r.nhs_number:
        identifiers.insert(0, {"system": codes.NHS_NUMBER, "value": r.nhs_number})
    resource = {"resourceType": "Patient", "id": str(r.id), "meta": _meta("Patient"),
                "identifier": identifiers,
                "name": [{"family": r.last_name, "given": [r.first_name]}]}
    if r.date_of_birth:
        resource["birthDate"] = r.date_of_birth.isoformat()
    if r.date_of_death:
        resource["deceasedDateTime"] = r.date_of_death.isoformat()
    return resource


def appointment(r, carers: list[str]) -> dict:
    """The planned visit: when, how long, for whom, and who is on the rota."""
    participants = [{"actor": {**patient_ref(r.service_user_id)}, "status": "accepted"}]
    participants += [{"actor": {"display": name}, "status": "accepted"} for name in carers]
    resource = {
        "resourceType": "Appointment", "id": str(r.id), "meta": _meta("Appointment"),
        "status": APPOINTMENT_STATUS[VisitStatus(r.status)],
        "serviceType": [{"coding": [{"system": codes.SERVICE_TYPE, "code": str(r.package_type)}]}],
        "start": _instant(r.planned_start), "end": _instant(r.planned_end),
        "minutesDuration": r.duration_min, "participant": participants,
    }
    if r.cancel_reason:
        resource["cancelationReason"] = {"text": r.cancel_reason}
    return resource


def encounter(r, carers: list[str]) -> dict:
    """The delivered visit: the times carers were there, and who."""
    resource = {
        "resourceType": "Encounter", "id": str(r.id), "meta": _meta("Encounter"),
        "status": "finished" if r.actual_end else "in-progress", "class": codes.HOME_VISIT,
        "subject": patient_ref(r.service_user_id),
        "appointment": [{"reference": f"Appointment/{r.id}"}],
        "period": {"start": _instant(r.actual_start)},
        "participant": [{"individual": {"display": name}} for name in carers],
        "serviceProvider": organisation_ref(r.provider, r.provider_ods),
    }
    if r.actual_end:
        resource["period"]["end"] = _instant(r.actual_end)
    if r.delivered_minutes is not None:
        resource["length"] = {"value": r.delivered_minutes, "unit": "min",
                              "system": codes.UCUM, "code": "min"}
    return resource


def episode_of_care(r) -> dict:
    """A reablement episode."""
    period = {"start": r.start_date.isoformat()}
    if r.actual_end:
        period["end"] = r.actual_end.isoformat()
    return {
        "resourceType": "EpisodeOfCare", "id": str(r.id), "meta": _meta("EpisodeOfCare"),
        "status": "finished" if r.actual_end else "active",
        "type": [{"coding": [{"system": codes.SERVICE_TYPE, "code": "reablement"}]}],
        "patient": patient_ref(r.service_user_id),
        "managingOrganization": organisation_ref(r.provider, r.provider_ods), "period": period,
    }


def care_plan(r, lines: list, goal_ids: list) -> dict:
    """A package of care: its period and its weekly pattern of calls."""
    period = {"start": r.start_date.isoformat()}
    if r.end_date:
        period["end"] = r.end_date.isoformat()
    activities = [{"detail": {
        "kind": "Appointment", "status": "scheduled",
        "scheduledTiming": {"repeat": {
            "dayOfWeek": [WEEKDAYS[line.weekday]], "timeOfDay": [line.start_time.isoformat()],
            "duration": line.duration_min, "durationUnit": "min"}},
        "description": "; ".join(line.tasks or []) or "Home care visit",
    }} for line in lines]
    resource = {
        "resourceType": "CarePlan", "id": str(r.id), "meta": _meta("CarePlan"),
        "status": {PackageStatus.ACTIVE: "active", PackageStatus.ENDED: "completed"}.get(
            PackageStatus(r.status), "draft"),
        "intent": "plan",
        "category": [{"coding": [{"system": codes.SERVICE_TYPE, "code": str(r.package_type)}]}],
        "subject": patient_ref(r.service_user_id), "period": period,
        "author": organisation_ref(r.provider, r.provider_ods),
        "goal": [{"reference": f"Goal/{g}"} for g in goal_ids],
    }
    if activities:
        resource["activity"] = activities
    return resource


def goal(r) -> dict:
    """A goal in the person's own words, with its target score."""
    lifecycle, achievement = GOAL_STATUS[GoalStatus(r.status)]
    resource = {
        "resourceType": "Goal", "id": str(r.id), "lifecycleStatus": lifecycle,
        "category": [{"coding": [{"system": codes.OUTCOME_DOMAIN, "code": str(r.domain)}]}],
        "description": {"text": r.description}, "subject": patient_ref(r.service_user_id),
        "startDate": r.created_at.date().isoformat(),
        "target": [{"measure": {"coding": [{"system": codes.OBSERVATION_CODE,
                                            "code": str(r.measure)}]},
                    "detailInteger": r.target}],
    }
    if achievement:
        resource["achievementStatus"] = {"coding": [{"system": codes.GOAL_ACHIEVEMENT,
                                                     "code": achievement}]}
    if r.closed_at:
        resource["statusDate"] = r.closed_at.date().isoformat()
    return resource


def barthel_observation(r, which: str) -> dict:
    """The Barthel total at the start or the end of a reablement episode."""
    day = r.start_date if which == "start" else r.actual_end
    total = r.barthel_start_total if which == "start" else r.barthel_end_total
    return {
        "resourceType": "Observation", "id": f"barthel-{which}-{r.id}",
        "meta": _meta("Observation"), "status": "final",
        "category": [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": "survey"}]}],
        "code": {"coding": [codes.BARTHEL]}, "subject": patient_ref(r.service_user_id),
        "effectiveDateTime": day.isoformat(), "valueInteger": total,
        "focus": [{"reference": f"EpisodeOfCare/{r.id}"}],
    }


def goal_observation(r) -> dict:
    """A goal score recorded at a visit (a correction is "amended")."""
    return {
        "resourceType": "Observation", "id": str(r.id), "meta": _meta("Observation"),
        "status": "amended" if r.supersedes_id else "final",
        "category": [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": "survey"}]}],
        "code": {"coding": [{"system": codes.OBSERVATION_CODE, "code": str(r.measure)}]},
        "subject": patient_ref(r.service_user_id), "effectiveDateTime": _instant(r.recorded_at),
        "valueInteger": r.score, "focus": [{"reference": f"Goal/{r.goal_id}"}],
    }

