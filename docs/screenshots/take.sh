#!/usr/bin/env bash
# Retakes the screenshots in this folder from the browser tests (tests/browser.rs):
# each page of the web app at desktop (1280×900) and phone (390×844) width.
# Needs chromium and chromedriver (Debian: apt-get install chromium chromium-driver).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromedriver >/dev/null && [[ ! -x /usr/bin/chromedriver ]]; then
    echo "take.sh: chromedriver not found (apt-get install chromium chromium-driver)" >&2
    exit 1
fi
# CI=true makes a missing browser a failure instead of a skip: no silent empty folder.
MYCLOUD_SCREENSHOTS=$(pwd)/docs/screenshots CI=true cargo test --test browser -- --test-threads=1
ls -l docs/screenshots/*.png
