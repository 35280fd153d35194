"""The outcomes page: ASCOF 2A/2D/2E and the earlier 2B, goals, GAS, Barthel and hours per
funded provider, and CSV."""
import csv
import io
import re
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from backend.models import EpisodeOutcome as O
from backend.models import FollowUpResult as R
from backend.models import GoalStatus, PackageType
from tests.axe import check_accessibility
from tests.factories import Factory
from tests.outcome_helpers import episode, goal

PERIOD = "from=2026-01-01&to=2026-03-31"


def _cohort(make):
    w = make.world()
    second = make.provider(name="Second Care")
    second_contract = make.contract(funder=w.council, provider=second)

    def package(contract, **kw):
        return make.package(make.service_user(), contract=contract, **kw)

    # Caring Hands: two hospital discharges of over-65s (one home at 91 days, one died),
    # one episode ended with no further support, Barthel 8 -> 16, 14 h a week -> 0.
    episode(package(w.contract), start=date(2026, 2, 1), age=70, followup_result=R.AT_HOME)
    episode(package(w.contract), start=date(2026, 2, 1), age=80, followup_result=R.DIED)
    reablement = dict(package_type=PackageType.REABLEMENT)  # new clients: counted by 2A
    episode(package(w.contract, **reablement), start=date(2025, 11, 15), from_hospital=False,
            actual_end=date(2026, 1, 10), outcome=O.NO_FURTHER_SUPPORT,
            barthel_start_total=8, barthel_end_total=16, weekly_minutes_start=840,
            weekly_minutes_end=0)
    package(w.contract, weekly_minutes=600, end_date=date(2026, 2, 1))  # ends in the period
    # Second Care: one episode ended in long-term support, Barthel 10 -> 12.
    episode(package(second_contract, **reablement), start=date(2025, 11, 15),
            from_hospital=False,
            actual_end=date(2026, 1, 20), outcome=O.LONG_TERM_SUPPORT,
            barthel_start_total=10, barthel_end_total=12)
    # Goals closed in the period: Caring Hands 1 of 2 achieved.
    closed = datetime(2026, 2, 10, 12, tzinfo=UTC)
    goal(w.person, status=GoalStatus.ACHIEVED, closed_at=closed, package=w.package)
    goal(w.person, status=GoalStatus.DISCONTINUED, closed_at=closed, package=w.package)
    # NHS-funded: never on the council's page.
    episode(w.other_package, start=date(2026, 2, 1), age=70, followup_result=R.AT_HOME)
    make.commit()
    return w


def test_outcomes_per_provider_with_chart_table_and_matching_csv(make, client, auth):
    w = _cohort(make)
    auth.login(w.commissioner.username)
    response = client.get(f"/outcomes?{PERIOD}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Caring Hands" in page and "Second Care" in page and "Elsewhere" not in page
    assert page.count("<svg") == 4 and "As expected 50" in page
    # One or two people per provider: the charts hold the shares back, with the counts.
    assert "too few to show (2)" in page and "too few to show (1)" in page
    table = page.split('id="outcomes-table"')[1].split("</table>")[0]
    caring = table.split("Caring Hands")[1].split("</tr>")[0]
    assert "50.0% <small>(1 / 2)</small>" in caring  # ASCOF 2B
    assert "100.0% <small>(1 / 1)</small>" in caring  # ASCOF 2A
    assert "100.0% <small>(4 / 4)</small>" in caring  # ASCOF 2E: presumed at home
    assert "8.0 <small>(1 episodes)</small>" in caring  # Barthel gain
    assert "14.0 h" in caring
    assert "38.0 → 28.0" in caring  # 420 x 4 + 600 minutes, then without the 600
    total = table.split("All providers")[1]
    assert total.count("50.0% <small>(1 / 2)</small>") == 3  # 2A, 2B and goals achieved
    assert "5.0 <small>(2 episodes)</small>" in total  # (8 + 2) / 2
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"/outcomes.csv?{PERIOD}").get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["Provider"] for r in rows] == ["Caring Hands", "Second Care", "All providers"]
    every = rows[-1]
    assert every["Earlier ASCOF 2B at home at 91 days: numerator"] == "1"
    assert every["Earlier ASCOF 2B at home at 91 days: denominator"] == "2"
    assert every["ASCOF 2A no request for ongoing support: denominator"] == "2"
    assert every["ASCOF 2E long-term support at home or with family: denominator"] == "4"
    assert every["Barthel gain: mean points"] == "5.0"
    per_provider = sum(float(r["Package hours a week reduction"]) for r in rows[:-1])
    assert per_provider == float(every["Package hours a week reduction"]) == 10.0


