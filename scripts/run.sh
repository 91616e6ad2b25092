#!/usr/bin/env bash
# Install rnnviz into ./.venv (first time, and again when a requirements or lock file changed) and
# start the app. Versions are pinned by requirements.lock. Extra args go to streamlit.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
make_venv
install_locked requirements.txt requirements.lock
# One BLAS thread per server: sessions run side by side on few cores, and threaded BLAS on
# small per-step products stalls when another process holds a core (measured: 3-8 s vs 31 ms).
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
exec "$VENV/bin/python" -m streamlit run app.py --browser.gatherUsageStats false "$@"
