"""Where items are: coordinates, commune centres, areas, and map drawings.

One place decides where an item sits, for the map pages, the item locators
and the open-data GeoJSON alike (``place_of``):

1. the type's coordinates field (``coordonnees``) when the item gives one;
2. otherwise the centre of the first commune among its territory fields, in
   declaration order (an event's ``lieu.commune`` before its ``territoires``),
   from the official data shipped in ``data/geo/`` (no geocoding service);
3. otherwise no point: an item known only at department or region level is
   counted for those areas and never pinned on a made-up point.

Its areas (regions and departments) are those of every territory it names,
as on the territory pages (``taxonomy.py``), so the map's counts and the
territory pages' counts agree.

Drawings are plain data for templates: SVG path strings of regions and
departments projected with Web Mercator (conformal, the projection of the
interactive layer, so both views look alike), metropolitan France with the
five overseas departments as insets. ``data/geo/SOURCE.md`` says where the
boundaries come from.
"""

from __future__ import annotations

import csv
import functools
import gzip
import json
import math
from dataclasses import dataclass
from pathlib import Path

from .content import Item, iter_values_of_kind
from .declaration import ContentType, Declaration
from .territories import Territory
from .values import Coordinates

DATA_DIR = Path(__file__).resolve().parent / "data" / "geo"

EXACT = "exacte"
COMMUNE_CENTRE = "centre de la commune"

Ring = list[tuple[float, float]]  # (lon, lat)
Polygon = list[Ring]  # outer ring, then holes


@dataclass(frozen=True, slots=True)
class Place:
    """Where an item is: its point (if any), how precise, and its areas."""

    point: Coordinates | None
    precision: str | None  # EXACT, COMMUNE_CENTRE or None when not pinned
    commune: Territory | None
    regions: tuple[str, ...]
    departements: tuple[str, ...]

    @property
    def pinned(self) -> bool:
        return self.point is not None


@dataclass(frozen=True, slots=True)
class Area:
    code: str
    name: str
    polygons: tuple[Polygon, ...]
    region: str | None = None


class Geography:
    """Commune centres and area boundaries, read once from ``data/geo/``."""

    def __init__(self, centres: dict[str, Coordinates], regions: dict[str, Area], departements: dict[str, Area]) -> None:
        self.centres = centres
        self.regions = regions
        self.departements = departements

    @classmethod
    def load(cls, data_dir: Path | None = None) -> Geography:
        return _load(_resolved(str(data_dir or DATA_DIR)))

    def centre(self, commune_code: str) -> Coordinates | None:
        return self.centres.get(commune_code)


@functools.lru_cache(maxsize=16)
def _resolved(path: str) -> str:
    """The real path, looked up once: a build asks for the geography of each
    of its items, and resolving the folder every time took nearly a third of
    the planning of the item pages."""
    return str(Path(path).resolve())


