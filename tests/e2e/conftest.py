"""Real-browser harness: the workbench served by `repairlens app`, driven by headless Chromium.

Chromium comes from Debian's package (`/usr/bin/chromium`, installed by `make test`); Playwright
only drives it, it never downloads a browser. Screenshots land in `test-artifacts/`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = os.environ.get("REPAIRLENS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_healthy(url: str, process: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with status {process.returncode} before serving")
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"the app did not answer at {url} within {timeout_s:.0f} s")


@pytest.fixture
def serve_app(tmp_path: Path) -> Iterator:
    """Start the workbench on a free port for a given data directory; returns its base URL."""
    processes: list[subprocess.Popen] = []

    def serve(data_dir: Path) -> str:
        port = _free_port()
        env = {**os.environ, "REPAIRLENS_DATA_DIR": str(data_dir)}
        env.pop("REPAIRLENS_OPS_DB_URL", None)
        script = Path(sys.executable).parent / "repairlens"
        log = (tmp_path / f"app-{port}.log").open("w")
        process = subprocess.Popen(
            [str(script), "app", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(url, process)
        return url

    yield serve
    for process in processes:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artefact and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_for_page(page, url: str) -> None:
    """Open a page and wait until Streamlit has finished running its script."""
    page.goto(url)
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelectorAll('[data-testid=\"stMainBlockContainer\"] *').length > 5",
        timeout=60_000,
    )
