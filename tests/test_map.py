"""The map: where items are (geo.py), the /carte/ page and the item locators
(carte.py), checked on the demo content, then in Chromium against the demo
site: counts per region of the static map, markers for a filter, no request
to another host, the page without JavaScript, keyboard and axe-core.

The browser tests need /usr/bin/chromium (and axe-core from
tests/browser/node_modules for the accessibility check); they are skipped
without them, except in CI. Expected numbers come from the content as the
validator loads it, never from the built page.
"""

from __future__ import annotations

import csv
import json
import marshal
import re
import shutil

import pytest

from generators.carte import (
    MAP_URL,
    Tiles,
    TilesError,
    area_counts,
    filter_names,
    map_page,
    tiles_from_config,
)
from generators.content import iter_values_of_kind
from generators.geo import (
    COMMUNE_CENTRE,
    EXACT,
    INSETS,
    METROPOLE,
    Geography,
    locator,
    map_types,
    national_map,
    place_of,
)
from generators.site import SitePlanner, build_pages
from generators.territories import TerritoryIndex
from sitebuild import AXE_JS, REPO, TODAY, built_site, chromium, content, require_tools, site_origin  # noqa: F401

THEME_FILTER = "Thématiques"
THEME = "Biodéchets et compostage"


@pytest.fixture(scope="module")
def geography() -> Geography:
    return Geography.load()


@pytest.fixture(scope="module")
def planner(content) -> SitePlanner:
    return SitePlanner(content, TODAY)


def placed(content, geography):
    """(item, ctype, place) of every published item of the map's types."""
    return [
        (item, ctype, place_of(item, ctype, geography))
        for ctype in map_types(content.declaration)
        for item in content.of_type(ctype.name)
    ]


def communes_of(item, ctype):
    return [p for _, p in iter_values_of_kind(ctype.fields, item.data, "territoire") if p.level == "commune"]


# -- where an item is ---------------------------------------------------------


def test_map_types_are_those_declaring_coordinates(content):
    assert [t.name for t in map_types(content.declaration)] == ["fiche", "evenement", "acteur"]


def test_given_coordinates_win(content, geography):
    given = [(i, p) for i, _, p in placed(content, geography) if i.data.get("coordonnees")]
    assert given, "the demo content has items with coordinates"
    for item, place in given:
        assert (place.point, place.precision) == (item.data["coordonnees"], EXACT), item.slug


def test_otherwise_the_first_commune_centre_from_the_shipped_data(content, geography):
    centred = [(i, t, p) for i, t, p in placed(content, geography) if not i.data.get("coordonnees") and communes_of(i, t)]
    assert len(centred) >= 5
    for item, ctype, place in centred:
        commune = communes_of(item, ctype)[0]
        assert place.precision == COMMUNE_CENTRE, item.slug
        assert place.commune == commune
        assert place.point == geography.centre(commune.code)


def test_amiens_centre_is_in_amiens(geography):
    centre = geography.centre("80021")  # Amiens: its town hall is at 49.894 N, 2.296 E
    assert abs(centre.lat - 49.894) < 0.03 and abs(centre.lon - 2.296) < 0.05


def test_every_commune_of_the_cog_but_a_few_new_ones_has_a_centre(geography):
    with (REPO / "generators" / "data" / "cog" / "communes.csv").open(encoding="utf-8") as handle:
        codes = {row["code"] for row in csv.DictReader(handle)}
    missing = codes - set(geography.centres)
    assert len(codes) > 34000 and len(missing) <= 10, sorted(missing)  # see data/geo/SOURCE.md
    assert not set(geography.centres) - codes


def test_items_known_by_department_or_region_only_are_counted_not_pinned(content, geography, planner):
    area_only = [(i, p) for i, t, p in placed(content, geography) if not i.data.get("coordonnees") and not communes_of(i, t)]
    assert len(area_only) >= 3
    regions, departements = area_counts(planner)
    for item, place in area_only:
        assert place.point is None and place.precision is None, item.slug
        assert place.regions, item.slug
        for code in place.regions:
            assert item in planner.taxonomy.by_region[code]
            assert regions[code] >= 1
        for code in place.departements:
            assert departements[code] >= 1


def test_counts_per_region_equal_the_content(content, geography, planner):
    regions, departements = area_counts(planner)
    expected_regions: dict[str, int] = {}
    expected_departements: dict[str, int] = {}
    for _, _, place in placed(content, geography):
        for code in place.regions:
            expected_regions[code] = expected_regions.get(code, 0) + 1
        for code in place.departements:
            expected_departements[code] = expected_departements.get(code, 0) + 1
    assert regions == expected_regions
    assert departements == expected_departements
    assert regions["32"] > regions.get("94", 0)  # Hauts-de-France holds most of the demo