@functools.lru_cache(maxsize=4)
def _load(data_dir: str) -> Geography:
    folder = Path(data_dir)
    with gzip.open(folder / "centres_communes.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        centres = {row["code"]: Coordinates(lat=float(row["lat"]), lon=float(row["lon"])) for row in csv.DictReader(handle)}
    return Geography(centres, _read_areas(folder / "regions.geojson"), _read_areas(folder / "departements.geojson"))


def _read_areas(path: Path) -> dict[str, Area]:
    areas = {}
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        geometry, props = feature["geometry"], feature["properties"]
        parts = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        polygons = tuple([[(x, y) for x, y in ring] for ring in polygon] for polygon in parts)
        areas[props["code"]] = Area(props["code"], props["nom"], polygons, props.get("region"))
    return areas


# -- where an item is ---------------------------------------------------------


def coordinates_field(ctype: ContentType) -> str | None:
    """The first top-level coordinates field: a type without one is not on the map."""
    known = _COORDINATES.get(id(ctype))
    if known is not None and known[0] is ctype and known[1] is ctype.fields:
        return known[2]
    found = next((name for name, spec in ctype.fields.items() if spec.kind == "coordonnees"), None)
    _COORDINATES[id(ctype)] = (ctype, ctype.fields, found)
    return found


# coordinates_field() by type, asked for each item of the map (twice) and of
# its own page: (the type, its fields, the answer), checked by identity.
_COORDINATES: dict[int, tuple[ContentType, dict, str | None]] = {}


def map_types(declaration: Declaration) -> list[ContentType]:
    """The types the map shows: those declaring coordinates (sheets, actors,
    events), except free pages (carte.item_locator asks the same of one type)."""
    return [ctype for ctype in declaration.types.values() if coordinates_field(ctype) and "{chemin}" not in ctype.url]


def place_of(item: Item, ctype: ContentType, geography: Geography) -> Place:
    """Where an item is (see the module's docstring for the rules)."""
    field = coordinates_field(ctype)
    point = item.data.get(field) if field else None
    places = [place for _, place in iter_values_of_kind(ctype.fields, item.data, "territoire") if isinstance(place, Territory)]
    commune = next((p for p in places if p.level == "commune"), None)
    regions: dict[str, None] = {}
    departements: dict[str, None] = {}
    for place in places:
        if place.level == "region":
            regions[place.code] = None
        elif place.region:
            regions[place.region] = None
        if place.level == "departement":
            departements[place.code] = None
        elif place.departement:
            departements[place.departement] = None
    precision = None
    if isinstance(point, Coordinates):
        precision = EXACT
    else:
        point = None
        for place in places:  # the first commune the data knows a centre for
            if place.level == "commune" and (centre := geography.centre(place.code)) is not None:
                point, precision, commune = centre, COMMUNE_CENTRE, place
                break
    return Place(point, precision, commune, tuple(sorted(regions)), tuple(sorted(departements)))


# -- projection and drawing ---------------------------------------------------


def mercator(lon: float, lat: float) -> tuple[float, float]:
    """Web Mercator on the unit sphere; y grows northwards."""
    return math.radians(lon), math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


@dataclass(frozen=True)
class Frame:
    """Places a lon/lat box into an SVG rectangle, keeping proportions."""

    west: float
    south: float
    east: float
    north: float
    x: float
    y: float
    width: float
    height: float

    def __post_init__(self) -> None:
        x0, y0 = mercator(self.west, self.south)
        x1, y1 = mercator(self.east, self.north)
        scale = min(self.width / (x1 - x0), self.height / (y1 - y0))
        # The box is centred in the rectangle.
        dx = self.x + (self.width - (x1 - x0) * scale) / 2 - x0 * scale
        dy = self.y + (self.height - (y1 - y0) * scale) / 2 + y1 * scale
        object.__setattr__(self, "_fit", (scale, dx, dy))

    def project(self, lon: float, lat: float, digits: int = 1) -> tuple[float, float]:
        scale, dx, dy = self._fit  # type: ignore[attr-defined]
        mx, my = mercator(lon, lat)
        return round(mx * scale + dx, digits), round(dy - my * scale, digits)

    def contains(self, lon: float, lat: float) -> bool:
        return self.west <= lon <= self.east and self.south <= lat <= self.north


def bounds(polygons: tuple[Polygon, ...] | list[Polygon]) -> tuple[float, float, float, float]:
    xs = [x for polygon in polygons for x, _ in polygon[0]]
    ys = [y for polygon in polygons for _, y in polygon[0]]
    return min(xs), min(ys), max(xs), max(ys)


def svg_path(polygons: tuple[Polygon, ...], frame: Frame, digits: int = 1) -> str:
    """An SVG path of the polygons; points that round to the same place are dropped."""
    parts = []
    for polygon in polygons:
        for ring in polygon:
            points = []
            last = None
            for lon, lat in ring[:-1] if ring[0] == ring[-1] else ring:
                xy = frame.project(lon, lat, digits)
                if xy != last:
                    points.append(xy)
                    last = xy
            if len(points) >= 3:
                parts.append("M" + "L".join(f"{_num(x)} {_num(y)}" for x, y in points) + "Z")
    return "".join(parts)


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


# The national map is drawn to the unit: finer is invisible at its size.
NATIONAL_DIGITS = 0


def label_point(polygons: tuple[Polygon, ...], frame: Frame) -> tuple[float, float]:
    """Centroid of the largest outer ring, in SVG units (where a count is written)."""
    best, best_area = (0.0, 0.0), -1.0
    for polygon in polygons:
        ring = [frame.project(lon, lat) for lon, lat in polygon[0]]
        area = cx = cy = 0.0
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
            cross = x0 * y1 - x1 * y0
            area += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        if area and abs(area) > best_area:
            best_area = abs(area)
            best = (round(cx / (3 * area), 1), round(cy / (3 * area), 1))
    return best


# The national map: metropolitan France, and the overseas departments as insets.
MAP_WIDTH, MAP_HEIGHT = 640, 600
METROPOLE = Frame(-5.3, 41.3, 9.7, 51.2, 130, 0, 510, 600)
INSETS = {  # department code -> frame (west, south, east, north in degrees; rectangle in SVG units)
    "971": Frame(-61.85, 15.8, -61.0, 16.55, 0, 0, 120, 110),
    "972": Frame(-61.25, 14.38, -60.8, 14.9, 0, 122, 120, 110),
    "973": Frame(-54.65, 2.1, -51.6, 5.8, 0, 244, 120, 110),
    "974": Frame(55.2, -21.4, 55.85, -20.85, 0, 366, 120, 110),
    "976": Frame(44.98, -13.03, 45.32, -12.63, 0, 488, 120, 110),
}


def frame_for(departement: str | None, lon: float | None = None, lat: float | None = None) -> Frame:
    """The national map's frame that draws a department (or a point)."""
    if departement in INSETS:
        return INSETS[departement]
    if lon is not None and lat is not None:
        for frame in INSETS.values():
            if frame.contains(lon, lat):
                return frame
    return METROPOLE


def national_map(geography: Geography, region_counts: dict[str, int], departement_counts: dict[str, int]) -> dict:
    """The static map of /carte/: regions with their counts, departments shaded by count."""
    most = max(departement_counts.values(), default=0)
    departements = []
    for code, area in sorted(geography.departements.items()):
        frame = frame_for(code)
        count = departement_counts.get(code, 0)
        departements.append(
            {"code": code, "name": area.name, "path": svg_path(area.polygons, frame, NATIONAL_DIGITS), "count": count, "shade": _shade(count, most)}
        )
    regions = []
    for code, area in sorted(geography.regions.items()):
        overseas = [d for d, a in geography.departements.items() if a.region == code and d in INSETS]
        frame = INSETS[overseas[0]] if overseas else METROPOLE
        x, y = label_point(area.polygons, frame)
        regions.append({"code": code, "name": area.name, "path": svg_path(area.polygons, frame, NATIONAL_DIGITS), "count": region_counts.get(code, 0), "x": x, "y": y})
    insets = [{"code": code, "name": geography.departements[code].name, "x": f.x, "y": f.y, "width": f.width, "height": f.height} for code, f in INSETS.items() if code in geography.departements]
    return {"width": MAP_WIDTH, "height": MAP_HEIGHT, "regions": regions, "departements": departements, "insets": insets}


def _shade(count: int, most: int) -> int:
    """0 (none) to 4 (most): the department's fill class."""
    if not count or not most:
        return 0
    return 1 + min(3, int(3 * math.log1p(count) / math.log1p(most)))


LOCATOR_SIZE = 220


def locator(geography: Geography, place: Place) -> dict | None:
    """A small map of the item's region, its department marked, and its point."""
    departement = place.commune.departement if place.commune else (place.departements[0] if place.departements else None)
    region = (
        geography.departements[departement].region
        if departement in geography.departements
        else (place.regions[0] if place.regions else None)
    )
    if region not in geography.regions:
        return None
    area = geography.regions[region]
    west, south, east, north = _region_bounds(geography, region)
    if place.point is not None:
        west, east = min(west, place.point.lon), max(east, place.point.lon)
        south, north = min(south, place.point.lat), max(north, place.point.lat)
    margin = 0.04 * max(east - west, north - south)
    frame = Frame(west - margin, south - margin, east + margin, north + margin, 0, 0, LOCATOR_SIZE, LOCATOR_SIZE)
    region_path, member_paths = _locator_paths(geography, region, frame)
    members = [{"code": code, "name": name, "path": path, "current": code == departement} for code, name, path in member_paths]
    point = frame.project(place.point.lon, place.point.lat) if place.point is not None else None
    return {
        "size": LOCATOR_SIZE,
        "region": {"code": region, "name": area.name, "path": region_path},
        "departements": members,
        "departement": geography.departements[departement].name if departement in geography.departements else None,
        "point": point,
        "precision": place.precision,
        "commune": place.commune.label if place.commune else None,  # plain data: hashed in one call (render_cache)
    }


@functools.lru_cache(maxsize=64)
def _region_bounds(geography: Geography, region: str) -> tuple[float, float, float, float]:
    """A region's bounds, measured once per build, not once per item."""
    return bounds(geography.regions[region].polygons)


@functools.lru_cache(maxsize=256)
def _locator_paths(geography: Geography, region: str, frame: Frame) -> tuple[str, tuple[tuple[str, str, str], ...]]:
    """A region's outline and its departments' in a locator's frame. Most items
    of a region share the frame (their point lies inside it): drawn once."""
    members = tuple(
        (code, a.name, svg_path(a.polygons, frame))
        for code, a in sorted(geography.departements.items())
        if a.region == region
    )
    return svg_path(geography.regions[region].polygons, frame), members
