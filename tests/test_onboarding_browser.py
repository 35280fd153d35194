"""Issue 17's "done when": from an empty database, a council admin and a provider manager,
using only pages, set up a funder, a provider, a contract with call-length rates and joint
funding, import 50 people, 50 packages and 20 care workers from the templates, and the
scheduler's generation then makes their visits."""
import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from backend.extensions import db
from backend.models import (
    CarePackage, Contract, Organisation, Role, ServiceUser, User, Visit,
)
from backend.scheduler.jobs import run_job
from backend.services.dates import clock
from tests.import_helpers import carer_row, filled, package_rows, person_row

pytestmark = pytest.mark.browser


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/")


def choose_password(page, link: str, password: str) -> None:
    page.goto(link)
    page.fill("#password", password)
    page.fill("#confirm", password)
    page.click("button[type=submit].primary")
    expect(page.locator("p.flash")).to_contain_text("Password set")


def downloaded_header(page, kind: str) -> list[str]:
    """The template's header row, downloaded from the import page as a person would."""
    with page.expect_download() as download:
        page.click(f"a[href='/admin/import/{kind}/template.csv']")
    text = open(download.value.path(), encoding="utf-8-sig").read()
    return next(csv.reader(io.StringIO(text)))


def upload(page, kind: str, data: bytes, dry_run: bool) -> None:
    page.goto(page.url.split("/admin/")[0] + "/admin/import")
    page.select_option("#kind", kind)
    page.set_input_files("#file", files=[{"name": f"{kind}.csv", "mimeType": "text/csv",
                                          "buffer": data}])
    page.set_checked("#dry_run", dry_run)
    page.click("#import-form button[type=submit]")



def set_up(page, tab: str) -> None:
    """The menu's "Set up", then one of its tabs (as a person finds the page)."""
    page.click('nav[aria-label=Main] >> text="Set up"')
    page.click(f'nav[aria-label="Set up"] >> text="{tab}"')

