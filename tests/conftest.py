"""Shared test setup.

When CI is set, a skipped test is a failure: the PyTorch oracle and the browser must run there.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
APP = str(ROOT / "app.py")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which is not allowed here: {report.longrepr}"


@pytest.fixture
def keep_global_numpy_rng():
    """Tests that seed NumPy's global RNG (as the textbooks do) leave it as it was."""
    import numpy as np

    state = np.random.get_state()
    yield
    np.random.set_state(state)


# --- AppTest helpers shared by the UI tests (import them: ``from conftest import open_app, rerun``) ---

@pytest.fixture
def fresh_cache():
    """Clear st.cache_data: it persists across AppTest instances in one process."""
    import streamlit as st

    st.cache_data.clear()


def rerun(at):
    """Run ``at`` again; fail on any exception the page raised."""
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_app(*, no_errors: bool = False, **params):
    """The app opened at ``?params`` (values as strings, as a URL holds them), run once.
    ``no_errors``: also fail when the page shows an error box."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({key: str(value) for key, value in params.items()})
    rerun(at)
    if no_errors:
        assert not at.error, [e.value for e in at.error]
    return at
