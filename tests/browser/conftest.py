"""Headless Chromium for the page tests, and the app served by uvicorn on a free port.

Debian's ``chromium`` and ``chromium-driver`` are installed here when missing and the tests run
as root (a fresh CI container); anyone else gets a skip that says how to install them, rather
than a failure that looks like a bug in the page.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from litestar import Litestar

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
_APT_TIMEOUT_S = 900


def _install_chromium() -> str | None:
    """Install Chromium and its driver with apt; the reason it cannot, or None once present."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return None
    if os.geteuid() != 0:
        return (
            "headless Chromium is missing: run `apt-get install -y chromium chromium-driver` "
            "as root (the test set-up only installs it when it runs as root)"
        )
    if shutil.which("apt-get") is None:
        return "headless Chromium is missing and apt-get is not available to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "chromium-driver"],
    ):
        done = subprocess.run(  # noqa: S603 - fixed argument lists, no shell
            cmd, env=env, capture_output=True, text=True, timeout=_APT_TIMEOUT_S, check=False
        )
        if done.returncode != 0:
            return f"`{' '.join(cmd)}` failed: {done.stderr.strip()[-500:]}"
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        return (
            "apt-get installed chromium but /usr/bin/chromium or /usr/bin/chromedriver is missing"
        )
    return None


@pytest.fixture(scope="session")
def chromium_ready() -> None:
    """Chromium and chromedriver are on the machine (installed now if need be), else skip."""
    reason = _install_chromium()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture
def browser(chromium_ready: None) -> Iterator[Any]:
    """A headless Chromium with a fresh profile and nothing phoning home."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="rota-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1600,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def live_server(app: Litestar) -> Iterator[str]:
    """The test app served by uvicorn in a background thread; its base URL.

    The thread runs its own event loop, so the app's engine (made by ``create_app``) opens its
    connections there, never on the test's loop.
    """
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="rota-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# The app, its settings and the seeded organisation are the API tests' own fixtures.
from tests.api.conftest import app, settings, shared_app, world  # noqa: E402

__all__ = [
    "app",
    "browser",
    "chromium_ready",
    "live_server",
    "settings",
    "shared_app",
    "world",
]
