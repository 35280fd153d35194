"""Step: people who sign in: care workers with home bases, a manager per provider, the
commissioners, a panel member and an admin. Every demo user shares the demo password."""
import functools
import uuid

from backend.demo.bulk import insert_rows
from backend.demo.county import DEMO_PASSWORD, DemoCounty
from backend.demo.places import FIRST_NAMES_YOUNGER, LAST_NAMES, pick_settlement, scatter
from backend.models import Role, User
from backend.services.passwords import hash_password


def add_staff(county: DemoCounty) -> None:
    """Workers spread over providers by size, managers, and the commissioning users."""
    rng = county.rng("staff")
    county.password_hash = demo_password_hash()
    rows = []

    def user(username, role, organisation_id, name, home=None, max_daily=None):
        user_id = uuid.uuid4()
        rows.append(dict(
            id=user_id, created_at=county.now, username=username, display_name=name,
            email=f"{username}@demo.example", role=role.value, organisation_id=organisation_id,
            password_hash=county.password_hash, active=True,
            home_lat=home[0] if home else None, home_lon=home[1] if home else None,
            max_daily_minutes=max_daily, failed_sign_ins=0, locked_until=None))
        return user_id

    def person_name():
        return f"{rng.choice(FIRST_NAMES_YOUNGER)} {rng.choice(LAST_NAMES)}"

    for index, (provider, workers) in enumerate(zip(county.providers, _worker_counts(county),
                                                    strict=True)):
        manager_name = "manager" if index == 0 else f"manager{index}"
        provider.manager_id = user(manager_name, Role.PROVIDER_MANAGER, provider.id,
                                   person_name())
        for number in range(workers):
            name = person_name()
            username = "carer" if index == 0 and number == 0 else \
                f"{name.split()[0][0]}{name.split()[1]}{len(rows)}".lower()
            home = scatter(rng, pick_settlement(rng, provider.areas), widen=2.0)
            max_daily = rng.choice((None, 360, 480, 600))
            provider.worker_ids.append(
                user(username, Role.CARE_WORKER, provider.id, name, home, max_daily))
    county.users["carer"] = county.providers[0].worker_ids[0]
    county.users["manager"] = county.providers[0].manager_id
    county.users["commissioner"] = user("commissioner", Role.COMMISSIONER, county.council_id,
                                        "Helen Carter (Commissioning Manager)")
    county.users["nhs"] = user("nhs", Role.COMMISSIONER, county.nhs_id,
                               "Dr Amir Hussain (CHC Lead)")
    county.users["panel"] = user("panel", Role.PANEL_MEMBER, county.council_id,
                                 "Joan Whitfield (Service User Panel)")
    county.users["admin"] = user("admin", Role.ADMIN, county.council_id, "System Administrator")
    county.count("users", insert_rows(User.__table__, rows))


@functools.cache
def demo_password_hash() -> str:
    """The demo password's argon2id hash; argon2 is slow on purpose, so once per process."""
    return hash_password(DEMO_PASSWORD)


def _worker_counts(county: DemoCounty) -> list[int]:
    """Care workers per provider, in proportion to each provider's share of the county."""
    total = county.sizes.workers
    weights = [p.weight for p in county.providers]
    exact = [total * w / sum(weights) for w in weights]
    counts = [max(2, int(x)) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: int(exact[i]) - exact[i])
    for i in by_remainder[:max(0, total - sum(counts))]:
        counts[i] += 1
    return counts

