#!/usr/bin/env bash
# Install the test dependencies into ./.venv (pinned by requirements-dev.lock; PyTorch's CPU build)
# and run the whole suite: unit, PyTorch parity, AppTest and real-browser tests. Extra args go to
# pytest; with -m "not browser" no browser is looked for or installed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
make_venv
if ! [ -f "$VENV/.installed-requirements-dev.txt" ] ||
   [ "$(cat "$VENV/.installed-requirements-dev.txt")" != "$(files_digest requirements.txt requirements-dev.txt requirements-dev.lock)" ]; then
  install_torch_cpu
  install_locked requirements-dev.txt requirements-dev.lock
  report_torch
fi
if browser_tests_selected "$@"; then
  ensure_chromium  # exports RNNVIZ_CHROMIUM for tests/e2e/conftest.py
fi
# A deprecation that pytest 10 turns into an error fails the run now (pytest-playwright's base_url was one).
exec "$VENV/bin/python" -m pytest -W error::pytest.PytestRemovedIn10Warning "$@"
