#!/usr/bin/env python3
"""Refresh the official French geographic code (COG) data shipped in the repo.

The data comes from the npm package ``@etalab/decoupage-administratif``
(Etalab / INSEE, Licence Ouverte). This script installs the package into a
temporary folder with ``npm`` (or reads an already-installed copy given with
``--source``) and writes compact files into ``generators/data/cog/``:

- ``regions.json``: current regions, ``[{code, nom}]`` (18);
- ``departements.json``: current departments, ``[{code, nom, region}]`` (101);
- ``communes.csv``: current communes (type ``commune-actuelle``) with the
  columns ``code, nom, departement, region`` and ``lat, lon`` when the source
  has commune centres (``communes.csv.gz`` instead if the CSV would exceed
  2 MiB);
- ``anciennes_regions.json``: the regions that existed before the 2016 merger,
  mapped to the code of the current region that took them over;
- ``SOURCE.md``: provenance, licence, date and how to refresh.

Overseas collectivities (Saint-Pierre-et-Miquelon, Polynésie française, ...)
are not departments or regions in the COG sense and are left out, as are
delegated/associated communes and the municipal arrondissements of Paris,
Lyon and Marseille.

Usage::

    python scripts/refresh_cog.py                     # npm install, latest version
    python scripts/refresh_cog.py --version 6.0.0     # a given package version
    python scripts/refresh_cog.py --source node_modules/@etalab/decoupage-administratif

Only the standard library is used.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

PACKAGE = "@etalab/decoupage-administratif"
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "generators" / "data" / "cog"
MAX_CSV_BYTES = 2 * 1024 * 1024
EXPECTED_REGIONS = 18
EXPECTED_DEPARTEMENTS = 101

# Regions that existed until 31 December 2015, mapped to the current region
# (INSEE code) they were merged into on 1 January 2016. Regions that were not
# merged (Bretagne, Corse, Île-de-France, Pays de la Loire,
# Provence-Alpes-Côte d'Azur and the overseas regions) kept their name, except
# "Centre", renamed "Centre-Val de Loire".
ANCIENNES_REGIONS: dict[str, str] = {
    "Alsace": "44",
    "Aquitaine": "75",
    "Auvergne": "84",
    "Basse-Normandie": "28",
    "Bourgogne": "27",
    "Centre": "24",
    "Champagne-Ardenne": "44",
    "Franche-Comté": "27",
    "Haute-Normandie": "28",
    "Languedoc-Roussillon": "76",
    "Limousin": "75",
    "Lorraine": "44",
    "Midi-Pyrénées": "76",
    "Nord-Pas-de-Calais": "32",
    "Picardie": "32",
    "Poitou-Charentes": "75",
    "Rhône-Alpes": "84",
}


def fail(message: str) -> NoReturn:
    """Print an error message and stop with exit status 1."""
    print(f"refresh_cog: {message}", file=sys.stderr)
    raise SystemExit(1)


def npm_install(version: str, into: Path) -> Path:
    """Install the package with npm into *into* and return its folder."""
    npm = shutil.which("npm")
    if npm is None:
        fail("npm is not installed; install Node.js or use --source DIR")
    command = [
        npm, "install", "--prefix", str(into), "--no-save", "--no-audit",
        "--no-fund", "--ignore-scripts", "--loglevel=error", f"{PACKAGE}@{version}",
    ]
    print("+ " + " ".join(command[1:]), file=sys.stderr)
    result = subprocess.run(command, cwd=into, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        fail(f"npm install failed:\n{result.stderr.strip()}")
    return into / "node_modules" / Path(PACKAGE)


def locate(source: Path) -> tuple[Path, dict[str, Any]]:
    """Return the package's ``data`` folder and its package.json contents.

    *source* may be the package folder or its ``data`` folder.
    """
    source = source.resolve()
    for data_dir in (source / "data", source):
        if (data_dir / "communes.json").is_file():
            break
    else:
        fail(f"no communes.json in {source} or {source / 'data'}")
    package: dict[str, Any] = {}
    for candidate in (data_dir.parent / "package.json", data_dir / "package.json"):
        if candidate.is_file():
            package = json.loads(candidate.read_text(encoding="utf-8"))
            break
    if package.get("name", PACKAGE) != PACKAGE:
        fail(f"{source} holds {package.get('name')!r}, not {PACKAGE}")
    return data_dir, package


def read_json(path: Path) -> list[dict[str, Any]]:
    """Read a JSON list from one of the package's data files."""
    with path.open(encoding="utf-8") as handle:
        data: list[dict[str, Any]] = json.load(handle)
    return data