def test_the_page_lists_every_item_and_counts_the_pinned(content, geography, planner):
    spec = map_page(planner)
    assert (spec.url, spec.template, spec.in_nav) == (MAP_URL, "portail/carte.html", True)
    everything = placed(content, geography)
    assert len(spec.context["entries"]) == len(everything)
    assert spec.context["pinned"] == sum(1 for _, _, p in everything if p.pinned)
    assert [f["name"] for f in spec.context["facets"]] == filter_names(content.declaration) == ["Type de contenu", THEME_FILTER]
    drawn = {r["code"]: r["count"] for r in spec.context["map"]["regions"]}
    assert {k: v for k, v in drawn.items() if v} == area_counts(planner)[0]


def test_the_open_data_geojson_and_the_map_read_the_same_points(content, planner):
    from generators.opendata import build_outputs

    exported = {}
    for output in build_outputs(content, TODAY, ""):
        if output.path.endswith(".geojson"):
            for feature in json.loads(output.data)["features"]:
                props = feature["properties"]
                exported[(props["type"], props["slug"])] = (tuple(feature["geometry"]["coordinates"]), props["localisation"])
    drawn = {
        (e["item"].type, e["item"].slug): ((e["place"].point.lon, e["place"].point.lat), e["place"].precision)
        for e in map_page(planner).context["entries"]
        if e["place"].pinned
    }
    assert exported == drawn and len(drawn) > 50


def test_the_map_page_is_planned_with_the_site(content):
    urls = [p.url for p in build_pages(content, TODAY)]
    assert urls.count(MAP_URL) == 1


# -- drawings -----------------------------------------------------------------


def test_metropole_and_insets_do_not_overlap():
    boxes = [METROPOLE] + list(INSETS.values())
    for number, a in enumerate(boxes):
        for b in boxes[number + 1 :]:
            assert a.x + a.width <= b.x or b.x + b.width <= a.x or a.y + a.height <= b.y or b.y + b.height <= a.y


def test_national_map_draws_every_region_and_department(geography):
    drawing = national_map(geography, {"32": 3}, {"80": 2})
    assert len(drawing["regions"]) == 18 and len(drawing["departements"]) == 101
    for area in drawing["regions"] + drawing["departements"]:
        assert area["path"].startswith("M") and area["path"].endswith("Z"), area["code"]
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", area["path"])]
        assert 0 <= min(numbers) and max(numbers) <= max(drawing["width"], drawing["height"]), area["code"]
    somme = next(d for d in drawing["departements"] if d["code"] == "80")
    assert somme["shade"] == 4 and next(d for d in drawing["departements"] if d["code"] == "02")["shade"] == 0


def test_amiens_is_drawn_inside_the_somme_on_the_national_map(geography):
    x, y = METROPOLE.project(2.296, 49.894)
    drawing = national_map(geography, {}, {})
    somme = next(d for d in drawing["departements"] if d["code"] == "80")
    xs = [float(n) for n in re.findall(r"[ML](-?[\d.]+) ", somme["path"])]
    ys = [float(n) for n in re.findall(r" (-?[\d.]+)", somme["path"])]
    assert min(xs) < x < max(xs) and min(ys) < y < max(ys)


def test_locator_marks_the_department_and_the_point(content, geography):
    item = content.find("fiche", "biodechets-restaurateurs-mont-de-marsan")
    ctype = content.declaration.types["fiche"]
    drawing = locator(geography, place_of(item, ctype, geography))
    assert drawing["region"]["name"] == "Nouvelle-Aquitaine"
    assert [d["code"] for d in drawing["departements"] if d["current"]] == ["40"]
    x, y = drawing["point"]
    assert 0 <= x <= drawing["size"] and 0 <= y <= drawing["size"]
    assert drawing["commune"] == "Mont-de-Marsan (40)"
    # Plain data only: a page's cache key hashes it in one call (render_cache._marshalled).
    assert marshal.loads(marshal.dumps(drawing)) == drawing


def test_locator_of_a_region_only_item_has_no_point(content, geography):
    item = content.find("fiche", "cartographie-ess-economie-circulaire-normandie")
    drawing = locator(geography, place_of(item, content.declaration.types["fiche"], geography))
    assert drawing["point"] is None and drawing["region"]["name"] == "Normandie"
    assert not any(d["current"] for d in drawing["departements"])


