#!/usr/bin/env bash
# Vendor the map's JavaScript libraries into theme_overrides/assets/vendor/
# from the npm registry, at pinned versions, licences kept. The site serves
# them itself: no CDN, and `make build` needs no npm.
#
#   bash scripts/refresh_vendor.sh
#
# Then check the map (tests/test_map.py) and commit theme_overrides/assets/vendor/.
set -euo pipefail

LEAFLET=1.9.4
MARKERCLUSTER=1.5.3

root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/theme_overrides/assets/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "leaflet@$LEAFLET" "leaflet.markercluster@$MARKERCLUSTER" >/dev/null
mkdir leaflet markercluster
tar -xzf "leaflet-$LEAFLET.tgz" -C leaflet --strip-components=1
tar -xzf "leaflet.markercluster-$MARKERCLUSTER.tgz" -C markercluster --strip-components=1

rm -rf "$vendor/leaflet" "$vendor/leaflet.markercluster"
mkdir -p "$vendor/leaflet/images" "$vendor/leaflet.markercluster"
cp leaflet/dist/leaflet.js leaflet/dist/leaflet.css leaflet/LICENSE "$vendor/leaflet/"
cp leaflet/dist/images/*.png "$vendor/leaflet/images/"
cp markercluster/dist/leaflet.markercluster.js markercluster/dist/MarkerCluster.css \
   markercluster/dist/MarkerCluster.Default.css markercluster/MIT-LICENCE.txt "$vendor/leaflet.markercluster/"
# Source maps are not shipped: the bundles would point at files the site does not serve.
sed -i '/sourceMappingURL/d' "$vendor/leaflet/leaflet.js" "$vendor/leaflet.markercluster/leaflet.markercluster.js"
printf 'leaflet %s\nleaflet.markercluster %s\n' "$LEAFLET" "$MARKERCLUSTER" > "$vendor/VERSIONS"
echo "vendored leaflet $LEAFLET and leaflet.markercluster $MARKERCLUSTER into $vendor"
