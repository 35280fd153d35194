"""Carers are told of changes to today's and tomorrow's rota: outbox rows, and the carer
app's rota carries the unread ones for its "rota changed" banner until they are read."""
from datetime import time, timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Channel, Notification
from backend.services.dates import clock
from backend.services.rota.assignments import assign_worker, unassign_worker


def notices(worker):
    return db.session.scalars(sa.select(Notification).where(
        Notification.recipient_user_id == worker.id).order_by(Notification.subject)).all()


def test_a_change_for_tomorrow_tells_both_carers_and_next_week_tells_nobody(make):
    w = make.world()
    tomorrow = clock.today() + timedelta(days=1)
    visit = make.visit(w.package, start=clock.local_to_utc(tomorrow, time(10, 0)),
                       workers=[w.worker])
    later = make.visit(w.package, start=clock.local_to_utc(tomorrow + timedelta(days=7),
                                                           time(10, 0)), workers=[w.worker])
    assign_worker(w.manager, visit.id, w.other_worker.id, replacing_id=w.worker.id)
    assign_worker(w.manager, later.id, w.other_worker.id, replacing_id=w.worker.id)
    [gone] = notices(w.worker)
    [came] = notices(w.other_worker)
    assert gone.channel == Channel.INBOX and came.channel == Channel.INBOX
    assert gone.body == f"You no longer visit {w.person.name} at 10:00 tomorrow."
    assert came.body == f"You now visit {w.person.name} at 10:00 tomorrow."
    unassign_worker(w.manager, visit.id, w.other_worker.id)
    assert [n.subject.split(":")[0] for n in notices(w.other_worker)] == [
        "Rota changed tomorrow", "Rota changed tomorrow"]


def test_the_carer_app_rota_carries_the_banner_until_read(make, client, bearer, midday):
    """The world's own call is at noon, so a call at 23:00 never overlaps it."""
    w = make.world()
    today = clock.today()
    visit = make.visit(w.package, start=clock.local_to_utc(today, time(23, 0)), workers=[])
    assign_worker(w.manager, visit.id, w.worker.id)
    make.commit()
    rota = client.get("/api/v1/me/rota", headers=bearer(w.worker)).get_json()
    [change] = rota["rota_changes"]
    assert change["body"] == f"You now visit {w.person.name} at 23:00 today."
    assert client.get("/api/v1/me/rota", headers=bearer(w.other_worker)).get_json()[
        "rota_changes"] == []
    read = client.post(f"/api/v1/notifications/{change['id']}/read", headers=bearer(w.worker))
    assert read.status_code == 200
    assert client.get("/api/v1/me/rota", headers=bearer(w.worker)).get_json()[
        "rota_changes"] == []
