"""Same-named carers told apart (issue 19, point 4): by staff reference, else username,
whenever their organisation has another person of that name, even if only one is shown."""
from backend.models import Role, VisitAssignment
from backend.services.identity.names import told_apart


def test_a_clash_within_the_organisation_is_told_apart_even_shown_alone(make):
    w = make.world()
    twin = make.user(Role.CARE_WORKER, w.provider, display_name=w.worker.display_name,
                     staff_ref="CW-9")
    namesake = make.user(Role.CARE_WORKER, w.other_provider,
                         display_name=w.other_worker.display_name)
    alone = told_apart([w.worker])
    assert alone[w.worker.id] == f"{w.worker.display_name} ({w.worker.username})"
    assert told_apart([twin])[twin.id] == f"{twin.display_name} (CW-9)"
    # The same name at another provider is no clash on a page of one provider's carers.
    assert told_apart([w.other_worker])[w.other_worker.id] == w.other_worker.display_name
    # Shown side by side (an admin's page), the two are told apart.
    both = told_apart([w.other_worker, namesake])
    assert both[w.other_worker.id] != both[namesake.id]
    assert told_apart([]) == {}


def test_the_carer_app_tells_a_same_named_co_worker_apart(make, client, bearer):
    w = make.world()
    twin = make.user(Role.CARE_WORKER, w.provider, display_name=w.other_worker.display_name,
                     staff_ref="CW-3")
    w.visit.carers_required = 2  # today's visit becomes a double-up with the namesake
    w.visit.assignments.append(VisitAssignment(worker_id=twin.id))
    make.commit()
    rota = client.get("/api/v1/me/rota", headers=bearer(w.worker)).json
    entry = next(v for v in rota["visits"] if v["id"] == str(w.visit.id))
    assert entry["co_workers"] == [f"{twin.display_name} (CW-3)"]
