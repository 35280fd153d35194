"""The demo feedback step: a spread around the baseline, too-few providers, unused links."""
import random
from datetime import date

import sqlalchemy as sa

from backend.demo.feedback import add_feedback
from backend.extensions import db
from backend.models import Feedback, FeedbackLink
from backend.services.feedback.figures import satisfaction_report


def test_demo_feedback_spread(make):
    w = make.world()
    for n in range(7):
        make.contract(funder=w.council, provider=make.provider(name=f"Demo Care {n}"))
    add_feedback(random.Random(7), date(2026, 11, 20))
    rows = db.session.scalars(sa.select(Feedback)).all()
    assert len(rows) > 60
    assert any(r.anonymous and r.submitted_by_id is None for r in rows)
    assert all(r.submitted_by_id in (None, w.panel.id) for r in rows)
    assert not any(r.anonymous and r.submitted_by_id for r in rows)
    satisfied = sum(r.overall >= 4 for r in rows) / len(rows)
    assert 0.4 < satisfied < 0.8
    links = db.session.scalars(sa.select(FeedbackLink)).all()
    assert len(links) == 2 and all(link.used_at is None for link in links)
    report = satisfaction_report(w.commissioner, date(2026, 5, 20), date(2026, 11, 20))
    assert report.ranked and len(report.ranked) + len(report.too_few) == 8
    assert report.too_few and all(p.responses < 10 for p in report.too_few)
