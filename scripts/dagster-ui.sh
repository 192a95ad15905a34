#!/usr/bin/env bash
# The Dagster UI for floop on 127.0.0.1: start | stop | status.
#   bash scripts/dagster-ui.sh start     # http://127.0.0.1:3000 (DAGSTER_PORT to change)
#   bash scripts/dagster-ui.sh stop
# `dagster dev` runs in its own process group (setsid) with a pid file; stop sends SIGINT (as
# Ctrl-C) to the whole group, then SIGTERM, then SIGKILL after a timeout, because `dagster dev`
# started in the background can ignore SIGTERM and leave its webserver and daemon behind.
set -euo pipefail
cd "$(dirname "$0")/.."
export DAGSTER_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
PORT="${DAGSTER_PORT:-3000}"
STOP_TIMEOUT="${DAGSTER_STOP_TIMEOUT:-20}"

setup() {
  [ -x .venv/bin/dagster ] || bash scripts/setup.sh
  DAGSTER_HOME="$(.venv/bin/python -m orchestration.home)"   # creates dagster.yaml
  export DAGSTER_HOME
  PIDFILE="$DAGSTER_HOME/dagster-dev.pid"
  LOG="$DAGSTER_HOME/dagster-dev.log"
}

port() { cat "$DAGSTER_HOME/dagster-dev.port" 2>/dev/null || echo "$PORT"; }

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start() {
  if running; then echo "dagster dev already running (pid $(cat "$PIDFILE")), http://127.0.0.1:$(port)"; return; fi
  echo "starting dagster dev on http://127.0.0.1:$PORT (log: $LOG)"
  # setsid: new session and process group whose id is the pid we record.
  # Background jobs of a script inherit SIGINT as ignored; reset it so dagster dev can handle
  # SIGINT like Ctrl-C and shut its webserver, daemon and code server down cleanly.
  PATH="$PWD/.venv/bin:$PATH" setsid .venv/bin/python -c \
    'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    .venv/bin/dagster dev -m orchestration.definitions \
    -h 127.0.0.1 -p "$PORT" >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  echo "$PORT" >"$DAGSTER_HOME/dagster-dev.port"
  for _ in $(seq 1 180); do
    if ! running; then echo "dagster dev exited; see $LOG" >&2; tail -n 20 "$LOG" >&2; exit 1; fi
    if .venv/bin/python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$PORT/server_info', timeout=2)" 2>/dev/null; then
      echo "ready: http://127.0.0.1:$PORT (pid $(cat "$PIDFILE")); stop with: bash scripts/dagster-ui.sh stop"
      return
    fi
    sleep 1
  done
  echo "dagster dev not answering after 180 s; see $LOG" >&2
  exit 1
}

stop() {
  if ! [ -f "$PIDFILE" ]; then echo "dagster dev not running (no pid file)"; return; fi
  pid="$(cat "$PIDFILE")"
  if kill -0 "$pid" 2>/dev/null || kill -0 -- "-$pid" 2>/dev/null; then
    # SIGINT first, as Ctrl-C in a terminal: dagster dev shuts its children down cleanly.
    kill -INT -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 10); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 1
    done
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 "$STOP_TIMEOUT"); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 1
    done
    if kill -0 -- "-$pid" 2>/dev/null; then
      echo "process group $pid ignored SIGTERM for ${STOP_TIMEOUT}s: SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$PIDFILE"
  echo "dagster dev stopped"
}

status() {
  if running; then echo "running (pid $(cat "$PIDFILE")), http://127.0.0.1:$(port)"; else echo "not running"; fi
}

setup
case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
