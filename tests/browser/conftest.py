"""Headless Chromium (the system's browser and driver, nothing downloaded) and axe-core.

Without a browser or axe-core these tests skip and say why; under ``CI=true`` they fail instead.
axe-core comes from npm into ``tests/browser/node_modules`` (``npm ci`` here; .ci/run does it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.board.conftest import board  # the board fixture, for these tests too

__all__ = ["ARTIFACTS", "AXE", "board", "driver"]

HERE = Path(__file__).parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = HERE.parents[1] / "test-artifacts"
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}, and under CI the browser tests must not skip (.ci/run installs it).")
    pytest.skip(f"{reason}: skipping the board's browser tests (apt-get install chromium chromium-driver)")


def _binary(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or (name if Path(name).is_file() else None)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, installed from the lock file the first time when npm is here."""
    if not AXE.exists() and shutil.which("npm"):
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, f"npm ci failed in {HERE}:\n{done.stderr}"
    if not AXE.exists():
        _missing("No axe-core (npm is needed to install it into tests/browser)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def driver() -> Iterator[object]:
    """One headless Chromium for the session, driven by the system's chromedriver."""
    chromium = _binary("chromium", "chromium-browser", "/usr/bin/chromium")
    chromedriver = _binary("chromedriver", "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
    if chromium is None or chromedriver is None:
        _missing("No chromium or chromedriver on this machine")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("Selenium is not installed (the test extra)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for flag in _FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="sf1590-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    # The driver's path is given: Selenium Manager has nothing to look up or download.
    browser = webdriver.Chrome(service=Service(executable_path=str(chromedriver)), options=options)
    browser.set_window_size(1600, 1000)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)
