#!/usr/bin/env bash
# Create .venv and install floop with the verified pins (requirements.lock). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
fi
# Java for the Spark target (dbt-spark's session method starts a JVM through pyspark): Debian's
# JRE when `java` is missing and we may install packages; Spark 4 runs on Java 17 or 21.
if ! command -v java >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      openjdk-17-jre-headless >/dev/null) \
      || echo "warning: could not install Java (openjdk-17-jre-headless); the spark target will not run"
  else
    echo "warning: no java on PATH; install a JRE 17 or 21 for the spark target"
  fi
fi
stamp=.venv/.floop-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c requirements.lock -e ".[dev,spark]"
  touch "$stamp"
fi
