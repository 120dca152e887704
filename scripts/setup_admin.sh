#!/usr/bin/env bash
# Install the web editor's npm packages (admin/: Decap CMS's bundle, copied
# into site/admin/ by the build, and decap-server, the local Git backend used
# by `make serve` users and by tests/test_decap.py).
#
#   - Node.js and npm from Debian if missing (root is needed for that only);
#   - the pinned packages of admin/package-lock.json, with `npm ci`.
#
# Idempotent and non-interactive: it does nothing when the packages are
# installed and the lock file is not newer than them.
set -euo pipefail
cd "$(dirname "$0")/.."

admin=admin
bundle="$admin/node_modules/decap-cms/dist/decap-cms.js"
server="$admin/node_modules/decap-server/dist/index.js"
if [ -d "$admin/node_modules" ] \
    && [ ! "$admin/package-lock.json" -nt "$admin/node_modules" ] \
    && [ -f "$bundle" ] && [ -f "$server" ]; then
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup_admin.sh : il faut être root pour installer Node.js et npm (apt-get install nodejs npm)" >&2
        exit 1
    fi
    echo "setup_admin.sh: installing nodejs npm"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

echo "setup_admin.sh: installing the npm packages of $admin (Decap CMS, decap-server)"
# --ignore-scripts: no package of admin/ needs an install script (the bundle
# ships built), and none may fetch anything at install time.
(cd "$admin" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
touch "$admin/node_modules"
if [ ! -f "$bundle" ] || [ ! -f "$server" ]; then
    echo "setup_admin.sh : l'installation de $admin n'a pas produit $bundle et $server" >&2
    exit 1
fi
