"""Real-browser tests: a Streamlit server on a free loopback port, Playwright driving Chromium.

The browser is RNNVIZ_CHROMIUM (scripts/test.sh sets it: Playwright's own Chromium where it could
be downloaded, else a system one), /usr/bin/chromium when unset. In CI a missing browser fails
the run (tests/conftest.py).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("RNNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    port: int, script: Path = ROOT / "app.py", *, env: dict | None = None, extra_args: tuple[str, ...] = ()
) -> subprocess.Popen:
    """``streamlit run <script>`` on 127.0.0.1:port; returns once /_stcore/health answers ok.

    Shared by the browser tests and the benchmarks (bench/app.py, bench/unrolled.py): ``env`` adds
    environment variables, ``extra_args`` Streamlit options."""
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / f"streamlit-{port}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *extra_args],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={"OPENBLAS_NUM_THREADS": "1", **os.environ, **(env or {})},  # one BLAS thread, as scripts/run.sh
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log.name}")
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("streamlit did not answer within 60 s")


@pytest.fixture(scope="session")
def app_url():
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def base_url(pytestconfig):
    """pytest-playwright 0.10 provides ``base_url`` as an instance method of a plugin object, which
    pytest 9 deprecates (PytestRemovedIn10Warning, an error in pytest 10): the same fixture here."""
    return pytestconfig.getoption("--base-url", None) or pytestconfig.getini("base_url") or None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (scripts/test.sh finds or installs one)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 1100}}


@pytest.fixture
def console_errors(page):
    """Console errors of the page; a test asserts the list is empty."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors
