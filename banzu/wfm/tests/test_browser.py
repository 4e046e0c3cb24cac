"""The what-if page (WFM-3) in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import pytest

from banzu.wfm import services
from banzu.wfm.tests.factories import manual_forecast, planning_queue

pytestmark = [pytest.mark.browser]
PASSWORD = "pw-banzu-test"  # the factories' password


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def required_total(page) -> int:
    return int(page.get_attribute("#staffing-chart", "data-required-total"))


def test_changing_the_volume_redraws_the_agents_needed_and_a_simulation_shows_progress_then_charts(
    page, live_server, org
):
    queue = planning_queue(org, name="纳税咨询")
    manual_forecast(org, queue, volume=lambda m: 100.0 if 10 <= m.hour < 11 else 0.0)
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/wfm/what-if/")
    page.wait_for_selector("#staffing-chart[data-required-total]")
    assert page.locator("#staffing-chart canvas").count() == 1  # ECharts drew it (no CSP refusal)
    before = required_total(page)
    assert before == 2 * 14  # two half hours of 100 contacts at 180 s, 80 % in 20 s

    page.fill("#wi-volume", "200")
    page.wait_for_selector('#staffing-chart:not([data-required-total="28"])')
    assert required_total(page) > before

    page.fill("#wi-shrinkage", "150")
    page.wait_for_selector("#wi-shrinkage.is-invalid")
    assert page.inner_text("[data-error-for=shrinkage_percent]").strip()  # the field's own message
    page.fill("#wi-shrinkage", "30")
    page.wait_for_selector("#wi-shrinkage:not(.is-invalid)")

    page.fill("#wi-name", "加量一倍")
    page.click("#wi-save")
    page.wait_for_selector("#wi-saved:not([hidden])")
    assert "加量一倍" in page.inner_text("#wi-scenarios")

    if not services.simulation_available():
        assert page.locator("#wi-simulate").count() == 0
        assert page.locator("#simulation .alert-warning").count() == 1
        return
    page.click("#wi-simulate")
    page.wait_for_selector("#sim-progress, #sim-done")
    page.wait_for_selector("#sim-chart[data-rendered]", timeout=60000)
    assert page.locator("#sim-chart canvas").count() == 1
    assert int(page.get_attribute("#sim-chart", "data-rendered")) == 48