def test_a_council_and_a_provider_come_in_through_the_pages(app, live_server, browser, runner):
    base = live_server
    result = runner.invoke(args=["setup", "--organisation", "Westshire County Council",
                                 "--ods-code", "926", "--username", "admin"])
    assert result.exit_code == 0, result.output
    admin_link = re.search(r"http\S+", result.output).group(0).replace(
        app.config["ECM_PUBLIC_URL"], base)

    admin = browser.new_context().new_page()
    admin.set_default_timeout(10000)
    choose_password(admin, admin_link, "admin-password-1")
    sign_in(admin, base, "admin", "admin-password-1")

    # A co-funder (the ICB) and a provider.
    set_up(admin, "Organisations")
    for name, kind, code in (("Westshire ICB", "nhs", "QWS"), ("Kind Care", "provider", "")):
        admin.fill("#name", name)
        admin.select_option("#kind", kind)
        admin.fill("#ods_code", code)
        admin.click("#organisation-form button[type=submit]")
        expect(admin.locator("p.flash")).to_contain_text(f"Added {name}")

    # The contract, its call-length rates and joint funding.
    set_up(admin, "Contracts")
    admin.select_option("#funder_id", label="Westshire County Council")
    admin.select_option("#provider_id", label="Kind Care")
    admin.fill("#name", "Home care 2026")
    admin.fill("#starts_on", str(clock.today() - timedelta(days=30)))
    admin.fill("#hourly_rate", "-5")
    admin.click("#contract-form button[type=submit]")
    expect(admin.locator("#hourly_rate-error")).to_be_visible()  # named, and kept
    expect(admin.locator("#name")).to_have_value("Home care 2026")
    admin.fill("#hourly_rate", "24.50")
    admin.click("#contract-form button[type=submit]")
    expect(admin.locator("p.flash")).to_contain_text("Added Home care 2026")
    for i, (minutes, pounds) in enumerate(((30, "8.20"), (45, "10.65"), (60, "14.20"))):
        admin.fill(f"#rates-call_rates-{i}-duration_min", str(minutes))
        admin.fill(f"#rates-call_rates-{i}-amount", pounds)
    admin.click("#rates-form button[type=submit]")
    admin.select_option("#funders-funders-0-funder_id", label="Westshire County Council")
    admin.fill("#funders-funders-0-share_pct", "70")
    admin.select_option("#funders-funders-1-funder_id", label="Westshire ICB")
    admin.fill("#funders-funders-1-share_pct", "30")
    admin.click("#funders-form button[type=submit]")
    terms = admin.locator("dl.terms")
    expect(terms).to_contain_text("30 min £8.20, 45 min £10.65, 60 min £14.20")
    expect(terms).to_contain_text("Westshire County Council 70.00%, Westshire ICB 30.00%")

    # The provider's manager, invited by a one-time link.
    set_up(admin, "Users")
    admin.fill("#username", "kim.manager")
    admin.fill("#display_name", "Kim Manager")
    admin.select_option("#role", "provider_manager")
    admin.select_option("#organisation_id", label="Kind Care")
    admin.click("#invite-form button[type=submit]")
    manager_link = admin.locator("#one-time-link").inner_text().replace(
        app.config["ECM_PUBLIC_URL"], base)  # the link names the public address

    manager = browser.new_context(accept_downloads=True).new_page()
    manager.set_default_timeout(10000)
    choose_password(manager, manager_link, "manager-password-1")
    sign_in(manager, base, "kim.manager", "manager-password-1")

    # The provider reads the same terms, read-only: the call-length rates and each
    # funder's share of the jointly funded contract.
    set_up(manager, "Contracts")
    manager.click("text=Home care 2026")
    provider_view = manager.locator("dl.terms")
    expect(provider_view).to_contain_text("30 min £8.20, 45 min £10.65, 60 min £14.20")
    expect(provider_view).to_contain_text(
        "Westshire County Council 70.00%, Westshire ICB 30.00%")
    expect(manager.locator("#funders-form")).to_have_count(0)

    # 20 care workers, 50 people and 50 packages from the downloaded templates.
    set_up(manager, "Import")
    start = str(clock.today() - timedelta(days=1))
    files = {
        "care_workers": [carer_row(n) for n in range(20)],
        "service_users": [person_row(n) for n in range(1, 51)],
        "packages": [row for n in range(1, 51) for row in package_rows(
            n, "Home care 2026", calls=7 if n % 2 else 14, start_date=start)],
    }
    bad = [dict(r) for r in files["service_users"]]
    bad[4]["nhs_number"] = "9434765918"
    header = downloaded_header(manager, "service_users")
    upload(manager, "service_users", filled(header, bad), dry_run=True)
    expect(manager.locator("main")).to_contain_text("That NHS number's check digit is wrong")
    expect(manager.locator("main")).to_contain_text("Nothing was stored")
    for kind, rows in files.items():
        header = downloaded_header(manager, kind)
        upload(manager, kind, filled(header, rows), dry_run=True)
        expect(manager.locator("main")).to_contain_text("Preview: nothing was stored.")
        upload(manager, kind, filled(header, rows), dry_run=False)
        expect(manager.locator("main")).to_contain_text("Stored.")

    db.session.expire_all()
    contract = db.session.scalar(sa.select(Contract))
    assert len(contract.call_rates) == 3
    names = dict(db.session.execute(sa.select(Organisation.id, Organisation.name)).all())
    assert sorted((names[f.funder_id], str(f.share_pct)) for f in contract.funders) == [
        ("Westshire County Council", "70.00"), ("Westshire ICB", "30.00")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceUser)) == 50
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(
        User.role == Role.CARE_WORKER)) == 20
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CarePackage)) == 50

    # The scheduler's generation makes their visits; the manager sees them on the rota.
    summary = run_job(app, "generation", "browser-test")
    assert summary["created"] >= 50 * 14
    visits = db.session.scalar(sa.select(sa.func.count(sa.distinct(Visit.package_id))))
    assert visits == 50
    manager.click("nav >> text=Rota")
    expect(manager.locator("main")).to_contain_text("Person No1")
