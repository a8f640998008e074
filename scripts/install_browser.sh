#!/usr/bin/env sh
# Installs Debian's chromium for the end-to-end browser tests (tests/test_ui_browser.py).
# Idempotent: does nothing when /usr/bin/chromium is already there.
# Playwright drives this system browser; never run `playwright install` (it downloads browsers).
set -eu
if [ -x /usr/bin/chromium ]; then
    echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium fonts-noto-cjk
/usr/bin/chromium --version