def centre(commune: dict[str, Any]) -> tuple[float, float] | None:
    """Return (lat, lon) of a commune's centre if the record has one.

    The package does not ship centres as of version 6; a GeoJSON point under
    ``centre`` (the geo API's field name) is accepted should it appear.
    """
    point = commune.get("centre")
    if isinstance(point, dict) and point.get("type") == "Point":
        lon, lat = point["coordinates"][:2]
        return round(float(lat), 4), round(float(lon), 4)
    return None


def build(data_dir: Path) -> tuple[list[dict[str, str]], list[dict[str, str]], list[list[str]], bool]:
    """Select current regions, departments and communes from the package data.

    Returns (regions, departements, commune rows, has_coordinates).
    """
    regions = [
        {"code": r["code"], "nom": r["nom"]}
        for r in read_json(data_dir / "regions.json")
        if r.get("zone") != "com"
    ]
    region_codes = {r["code"] for r in regions}
    departements = [
        {"code": d["code"], "nom": d["nom"], "region": d["region"]}
        for d in read_json(data_dir / "departements.json")
        if d.get("zone") != "com" and d["region"] in region_codes
    ]
    departement_codes = {d["code"] for d in departements}

    communes = [
        c for c in read_json(data_dir / "communes.json")
        if c.get("type") == "commune-actuelle" and c.get("departement") in departement_codes
    ]
    centres = [centre(c) for c in communes]
    has_coordinates = any(p is not None for p in centres)
    rows: list[list[str]] = []
    for commune, point in zip(communes, centres, strict=True):
        row = [commune["code"], commune["nom"], commune["departement"], commune["region"]]
        if has_coordinates:
            row += [f"{point[0]:.4f}", f"{point[1]:.4f}"] if point else ["", ""]
        rows.append(row)

    regions.sort(key=lambda r: r["code"])
    departements.sort(key=lambda d: d["code"])
    rows.sort(key=lambda row: row[0])
    return regions, departements, rows, has_coordinates


def json_lines(items: Iterable[Any]) -> str:
    """Serialise a list or mapping as JSON with one entry per line (readable diffs)."""
    if isinstance(items, dict):
        body = ",\n".join(
            f"  {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}"
            for k, v in items.items()
        )
        return "{\n" + body + "\n}\n"
    body = ",\n".join("  " + json.dumps(item, ensure_ascii=False) for item in items)
    return "[\n" + body + "\n]\n"


def write_communes(output: Path, rows: list[list[str]], has_coordinates: bool) -> Path:
    """Write communes.csv, or communes.csv.gz when the CSV exceeds 2 MiB."""
    header = ["code", "nom", "departement", "region"] + (["lat", "lon"] if has_coordinates else [])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    plain, packed = output / "communes.csv", output / "communes.csv.gz"
    if len(data) <= MAX_CSV_BYTES:
        plain.write_bytes(data)
        packed.unlink(missing_ok=True)
        return plain
    with packed.open("wb") as raw, gzip.GzipFile(
        filename="communes.csv", mode="wb", fileobj=raw, compresslevel=9, mtime=0
    ) as handle:
        handle.write(data)
    plain.unlink(missing_ok=True)
    return packed


