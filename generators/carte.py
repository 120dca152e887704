"""The map: the /carte/ page, the locator of each item page, the tile option.

Pure functions over a ``SitePlanner`` (duck-typed: ``content``,
``declaration``, ``taxonomy``, ``search_of``). Where an item is comes from
``geo.place_of``, the function the open-data GeoJSON uses too.

- ``map_page(planner, tiles)`` plans ``/carte/``: a static SVG of regions and
  departments with counts and links to the territory pages (what shows
  without JavaScript), then every item of the map's types in a list with
  its filters (the search facets: content type and themes), which
  ``assets/portail/map.js`` turns into markers of an interactive Leaflet
  map, filtered together with the list.
- ``map_outputs()``: the region boundaries the interactive layer draws as its
  base when no tile server is configured.
- ``Tiles``: a raster tile server, only when ``mkdocs.yml`` names one
  (``portail: carte: tuiles: {url, attribution}``); the legal notice then
  names its host.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .content import Item
from .emit import OutputFile
from .geo import DATA_DIR, Geography, Place, coordinates_field, locator, map_types, national_map
from .pages import PageSpec, item_url
from .search import TYPE_FILTER, pagefind_key
from .taxonomy import departement_url, region_url

MAP_URL = "carte/"
BOUNDARIES_PATH = "carte/regions.geojson"
LEGAL_NOTICE_URL = "mentions-legales/"
# Vocabularies offered as map filters, besides the content type.
FILTER_VOCABULARIES = ("thematiques",)


@dataclass(frozen=True, slots=True)
class Tiles:
    """A tile server the network chose; ``url`` has {z}, {x}, {y} (and maybe {s})."""

    url: str
    attribution: str

    @property
    def host(self) -> str:
        return urlsplit(self.url.replace("{s}", "a")).hostname or ""


class TilesError(ValueError):
    """The tile option is wrong; the message is in French."""


def tiles_from_config(options: dict | None) -> Tiles | None:
    """Check ``carte.tuiles`` of the plugin options."""
    if not options:
        return None
    url = str(options.get("url") or "").strip()
    attribution = str(options.get("attribution") or "").strip()
    parts = urlsplit(url.replace("{s}", "a"))
    if parts.scheme != "https" or not parts.hostname or not all(key in url for key in ("{z}", "{x}", "{y}")):
        raise TilesError(
            f"carte.tuiles.url « {url} » : adresse https attendue, avec {{z}}, {{x}} et {{y}} "
            "(exemple : https://tile.openstreetmap.org/{z}/{x}/{y}.png)"
        )
    if not attribution:
        raise TilesError("carte.tuiles.attribution : indiquez la source des tuiles (exemple : « © les contributeurs d'OpenStreetMap »)")
    return Tiles(url, attribution)


def map_items(planner) -> list[tuple[Item, Place]]:
    """Published items of the map's types, by title, with their place."""
    found = []
    for ctype in map_types(planner.declaration):
        for item in planner.content.of_type(ctype.name):
            found.append((item, planner.place_of(item)))
    return sorted(found, key=lambda pair: (pair[0].title.casefold(), pair[0].type, pair[0].slug))


def filter_names(declaration) -> list[str]:
    names = [TYPE_FILTER]
    names += [pagefind_key(declaration.vocabularies[v].label) for v in FILTER_VOCABULARIES if v in declaration.vocabularies]
    return names


def area_counts(planner) -> tuple[dict[str, int], dict[str, int]]:
    """Items of the map's types per region and per department, as the territory pages count them."""
    kept = {ctype.name for ctype in map_types(planner.declaration)}
    regions = {code: sum(i.type in kept for i in items) for code, items in planner.taxonomy.by_region.items()}
    departements = {code: sum(i.type in kept for i in items) for code, items in planner.taxonomy.by_departement.items()}
    return {k: v for k, v in regions.items() if v}, {k: v for k, v in departements.items() if v}


def map_page(planner, tiles: Tiles | None = None) -> PageSpec:
    declaration = planner.declaration
    names = filter_names(declaration)
    entries = []
    facet_counts: dict[str, dict[str, int]] = {name: {} for name in names}
    for item, place in map_items(planner):
        ctype = declaration.types[item.type]
        filters = [(name, value) for name, value in planner.search_of(item)["filters"] if name in facet_counts]
        for name, value in filters:
            facet_counts[name][value] = facet_counts[name].get(value, 0) + 1
        entries.append({"item": item, "ctype": ctype, "url": item_url(ctype, item), "place": place, "filters": filters, "where": _where(place, planner)})
    # Each filter value gets a short token (its facet's and its own position):
    # list entries carry tokens, not names, which keeps a 10,000-item page light.
    facets, tokens = [], {}
    for number, (name, values) in enumerate(facet_counts.items(), start=1):
        if not values:
            continue
        options = []
        for position, (value, count) in enumerate(sorted(values.items(), key=lambda v: v[0].casefold()), start=1):
            tokens[(name, value)] = f"{number}-{position}"
            options.append({"value": value, "count": count, "token": tokens[(name, value)]})
        facets.append({"name": name, "id": f"carte-filtre-{number}", "options": options})
    for entry in entries:
        entry["tokens"] = " ".join(tokens[pair] for pair in entry.pop("filters"))
    region_counts, departement_counts = area_counts(planner)
    geography = Geography.load()
    drawing = national_map(geography, region_counts, departement_counts)
    territories = planner.territories
    for region in drawing["regions"]:
        region["url"] = region_url(territories.region(region["code"]))
    areas = [
        {
            "name": region["name"],
            "url": region["url"],
            "count": region["count"],
            "departements": [
                {"name": d.label, "url": departement_url(d), "count": departement_counts.get(d.code, 0)}
                for d in territories.departements_of(region["code"])
                if departement_counts.get(d.code)
            ],
        }
        for region in sorted(drawing["regions"], key=lambda r: r["name"].casefold())
    ]
    pinned = sum(1 for entry in entries if entry["place"].pinned)
    labels = [ctype.label_plural.lower() for ctype in map_types(declaration)]
    return PageSpec(
        src_uri="carte.md",
        url=MAP_URL,
        title="Carte",
        template="portail/carte.html",
        context={
            "entries": entries,
            "pinned": pinned,
            "facets": facets,
            "map": drawing,
            "areas": areas,
            "tiles": tiles,
            "boundaries": BOUNDARIES_PATH,
            "types_label": ", ".join(labels[:-1]) + " et " + labels[-1] if len(labels) > 1 else "".join(labels),
        },
        in_nav=True,
        description="Où sont les initiatives, les acteurs et les événements du réseau : carte par région et par département, et la liste des lieux.",
    )


def _where(place: Place, planner) -> str:
    if place.commune is not None:
        return place.commune.label
    territories = planner.territories
    if place.departements:
        return ", ".join(territories.departement(code).label for code in place.departements)
    if place.regions:
        return ", ".join(territories.region(code).name for code in place.regions)
    return ""


def item_locator(item: Item, planner) -> dict | None:
    """The small map of an item page, for the map's types only."""
    ctype = planner.declaration.types[item.type]
    if not coordinates_field(ctype) or "{chemin}" in ctype.url:  # not one of map_types(), asked of this type alone
        return None
    return locator(Geography.load(), planner.place_of(item))


def map_outputs() -> list[OutputFile]:
    return [OutputFile(BOUNDARIES_PATH, (DATA_DIR / "regions.geojson").read_bytes())]
