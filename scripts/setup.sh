#!/usr/bin/env bash
# Idempotent setup on a fresh Debian machine with only python3:
#   Debian packages the tests need (as root), .venv, the locked Python dependencies, finecrm itself.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_needed=()
# A real PostgreSQL server for the database tests (started and stopped by the tests themselves).
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then apt_needed+=(postgresql); fi
# Java 17 for the Spark engine (pyspark runs a local JVM).
if ! command -v java >/dev/null; then apt_needed+=(openjdk-17-jre-headless); fi
# Chromium for the browser tests (tests/web/test_browser.py drives /usr/bin/chromium with Playwright; never
# `playwright install`), and CJK fonts so the Chinese pages and their screenshots render real characters.
if ! command -v chromium >/dev/null; then apt_needed+=(chromium); fi
# (grep reads all of fc-list's output: with -q it could exit early and pipefail would report SIGPIPE)
if [ ! -d /usr/share/fonts/opentype/noto ] && ! { command -v fc-list >/dev/null && fc-list | grep -i "Noto Sans CJK" >/dev/null; }; then
  apt_needed+=(fonts-noto-cjk)
fi

if [ ${#apt_needed[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "setup: installing Debian packages: ${apt_needed[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_needed[@]}" >/dev/null
  else
    echo "setup: warning: missing Debian packages ${apt_needed[*]}; run 'make' as root or install them" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check uv==0.13.8
.venv/bin/uv pip install -q --python .venv/bin/python --compile-bytecode -r requirements.lock
.venv/bin/uv pip install -q --python .venv/bin/python --no-deps -e .
# Byte-compile everything now: with PYTHONDONTWRITEBYTECODE set (as on some machines), every command
# would otherwise recompile the libraries it imports, seconds per command.
.venv/bin/python -m compileall -q -j 0 .venv/lib/python*/site-packages src >/dev/null || true
echo "setup: ok ($(.venv/bin/python --version), finecrm $(.venv/bin/python -c 'import finecrm; print(finecrm.__version__)'))" >&2