def source_md(
    package: dict[str, Any],
    counts: dict[str, int],
    communes_file: str,
    has_coordinates: bool,
    today: dt.date,
) -> str:
    """Build the text of SOURCE.md."""
    version = package.get("version", "unknown")
    repository = package.get("repository", "")
    if isinstance(repository, dict):
        repository = repository.get("url", "")
    coordinates = (
        "`lat` and `lon` (commune centre, WGS 84, 4 decimals)"
        if has_coordinates
        else "no coordinates: the package does not provide commune centres"
    )
    return f"""# COG data — source

French official geographic code (Code officiel géographique, COG) used by
`generators/territories.py` to resolve regions, departments and communes.

- **Source**: npm package `{PACKAGE}`, version **{version}**
  ({repository or "Etalab"}), built by Etalab from the INSEE COG.
- **Licence**: data under the *Licence Ouverte / Open Licence* (Etalab);
  the package's code is under the MIT licence.
- **Generated on**: {today.isoformat()} by `scripts/refresh_cog.py`.

## Files

| File | Content |
|------|---------|
| `regions.json` | {counts["regions"]} current regions: `code`, `nom` |
| `departements.json` | {counts["departements"]} departments: `code`, `nom`, `region` |
| `{communes_file}` | {counts["communes"]} current communes (type `commune-actuelle`): \
`code`, `nom`, `departement`, `region`; {coordinates} |
| `anciennes_regions.json` | {counts["anciennes_regions"]} regions that existed until 2015 → \
code of the current region (hand-written in the script) |

Left out: overseas collectivities (Saint-Pierre-et-Miquelon, Saint-Barthélemy,
Saint-Martin, Wallis-et-Futuna, Polynésie française, Nouvelle-Calédonie, TAAF,
Clipperton), delegated and associated communes, and the municipal
arrondissements of Paris, Lyon and Marseille.

## Refresh

Needs Node.js (`npm`) and network access to the npm registry:

```sh
python scripts/refresh_cog.py                  # latest version of the package
python scripts/refresh_cog.py --version 6.0.0  # a given version
python scripts/refresh_cog.py --source path/to/node_modules/{PACKAGE}
```

Then run the tests (`make test`) and commit the files of this folder.
"""


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, help="an installed copy of the package (or its data folder); skips npm")
    parser.add_argument("--version", default="latest", help="package version to install with npm (default: latest)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="refresh_cog-") as tmp:
        source = args.source if args.source else npm_install(args.version, Path(tmp))
        data_dir, package = locate(source)
        regions, departements, rows, has_coordinates = build(data_dir)

    codes = {r["code"] for r in regions}
    unknown = {name: code for name, code in ANCIENNES_REGIONS.items() if code not in codes}
    if unknown:
        fail(f"former regions mapped to unknown region codes: {unknown}")
    for label, found, expected in (
        ("regions", len(regions), EXPECTED_REGIONS),
        ("departements", len(departements), EXPECTED_DEPARTEMENTS),
    ):
        if found != expected:
            print(f"refresh_cog: warning: {found} {label}, {expected} expected", file=sys.stderr)

    output: Path = args.output
    output.mkdir(parents=True, exist_ok=True)
    (output / "regions.json").write_text(json_lines(regions), encoding="utf-8")
    (output / "departements.json").write_text(json_lines(departements), encoding="utf-8")
    communes_path = write_communes(output, rows, has_coordinates)
    (output / "anciennes_regions.json").write_text(json_lines(ANCIENNES_REGIONS), encoding="utf-8")
    counts = {
        "regions": len(regions),
        "departements": len(departements),
        "communes": len(rows),
        "anciennes_regions": len(ANCIENNES_REGIONS),
    }
    (output / "SOURCE.md").write_text(
        source_md(package, counts, communes_path.name, has_coordinates, dt.date.today()), encoding="utf-8"
    )

    print(
        f"{PACKAGE} {package.get('version', '?')}: {counts['regions']} regions, "
        f"{counts['departements']} departements, {counts['communes']} communes "
        f"({communes_path.name}, {communes_path.stat().st_size:,} bytes, "
        f"coordinates: {'yes' if has_coordinates else 'no'}) -> {output}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
