"""Step: what each demo care worker brings to the rota: a staff reference, contracted
hours, travel mode, pay, skills and weekly working windows (their working days, the
whole span of calls, as the demo's rota assumes)."""
from datetime import time

import sqlalchemy as sa

from backend.demo.county import DemoCounty
from backend.extensions import db
from backend.models import CarerAvailability, CarerSkill, Skill, TravelMode, User
from backend.services.database.dialect import load_rows
from backend.services.database.ids import new_ids

# Share of care workers trained in each skill (medication and moving and handling are
# near-universal; PEG feeding and catheter care are specialist).
SKILL_SHARES = {Skill.MEDICATION: 0.85, Skill.MOVING_AND_HANDLING: 0.75, Skill.DOUBLE_UP: 0.6,
                Skill.DEMENTIA: 0.45, Skill.END_OF_LIFE: 0.2, Skill.CATHETER_CARE: 0.15,
                Skill.PEG_FEEDING: 0.1}
TRAVEL = [(TravelMode.DRIVING, 0.7), (TravelMode.WALKING, 0.15),
          (TravelMode.PUBLIC_TRANSPORT, 0.1), (TravelMode.CYCLING, 0.05)]
DAY_SPAN = (time(6, 45), time(23, 0))  # the first call at 07:00, the last bed call ends ~22:30
PAY_PENCE = (1221, 1380)  # from the National Living Wage (April 2025) to a senior carer's


def add_carer_profiles(county: DemoCounty) -> None:
    """Staff references, hours, pay, travel mode, skills and working windows."""
    rng = county.rng("carer profiles")
    updates, skills, windows = [], [], []
    for provider_number, provider in enumerate(county.providers, start=1):
        for number, worker_id in enumerate(provider.worker_ids, start=1):
            facts = county.workers[worker_id]
            hours = 37.5 if facts.full_time else rng.choice((16, 20, 25, 30))
            mode = rng.choices([m for m, _ in TRAVEL], [w for _, w in TRAVEL])[0]
            updates.append({"b_id": worker_id, "b_staff_ref": f"P{provider_number}-{number:04d}",
                            "b_contracted_weekly_minutes": int(hours * 60),
                            "b_max_weekly_minutes": int(min(48, hours + 10) * 60),
                            "b_travel_mode": mode.value,
                            "b_hourly_pay_pence": rng.randrange(PAY_PENCE[0], PAY_PENCE[1], 5)})
            trained = [s for s, share in SKILL_SHARES.items() if rng.random() < share]
            skills += [{"worker_id": worker_id, "skill": s.value} for s in trained]
            windows += [{"worker_id": worker_id, "weekday": day, "start_time": DAY_SPAN[0],
                         "end_time": DAY_SPAN[1]} for day in range(7)
                        if day not in facts.days_off]
    if updates:
        table = User.__table__
        db.session.execute(table.update().where(table.c.id == sa.bindparam("b_id")).values(
            {c[2:]: sa.bindparam(c) for c in updates[0] if c != "b_id"}), updates)
    for row, row_id in zip(skills + windows, new_ids(len(skills) + len(windows)), strict=True):
        row["id"] = row_id
    county.count("carer_skills", load_rows(CarerSkill.__table__, skills))
    county.count("carer_availability", load_rows(CarerAvailability.__table__, windows))
