#!/usr/bin/env bash
# Regenerate the lock files from the readable ranges with uv (pip install uv, in any venv):
#   requirements-dev.lock  from requirements-dev.txt (app + test tools + torch)
#   requirements.lock      from requirements.txt, constrained by requirements-dev.lock (same pins)
# --universal: one lock for Linux, macOS and Windows and every Python >= 3.11 (platform-only
# packages carry markers). Existing pins are kept; pass --upgrade or --upgrade-package NAME to move.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
if ! command -v "$UV" >/dev/null 2>&1; then
  echo "scripts/lock.sh needs uv: python3 -m venv /tmp/uv && /tmp/uv/bin/pip install uv && UV=/tmp/uv/bin/uv bash scripts/lock.sh" >&2
  exit 1
fi
common=(--universal --python-version 3.11 --custom-compile-command "bash scripts/lock.sh")
"$UV" pip compile requirements-dev.txt "${common[@]}" -o requirements-dev.lock "$@"
"$UV" pip compile requirements.txt "${common[@]}" -c requirements-dev.lock -o requirements.lock "$@"
