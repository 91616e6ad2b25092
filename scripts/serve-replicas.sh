#!/usr/bin/env bash
# K rnnviz replicas behind HAProxy, started by one command (a classroom server).
#
#   bash scripts/serve-replicas.sh start [K]   # K replicas (default: one per core) + HAProxy
#   bash scripts/serve-replicas.sh status
#   bash scripts/serve-replicas.sh restart I   # restart replica I (1..K): its students reconnect
#   bash scripts/serve-replicas.sh stop
#
# Environment: PORT (public port, default 8500), BIND (default 127.0.0.1; 0.0.0.0 to serve a
# room), RNNVIZ_RUN_DIR (pid files, logs, the generated haproxy.cfg; default /tmp/rnnviz-replicas),
# STREAMLIT_OPTS (extra options for every replica). Replicas listen on 127.0.0.1:PORT+1..PORT+K
# only; HAProxy (Debian package haproxy, installed with apt-get when missing and possible) is the
# only public port. Installs the app into ./.venv like scripts/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

RUN_DIR=${RNNVIZ_RUN_DIR:-/tmp/rnnviz-replicas}
PORT=${PORT:-8500}
BIND=${BIND:-127.0.0.1}

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

healthy() {  # healthy PORT: /_stcore/health answers ok
  "$VENV/bin/python" -c "import sys, urllib.request
try: sys.exit(urllib.request.urlopen('http://127.0.0.1:$1/_stcore/health', timeout=2).read() != b'ok')
except OSError: sys.exit(1)" 2>/dev/null
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_replica() {  # start_replica I
  local i=$1 port=$(($PORT + $1)) t=0
  # One BLAS thread per replica (see scripts/run.sh). A shared cookie secret: a student who moves
  # to another replica keeps a valid XSRF cookie (uploads).
  # (Streamlit takes the secret from the environment or a config file only, not from the command line.)
  OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} STREAMLIT_SERVER_COOKIE_SECRET="$(cat "$RUN_DIR/cookie-secret")" \
    nohup "$VENV/bin/python" -m streamlit run app.py \
    --server.headless true --server.address 127.0.0.1 --server.port "$port" \
    --server.fileWatcherType none --browser.gatherUsageStats false ${STREAMLIT_OPTS:-} \
    >"$RUN_DIR/replica-$i.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/replica-$i.pid"
  until healthy "$port"; do
    alive "$RUN_DIR/replica-$i.pid" || { say "replica $i exited; see $RUN_DIR/replica-$i.log"; return 1; }
    t=$((t + 1)); [ "$t" -le 120 ] || { say "replica $i not healthy after 60 s"; return 1; }
    sleep 0.5
  done
  say "replica $i: pid $(cat "$RUN_DIR/replica-$i.pid"), 127.0.0.1:$port"
}

stop_pidfile() {  # stop_pidfile FILE: TERM, then KILL after 10 s; only the pid this script started
  local f=$1 pid t=0
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    while kill -0 "$pid" 2>/dev/null && [ "$t" -lt 20 ]; do sleep 0.5; t=$((t + 1)); done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
  fi
  rm -f "$f"
}

ensure_haproxy() {
  command -v haproxy >/dev/null 2>&1 && return 0
  if command -v apt-get >/dev/null 2>&1; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    say "Installing haproxy with apt-get ..."
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
  fi
  command -v haproxy >/dev/null 2>&1 || { say "needs haproxy (Debian/Ubuntu: apt-get install haproxy)"; return 1; }
}

write_config() {  # write_config K: deploy/haproxy.cfg.template -> $RUN_DIR/haproxy.cfg, then haproxy -c
  local k=$1 i servers=""
  for i in $(seq 1 "$k"); do
    servers+="    server r$i 127.0.0.1:$(($PORT + i)) check cookie r$i"$'\n'
  done
  "$VENV/bin/python" -c '
import sys
k, bind, port, servers = sys.argv[1:]
text = open("deploy/haproxy.cfg.template").read()
for name, value in (("@K@", k), ("@BIND@", bind), ("@PORT@", port), ("@SERVERS@", servers.rstrip("\n"))):
    text = text.replace(name, value)
sys.stdout.write(text)
' "$k" "$BIND" "$PORT" "$servers" >"$RUN_DIR/haproxy.cfg"
  haproxy -c -q -f "$RUN_DIR/haproxy.cfg"
}

stop_all() {
  stop_pidfile "$RUN_DIR/haproxy.pid"
  for f in "$RUN_DIR"/replica-*.pid; do
    if [ -e "$f" ]; then stop_pidfile "$f"; fi
  done
}

cmd=${1:-}
shift || true
case "$cmd" in
  start)
    k=${1:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}
    [ "$k" -ge 1 ] 2>/dev/null || usage
    mkdir -p "$RUN_DIR"
    if alive "$RUN_DIR/haproxy.pid"; then say "already running (bash $0 stop first)"; exit 1; fi
    make_venv
    install_locked requirements.txt requirements.lock
    ensure_haproxy
    [ -s "$RUN_DIR/cookie-secret" ] ||
      "$VENV/bin/python" -c "import secrets; print(secrets.token_hex(32))" >"$RUN_DIR/cookie-secret"
    chmod 600 "$RUN_DIR/cookie-secret"
    write_config "$k"
    trap 'say "start failed: stopping what was started"; stop_all' ERR
    for i in $(seq 1 "$k"); do start_replica "$i"; done
    haproxy -D -f "$RUN_DIR/haproxy.cfg" -p "$RUN_DIR/haproxy.pid"
    trap - ERR
    say "HAProxy: http://$BIND:$PORT/ -> $k replicas (config $RUN_DIR/haproxy.cfg)"
    ;;
  restart)
    i=${1:-}
    { [ -n "$i" ] && [ -f "$RUN_DIR/replica-$i.pid" ]; } || usage
    stop_pidfile "$RUN_DIR/replica-$i.pid"
    say "replica $i stopped"
    start_replica "$i"
    ;;
  stop)
    stop_all
    say "stopped"
    ;;
  status)
    if alive "$RUN_DIR/haproxy.pid"; then
      echo "haproxy: pid $(cat "$RUN_DIR/haproxy.pid"), http://$BIND:$PORT/"
    else
      echo "haproxy: not running"
    fi
    for f in "$RUN_DIR"/replica-*.pid; do
      [ -e "$f" ] || continue
      i=${f##*replica-}; i=${i%.pid}
      if alive "$f" && healthy $(($PORT + i)); then echo "replica $i: pid $(cat "$f"), healthy"; else echo "replica $i: down"; fi
    done
    ;;
  *) usage ;;
esac
