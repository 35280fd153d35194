"""Access rules: every role against own and foreign objects, through one module."""
import pytest

from backend.errors import Forbidden, NotFound
from backend.extensions import db
from backend.models import (
    Alert, AlertKind, CarePackage, Feedback, Organisation, ServiceUser, User, Visit,
)
from backend.services.identity import access


def ids(user, model):
    return set(db.session.scalars(access.scoped(user, model)).all())


@pytest.fixture
def w(make):
    return make.world()


def test_care_worker_sees_only_own_visits(w):
    assert ids(w.worker, Visit) == {w.visit}
    assert ids(w.worker, ServiceUser) == {w.person}
    assert ids(w.worker, User) == {w.worker}
    assert ids(w.worker, Alert) == set()
    with pytest.raises(NotFound):
        access.get_visible(w.worker, Visit, w.colleague_visit.id)
    with pytest.raises(NotFound):
        access.get_visible(w.worker, Visit, w.other_visit.id)


def test_provider_manager_sees_own_provider_only(w):
    assert ids(w.manager, Visit) == {w.visit, w.colleague_visit}
    assert ids(w.manager, CarePackage) == {w.package}
    assert ids(w.manager, ServiceUser) == {w.person}
    assert w.foreign_worker not in ids(w.manager, User)
    assert {w.worker, w.other_worker, w.manager} <= ids(w.manager, User)
    assert ids(w.manager, Organisation) == {w.provider}
    with pytest.raises(NotFound):
        access.get_visible(w.manager, Visit, w.other_visit.id)
    assert ids(w.other_manager, Visit) == {w.other_visit}


def test_commissioner_sees_packages_their_organisation_funds(w):
    assert ids(w.commissioner, CarePackage) == {w.package}
    assert ids(w.commissioner, Visit) == {w.visit, w.colleague_visit}
    assert ids(w.commissioner, Organisation) == {w.council, w.provider}
    assert ids(w.nhs_commissioner, CarePackage) == {w.other_package}
    with pytest.raises(NotFound):
        access.get_visible(w.commissioner, CarePackage, w.other_package.id)


def test_joint_provider_is_split_by_funder(make, w):
    """One provider, two funders: each commissioner sees only what they pay for."""
    nhs_contract = make.contract(funder=w.nhs, provider=w.provider)
    chc = make.package(make.service_user(), contract=nhs_contract)
    assert chc not in ids(w.commissioner, CarePackage)
    assert chc in ids(w.nhs_commissioner, CarePackage)
    assert chc in ids(w.manager, CarePackage)


def test_panel_member_sees_only_own_feedback(make, w):
    mine = Feedback(provider_id=w.provider.id, submitted_by_id=w.panel.id, overall=4)
    theirs = Feedback(provider_id=w.provider.id, submitted_by_id=None, anonymous=True, overall=2)
    db.session.add_all([mine, theirs])
    db.session.flush()
    assert ids(w.panel, Feedback) == {mine}
    assert ids(w.panel, Visit) == set()
    assert ids(w.panel, ServiceUser) == set()
    # Providers see feedback only after moderation; commissioners see all they fund.
    assert ids(w.manager, Feedback) == set()
    assert ids(w.commissioner, Feedback) == {mine, theirs}
    assert ids(w.nhs_commissioner, Feedback) == set()


def test_admin_sees_everything(w):
    assert ids(w.admin, Visit) == {w.visit, w.colleague_visit, w.other_visit}
    assert ids(w.admin, CarePackage) == {w.package, w.other_package}


def test_alerts_follow_the_visit(w):
    alert = Alert(visit_id=w.visit.id, kind=AlertKind.LATE)
    foreign = Alert(visit_id=w.other_visit.id, kind=AlertKind.LATE)
    db.session.add_all([alert, foreign])
    db.session.flush()
    assert ids(w.manager, Alert) == {alert}
    assert ids(w.commissioner, Alert) == {alert}
    assert ids(w.other_manager, Alert) == {foreign}
    assert ids(w.worker, Alert) == set()


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", ""])
def test_unknown_ids_answer_not_found(w, bad_id):
    with pytest.raises(NotFound):
        access.get_visible(w.admin, Visit, bad_id)


def test_change_rules(w):
    assert access.can_change(w.manager, w.package)
    assert not access.can_change(w.commissioner, w.package)  # sees it, may not change it
    assert not access.can_change(w.other_manager, w.package)  # does not even see it
    assert access.can_change(w.worker, w.visit)
    assert not access.can_change(w.worker, w.colleague_visit)
    with pytest.raises(Forbidden):
        access.get_changeable(w.commissioner, CarePackage, w.package.id)
    with pytest.raises(NotFound):
        access.get_changeable(w.other_manager, CarePackage, w.package.id)