# -- tile server option -------------------------------------------------------


def test_no_tiles_by_default():
    assert tiles_from_config(None) is None and tiles_from_config({}) is None


def test_tiles_need_https_template_and_attribution():
    tiles = tiles_from_config({"url": "https://{s}.tile.example.org/{z}/{x}/{y}.png", "attribution": "© Exemple"})
    assert tiles == Tiles("https://{s}.tile.example.org/{z}/{x}/{y}.png", "© Exemple")
    assert tiles.host == "a.tile.example.org"
    with pytest.raises(TilesError, match="adresse https attendue"):
        tiles_from_config({"url": "http://tile.example.org/{z}/{x}/{y}.png", "attribution": "x"})
    with pytest.raises(TilesError, match="attribution"):
        tiles_from_config({"url": "https://tile.example.org/{z}/{x}/{y}.png"})


def test_legal_notice_names_the_tile_host_only_when_configured(content):
    tiles = Tiles("https://tile.example.org/{z}/{x}/{y}.png", "© Exemple")
    notice = {p.url: p for p in build_pages(content, TODAY, tiles=tiles)}["mentions-legales/"]
    assert notice.context["map_tiles"] == tiles
    default = {p.url: p for p in build_pages(content, TODAY)}["mentions-legales/"]
    assert default.context["map_tiles"] is None


# -- in Chromium --------------------------------------------------------------


def open_map(chromium, site_origin, javascript: bool = True, scheme: str = "light"):
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, java_script_enabled=javascript, color_scheme=scheme, locale="fr-FR")
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{site_origin}/{MAP_URL}", wait_until="load")
    if javascript:
        page.wait_for_selector("[data-portail-map][data-ready]")
    return page, requests


def test_static_map_shows_the_counts_per_region(chromium, site_origin, planner):
    regions, _ = area_counts(planner)
    page, _ = open_map(chromium, site_origin, javascript=False)
    try:
        shown = page.eval_on_selector_all(
            "a.portail-francemap__region",
            "links => links.map(a => [a.dataset.region, a.textContent.trim(), a.getAttribute('aria-label'), a.getAttribute('href')])",
        )
        assert len(shown) == 18
        territories = TerritoryIndex.load()
        for code, text, label, href in shown:
            count = regions.get(code, 0)
            assert text == (str(count) if count else ""), code
            assert label.startswith(f"{territories.region(code).name} : {count} contenu"), label
            assert href.startswith("../territoires/"), href
    finally:
        page.context.close()


def test_without_javascript_the_static_map_and_the_full_list_show(chromium, site_origin, content, geography):
    page, requests = open_map(chromium, site_origin, javascript=False)
    try:
        assert page.is_visible(".portail-map__static svg")
        assert not page.is_visible(".portail-map__live") and not page.is_visible(".portail-map__filters")
        visible = page.eval_on_selector_all(".portail-map__entry", "items => items.filter(li => li.offsetParent !== null).length")
        assert visible == len(placed(content, geography))
        assert not any(url.endswith(".js") for url in requests)
    finally:
        page.context.close()


def markers_drawn(page) -> int:
    """Markers on the map: single markers, plus the count each cluster shows."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.portail-map__live .leaflet-marker-icon')).reduce((total, icon) => {
            const count = icon.querySelector('[aria-hidden="true"]');
            return total + (count ? parseInt(count.textContent, 10) : 1);
        }, 0)"""
    )


def test_interactive_map_shows_the_markers_of_a_filter(chromium, site_origin, content, geography, planner):
    everything = placed(content, geography)
    assert all(METROPOLE.contains(p.point.lon, p.point.lat) for _, _, p in everything if p.pinned)  # all in view
    page, _ = open_map(chromium, site_origin)
    try:
        assert page.is_visible(".portail-map__live") and not page.is_visible(".portail-map__static")
        assert markers_drawn(page) == sum(1 for _, _, p in everything if p.pinned)
        select = page.locator("select[data-filter-name='%s']" % THEME_FILTER)
        select.select_option(select.locator("option", has_text=f"{THEME} (").get_attribute("value"))
        page.wait_for_function("n => document.querySelector('[data-portail-map]').dataset.listed !== String(n)", arg=len(everything))
        themed = [(i, p) for i, _, p in everything if (THEME_FILTER, THEME) in planner.search_of(i)["filters"]]
        assert 0 < sum(1 for _, p in themed if p.pinned) < sum(1 for _, _, p in everything if p.pinned)
        page.wait_for_function(
            """n => Array.from(document.querySelectorAll('.portail-map__live .leaflet-marker-icon')).length > 0""", arg=0
        )
        assert markers_drawn(page) == sum(1 for _, p in themed if p.pinned)
        listed = page.eval_on_selector_all(".portail-map__entry", "items => items.filter(li => getComputedStyle(li).display !== 'none').map(li => li.querySelector('a').textContent)")
        assert sorted(listed) == sorted(i.title for i, _ in themed)
        status = page.text_content(".portail-map__status")
        assert status == f"{len(themed)} contenus, dont {sum(1 for _, p in themed if p.pinned)} sur la carte"
    finally:
        page.context.close()


