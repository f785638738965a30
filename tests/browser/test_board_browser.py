"""The board in a real browser (headless Chromium): the K91 grid, live refresh without a reload,
refusals, a screenshot of the wave page, and axe-core's accessibility check on the four pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bot.board.app import COOKIE
from tests.bot.board.conftest import Board
from tests.browser.conftest import ARTIFACTS

PAGES = ["/board", "/board/wave/K91", "/board/municipality/aarhus", "/board/gate/KP-3/P2"]


def _open(driver: Any, board: Board, text: str = "board K91") -> None:
    driver.delete_all_cookies()
    driver.get(board.link(text))
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "header.top"))


def _cell(driver: Any, key: str) -> str:
    # read in one script call: htmx may swap the grid between a find and a read
    found = driver.execute_script(
        "const c = document.querySelector(`td[title=\"${arguments[0]}\"]`);return c ? c.className : '';",
        key,
    )
    return str(found).split()[0] if found else ""


def test_the_k91_grid_shows_all_91_and_a_change_turns_its_cell_without_a_reload(
    driver: Any, board: Board
) -> None:
    _open(driver, board)
    assert driver.current_url == f"{board.base}/board/wave/K91"  # the token is gone from the address
    rows = driver.find_elements(By.CSS_SELECTOR, "#grid tbody tr")
    assert len(rows) == 91
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "board-wave-K91.png"))
    assert _cell(driver, "Ballerup · A/TS101") != "done"
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return !!window.htmx"))
    driver.execute_script("window.sf1590NotReloaded = true")
    assert any("A/TS101" in line for line in board.ask("done A/TS101 ballerup"))
    WebDriverWait(driver, 5, poll_frequency=0.1).until(lambda d: _cell(d, "Ballerup · A/TS101") == "done")
    assert driver.execute_script("return window.sf1590NotReloaded === true")  # swapped in place


def _shows_nothing(driver: Any) -> None:
    text = driver.find_element(By.TAG_NAME, "body").text
    assert "403" in text
    for word in ("Aarhus", "Ballerup", "A/TS", "Opened for", "K91"):
        assert word not in text, word
    assert not driver.find_elements(By.CSS_SELECTOR, "#grid")


def test_a_missing_a_forged_and_an_expired_link_show_403_and_no_data(driver: Any, board: Board) -> None:
    driver.delete_all_cookies()
    driver.get(f"{board.base}/board/wave/K91")
    _shows_nothing(driver)
    token = board.link().split("token=")[1].split("&")[0]
    body, _ = token.split(".")
    driver.get(f"{board.base}/board/open?token={body}.{'a' * 64}&to=wave/K91")
    _shows_nothing(driver)
    driver.add_cookie({"name": COOKIE, "value": f"{body}.{'a' * 64}", "path": "/board"})
    driver.get(f"{board.base}/board/wave/K91")
    _shows_nothing(driver)
    _open(driver, board)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#grid tbody tr")) == 91
    board.clock.moment += timedelta(hours=12, seconds=1)
    driver.get(f"{board.base}/board/wave/K91")
    _shows_nothing(driver)


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_serious_or_critical_violation(
    driver: Any, board: Board, axe_source: str, path: str
) -> None:
    _open(driver, board, "board")
    driver.get(board.base + path)
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "main h1"))
    driver.execute_script(axe_source)
    driver.set_script_timeout(120)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations), e => done(String(e)));"
    )
    assert isinstance(result, list), result
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []


def test_the_keyboard_reaches_the_grid_and_its_links(driver: Any, board: Board) -> None:
    from selenium.webdriver.common.keys import Keys

    _open(driver, board)
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("class") == "skip"  # skip link first
    seen = []
    for _ in range(40):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        active = driver.switch_to.active_element
        seen.append((active.tag_name, active.get_attribute("class") or "", active.text))
        if active.get_attribute("href") and "/board/municipality/" in active.get_attribute("href"):
            break
    assert any("grid-wrap" in cls for _, cls, _ in seen)  # the grid can be scrolled by keyboard
    assert seen[-1][2] == "Aabenraa"  # and its first municipality opened
