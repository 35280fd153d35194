"""Framework status: changed with a reason by the funder, history kept, audited."""
import pytest
import sqlalchemy as sa

from backend.errors import Forbidden, Invalid, NotFound
from backend.extensions import db
from backend.models import AuditEntry, FrameworkStatus
from backend.services.reference.framework import change_framework_status, framework_history


def test_commissioner_suspends_with_reason(make):
    w = make.world()
    change_framework_status(w.commissioner, w.provider.id, "suspended", "CQC rating inadequate")
    assert w.provider.framework_status == FrameworkStatus.SUSPENDED
    history = framework_history(w.commissioner, w.provider.id)
    assert [h.reason for h in history] == ["CQC rating inadequate"]
    entry = db.session.scalar(sa.select(AuditEntry))
    assert entry.details["previous"] == "accredited" and entry.user_id == w.commissioner.id


def test_reason_required_and_status_checked(make):
    w = make.world()
    with pytest.raises(Invalid) as err:
        change_framework_status(w.commissioner, w.provider.id, "suspended", " ")
    assert "reason" in err.value.fields
    with pytest.raises(Invalid) as err:
        change_framework_status(w.commissioner, w.provider.id, "banished", "x")
    assert "status" in err.value.fields


def test_only_the_funder_may_change(make):
    w = make.world()
    with pytest.raises(NotFound):  # another funder's provider does not exist for them
        change_framework_status(w.nhs_commissioner, w.provider.id, "suspended", "x")
    with pytest.raises(Forbidden):  # the provider's own manager sees it but may not
        change_framework_status(w.manager, w.provider.id, "removed", "x")
    change_framework_status(w.admin, w.provider.id, "removed", "contract ended")