def test_markers_are_reachable_with_the_keyboard(chromium, site_origin):
    page, _ = open_map(chromium, site_origin)
    try:
        types = page.locator("select[data-filter-name='Type de contenu']")
        types.select_option(types.locator("option", has_text="Événement (").get_attribute("value"))
        page.wait_for_selector(".portail-map__live .leaflet-marker-icon")
        icons = page.locator(".portail-map__live .leaflet-marker-icon")
        assert all(icons.nth(n).get_attribute("tabindex") == "0" for n in range(icons.count()))
        single = page.locator(".portail-map__live img.leaflet-marker-icon").first
        if single.count() == 0:  # everything clustered: open a cluster with the keyboard first
            icons.first.focus()
            page.keyboard.press("Enter")
            single = page.locator(".portail-map__live img.leaflet-marker-icon").first
            single.wait_for()
        single.focus()
        page.keyboard.press("Enter")
        popup = page.locator(".leaflet-popup-content a")
        popup.wait_for()
        assert popup.get_attribute("href").startswith(f"{site_origin}/agenda/")
        assert page.get_attribute(".leaflet-popup-close-button", "aria-label") == "Fermer"
    finally:
        page.context.close()


def test_no_request_leaves_localhost(chromium, site_origin, built_site):
    page, requests = open_map(chromium, site_origin)
    try:
        page.mouse.wheel(0, 400)
        page.locator(".portail-map__live .leaflet-control-zoom-in").click()
        page.wait_for_load_state("networkidle")
        item = next(p for p in (built_site / "fiches").iterdir() if (p / "index.html").is_file() and "portail-locator" in (p / "index.html").read_text(encoding="utf-8"))
        page.goto(f"{site_origin}/fiches/{item.name}/", wait_until="networkidle")
        assert page.is_visible(".portail-locator svg")
        outside = [url for url in requests if not url.startswith(site_origin)]
        assert not outside, outside
        assert any(url.endswith("/carte/regions.geojson") for url in requests)  # the base layer, from the site
        assert not any(re.search(r"/\d+/\d+/\d+\.(png|jpg|pbf)", url) for url in requests)  # no tiles
    finally:
        page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violation_on_the_interactive_map(chromium, site_origin, scheme):
    require_tools(browser=True, axe=True)
    page, _ = open_map(chromium, site_origin, scheme=scheme)
    try:
        page.locator(".portail-map__live .leaflet-marker-icon").first.focus()
        page.add_script_tag(path=str(AXE_JS))
        violations = page.evaluate(
            "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
            ".then(r => r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')))"
        )
        assert violations == []
    finally:
        page.context.close()


def test_a_bad_tile_server_stops_the_build_with_a_french_message(tmp_path, caplog):
    from generators.build import BuildFailed, build_site
    from generators.project import find_project

    root = tmp_path / "depot"
    root.mkdir()
    for name in ("mkdocs.yml", "config", "content", "fiches", "theme_overrides"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    mkdocs_yml = root / "mkdocs.yml"
    text = mkdocs_yml.read_text(encoding="utf-8")
    mkdocs_yml.write_text(
        text.replace("      declaration: config/types.yml", "      declaration: config/types.yml\n      carte:\n        tuiles: {url: 'http://tuiles.example.org/t.png'}", 1),
        encoding="utf-8",
    )
    target = tmp_path / "publie"
    with pytest.raises(BuildFailed) as failed:
        build_site(find_project(config=mkdocs_yml), today=TODAY, site_dir=target)
    assert "Aborted" not in str(failed.value) and "le site publié n'a pas changé" in str(failed.value)
    assert "adresse https attendue" in caplog.text
    assert not target.exists()
