"""A fresh install's first organisation and admin, and accounts by one-time link:
invitation, deactivation, reset."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.errors import Invalid, NotFound
from backend.extensions import db
from backend.models import AccountLink, Organisation, Role, User
from backend.services.administration import users
from backend.services.dates import clock
from backend.services.identity.links import find_link, redeem_link

LINK = re.compile(r"http\S+/account/password/(\S+)")


def test_setup_gives_a_fresh_install_its_first_admin(runner, client, auth):
    result = runner.invoke(args=["setup", "--organisation", "Your Council", "--ods-code", "926",
                                 "--username", "Admin", "--email", "it@your.council"])
    assert result.exit_code == 0, result.output
    token = LINK.search(result.output).group(1)
    council = db.session.scalar(sa.select(Organisation))
    admin = db.session.scalar(sa.select(User))
    assert (council.name, council.kind.value, council.ods_code) == ("Your Council", "council",
                                                                    "926")
    assert admin.role == Role.ADMIN and admin.username == "admin"
    assert auth.login("admin", "").status_code != 302  # no password until the link is used

    page = client.get(f"/account/password/{token}")
    assert page.status_code == 200 and b"choose your password" in page.data
    refused = client.post(f"/account/password/{token}",
                          data={"password": "a-long-secret", "confirm": "another-secret"})
    assert refused.status_code == 422 and b"The two passwords differ." in refused.data
    done = client.post(f"/account/password/{token}",
                       data={"password": "a-long-secret", "confirm": "a-long-secret"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert auth.login("admin", "a-long-secret").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, admin.id).last_sign_in_at is not None
    assert client.get(f"/account/password/{token}").status_code == 404  # works once

    again = runner.invoke(args=["setup", "--organisation", "Other Council"])
    assert again.exit_code != 0 and "already has an administrator" in again.output


def test_users_create_names_the_setup_command(runner):
    result = runner.invoke(args=["users", "create", "admin", "--role", "admin",
                                 "--organisation", "Your Council", "--password", "x" * 10])
    assert result.exit_code != 0 and "flask setup --organisation" in result.output


def test_invitation_roles_and_reset(make):
    world = make.world()
    worker, issued = users.invite_user(world.manager, world.provider.id, "new.carer",
                                       "care_worker", "New Carer", "new@carer.example")
    assert issued.url.startswith("http") and issued.token not in issued.link.token_hash
    with pytest.raises(Invalid) as err:
        users.invite_user(world.manager, world.provider.id, "boss", "admin")
    assert "role" in err.value.fields
    with pytest.raises(Invalid) as err:
        redeem_link(issued.token, "short")
    assert "password" in err.value.fields
    redeem_link(issued.token, "long-enough-secret")
    with pytest.raises(NotFound):
        redeem_link(issued.token, "another-long-secret")

    first = users.send_reset_link(world.manager, worker.id)
    second = users.send_reset_link(world.manager, worker.id)
    with pytest.raises(NotFound):  # a newer link replaces the older
        find_link(first.token)
    with pytest.raises(NotFound):  # and a link expires
        find_link(second.token, now=clock.now() + timedelta(hours=25))
    with pytest.raises(NotFound):  # another provider's manager cannot reach the account
        users.send_reset_link(world.other_manager, worker.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountLink)) == 3


def test_deactivation_ends_sign_ins(make, client, bearer, auth):
    world = make.world()
    headers = bearer(world.worker)
    make.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    users.set_active(world.manager, world.worker.id, False)
    with pytest.raises(Invalid):
        users.set_active(world.manager, world.manager.id, False)
    with pytest.raises(Invalid):  # only an admin changes an admin
        users.set_active(world.commissioner, world.admin.id, False)
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert auth.login(world.worker.username).status_code == 401
    issued = users.send_reset_link(world.manager, world.worker.id)
    with pytest.raises(NotFound):  # a deactivated account's links do not work
        find_link(issued.token)
