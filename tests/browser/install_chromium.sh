#!/usr/bin/env bash
# Debian's Chromium, for the test that opens the HTML report in a headless browser
# (tests/test_workflow.py::test_the_report_shows_the_brain_maps_in_a_browser) and for CI.
# Debian or Ubuntu, run as root; installs only when no chromium is on the PATH.
set -euo pipefail
if ! command -v chromium > /dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
fi
chromium --version
