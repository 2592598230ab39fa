"""The roster page as a browser shows it: headless Chromium against the app served by uvicorn."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.security import COOKIE_NAME, issue_token
from scheduler.auth.service import principal_of
from tests.api.conftest import World
from tests.api.roster_views_data import DAYS, store_roster

pytestmark = pytest.mark.browser


async def test_roster_page_in_chromium(
    browser: Any,
    live_server: str,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    data = await store_roster(sessionmaker, world)
    token, _ = issue_token(
        world.app.state.jwt_auth, world.settings, principal_of(world.users["manager"])
    )
    browser.get(f"{live_server}/health")  # a page of the origin, so the cookie can be set
    browser.add_cookie({"name": COOKIE_NAME, "value": token, "path": "/"})
    browser.get(f"{live_server}/rosters/{data.roster_id}/page")

    assert "排班表" in browser.title or "2026-10" in browser.title
    rows = browser.find_elements(By.CSS_SELECTOR, "#roster-grid tr.person-row")
    assert len(rows) == 3
    names = [r.find_element(By.CSS_SELECTOR, "td.person").text for r in rows]
    assert names[0].startswith("Li Wei")
    assert names[1].startswith("陈静")
    # Li Wei: 1 Oct early (coloured), 3 Oct rest, 10 Oct on leave
    cells = rows[0].find_elements(By.CSS_SELECTOR, "td")
    assert cells[1].text == "early"
    assert "158, 202, 225" in cells[1].value_of_css_property("background-color")
    assert cells[3].text == "休"
    assert "leave" in (cells[10].get_attribute("class") or "")

    coverage = browser.find_elements(By.CSS_SELECTOR, "#roster-grid tr.coverage-row")
    assert [r.get_attribute("data-shift") for r in coverage[:2]] == ["early", "late"]
    handover = browser.find_element(By.CSS_SELECTOR, "#roster-grid tr.handover-row")
    assert "15:00-17:30" in handover.find_element(By.TAG_NAME, "th").text
    values = [td.text for td in handover.find_elements(By.TAG_NAME, "td")][: len(DAYS)]
    assert values[0] == "2/2"
    assert values[9] == "1/2"  # 10 Oct: the early agent is on leave
    assert "short" in (handover.find_elements(By.TAG_NAME, "td")[9].get_attribute("class") or "")
    # weekend and holiday headers are shaded
    header = browser.find_elements(By.CSS_SELECTOR, "#roster-grid thead tr:first-child th")
    assert "holiday" in (header[1].get_attribute("class") or "")  # 1 Oct, National Day
    assert "weekend" in (header[11].get_attribute("class") or "")  # 11 Oct, Sunday


async def test_roster_page_without_login_is_refused(browser: Any, live_server: str) -> None:
    browser.get(f"{live_server}/rosters/1/page")
    assert "401" in browser.page_source or "sign in" in browser.page_source.lower()