def test_outcomes_scoped_to_the_funder(make, client, auth):
    w = _cohort(make)
    auth.login(w.nhs_commissioner.username)
    page = client.get(f"/outcomes?{PERIOD}").get_data(as_text=True)
    assert "Caring Hands" not in page and "Elsewhere Care" in page
    assert "100.0% <small>(1 / 1)</small>" in page  # only the NHS discharge


def test_managers_do_not_get_the_outcomes_page(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.manager.username)
    assert client.get("/outcomes").status_code == 404
    assert client.get("/outcomes.csv").status_code == 404


def test_bad_dates_are_kept_and_explained(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.commissioner.username)
    response = client.get("/outcomes?from=2026-03-01&to=1 March")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="1 March"' in page and 'id="to-error"' in page and "YYYY-MM-DD" in page


def test_outcome_charts_draw_negatives_counts_and_enough_people(make, client, auth):
    """Five or more people: the share is drawn with its counts beside it; hours that went
    up are drawn below zero; Barthel points and hours have a chart each."""
    w = make.world()
    for n in range(6):
        episode(make.package(make.service_user(), contract=w.contract), start=date(2026, 2, 1),
                age=70, followup_result=R.AT_HOME if n < 4 else R.DIED,
                actual_end=date(2026, 2, 20), outcome=O.NO_FURTHER_SUPPORT,
                barthel_start_total=10, barthel_end_total=12, weekly_minutes_start=300,
                weekly_minutes_end=420)
    make.commit()
    auth.login(w.commissioner.username)
    page = client.get(f"/outcomes?{PERIOD}").get_data(as_text=True)
    assert "66.7% (4 of 6)" in page  # ASCOF 2B with its counts
    assert "Mean Barthel gain over reablement by provider (points" in page
    hours = page.split("Fall in weekly hours by provider")[1].split("</svg>")[0]
    assert "-2 h (6 episodes)" in hours  # 5 h a week became 7
    bar = hours.split("Reablement: start to end: -2 h")[0].rsplit("<rect", 1)[1]
    zero = float(re.search(r'<line x1="([\d.]+)"[^>]*stroke-width="1.5"', hours).group(1))
    x, width = (float(bar.split(f'{k}="')[1].split('"')[0]) for k in ("x", "width"))
    assert width > 0 and abs(x + width - zero) < 0.2  # drawn leftwards from zero


@pytest.mark.browser
def test_outcomes_page_in_chromium(make, live_server, page):
    w = make.world()
    for n in range(5):
        episode(make.package(make.service_user(), contract=w.contract), start=date(2026, 2, 1),
                age=70, followup_result=R.AT_HOME if n < 3 else R.DIED,
                actual_end=date(2026, 2, 20), outcome=O.NO_FURTHER_SUPPORT,
                barthel_start_total=12, barthel_end_total=10, weekly_minutes_start=300,
                weekly_minutes_end=420)
    make.commit()
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server}/login")
    page.fill("#username", w.commissioner.username)
    page.fill("#password", Factory.PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/outcomes?{PERIOD}")
    expect(page.locator("svg.chart")).to_have_count(4)
    expect(page.locator("svg.chart text.value", has_text="60% (3 of 5)").first).to_be_visible()
    expect(page.locator("svg.chart text.value", has_text="-2 points (5 episodes)")
           ).to_be_visible()  # Barthel fell: drawn, below zero
    check_accessibility(page, "outcomes-honest-charts")
