#!/usr/bin/env bash
# Install rnnviz into ./.venv (first time only) and start the app. Extra args go to streamlit.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
# One BLAS thread per server: sessions run side by side on few cores, and threaded BLAS on
# small per-step products stalls when another process holds a core (measured: 3-8 s vs 31 ms).
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
exec .venv/bin/python -m streamlit run app.py --browser.gatherUsageStats false "$@"
