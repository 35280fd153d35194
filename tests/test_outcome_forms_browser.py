"""Goals and a reablement episode set up from the person's page in Chromium (with CSRF on,
as in production): a refused goal keeps what was typed and names the field; the review
records a score and closes the goal with its outcome; the episode starts and ends with its
outcome; the page stays axe-core clean."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from backend.extensions import db
from backend.models import EpisodeOutcome, Goal, GoalStatus, ReablementEpisode
from backend.services.dates import clock
from tests.axe import check_accessibility
from tests.factories import Factory

pytestmark = pytest.mark.browser


def test_manager_sets_reviews_and_closes_goals_and_runs_an_episode(make, live_server, page):
    w = make.world()
    make.commit()
    page.goto(f"{live_server}/login")
    page.fill("#username", w.manager.username)
    page.fill("#password", Factory.PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/people/{w.person.id}")

    page.click("text=Set a goal with")
    page.fill("#goal-description", "Walk to the corner shop")
    page.select_option("#goal-domain", "occupation")
    page.fill("#goal-baseline", "1")  # not below the expected outcome: refused
    page.click("#goal-form button[type=submit]")
    expect(page.locator("#goal-baseline-error")).to_be_visible()
    expect(page.locator("#goal-description")).to_have_value("Walk to the corner shop")
    page.fill("#goal-baseline", "-2")
    page.fill("#goal-importance", "3")
    page.click("#goal-form button[type=submit]")
    expect(page.locator("p.flash")).to_contain_text("Goal set.")
    expect(page.locator("article.goal h3")).to_have_text("Walk to the corner shop")

    goal = db.session.scalar(sa.select(Goal))
    prefix = f"review-{goal.id.hex}"
    page.click("text=Review this goal")
    page.fill(f"#{prefix}-score", "0")
    page.fill(f"#{prefix}-note", "Walked there with a frame")
    page.click(f"#review-form-{goal.id.hex} button[type=submit]")
    expect(page.locator("p.flash")).to_contain_text("Goal reviewed.")
    expect(page.locator("article.goal")).to_contain_text("now as expected (0)")

    page.click("text=Review this goal")
    page.select_option(f"#{prefix}-status", "achieved")
    page.fill(f"#{prefix}-status_reason", "Goes to the shop alone twice a week")
    page.click(f"#review-form-{goal.id.hex} button[type=submit]")
    expect(page.locator(".goal-outcome")).to_contain_text("Goes to the shop alone")
    db.session.expire_all()
    assert db.session.get(Goal, goal.id).status == GoalStatus.ACHIEVED

    page.click("text=Start a reablement episode")
    page.select_option("#episode-package_id", str(w.package.id))
    page.fill("#episode-start_date", str(clock.today() - timedelta(days=10)))
    page.fill("#episode-weekly_minutes_start", "630")
    page.click("#episode-form button[type=submit]")
    expect(page.locator("p.flash")).to_contain_text("Reablement episode started.")
    episode = db.session.scalar(sa.select(ReablementEpisode))
    end = f"end-{episode.id.hex}"
    page.click("text=End the episode started")
    page.fill(f"#{end}-actual_end", str(clock.today()))
    page.select_option(f"#{end}-outcome", "no_further_support")
    page.fill(f"#{end}-weekly_minutes_end", "0")
    page.click(f"#end-form-{episode.id.hex} button[type=submit]")
    expect(page.locator("p.flash")).to_contain_text("Reablement episode ended.")
    expect(page.locator("main")).to_contain_text("no further support")
    db.session.expire_all()
    episode = db.session.get(ReablementEpisode, episode.id)
    assert episode.outcome == EpisodeOutcome.NO_FURTHER_SUPPORT
    assert (episode.weekly_minutes_start, episode.weekly_minutes_end) == (630, 0)
    page.click("text=Record the 91-day follow-up")
    check_accessibility(page, "person-outcome-forms")
