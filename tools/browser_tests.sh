#!/usr/bin/env bash
# The viewer's browser tests (pytest -m browser: `iklearn view` rendered by headless Chromium). Called by
# .ci/run after the default suite. Installs Debian's chromium when it is missing (as root, or via sudo), and
# makes a missing browser a failure, not a skip, so CI really runs them. Bounded: 15 min for the install,
# 20 min for the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "installing chromium (Debian package) for the browser tests"
  timeout 300 $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 $SUDO apt-get install -y -qq chromium >/dev/null
fi
IKLEARN_REQUIRE_BROWSER=1 timeout 1200 "$PY" -m pytest -q -m browser --timeout 900 -p no:cacheprovider \
  tests/test_viewer_browser.py
