"""Open-data exports of the demo content, read back as a reuser would, and the
page that documents them."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, DictLoader, Environment, FileSystemLoader, StrictUndefined

from generators.content import ContentSet, Validator
from generators.declaration import load_declaration
from generators.geo import Geography, place_of
from generators.opendata import EXPORTED_TYPES, build_outputs, csv_columns, data_page
from generators.project import find_project

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 24)
SITE_URL = "https://reseau.example.org/"
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def content() -> ContentSet:
    project = find_project(config=REPO / "mkdocs.yml")
    return Validator(load_declaration(project.declaration_path, project.root)).load()


@pytest.fixture(scope="module")
def outputs(content) -> dict[str, bytes]:
    return {o.path: o.data for o in build_outputs(content, TODAY, SITE_URL)}


def published_slugs(content: ContentSet, type_name: str) -> list[str]:
    return sorted(i.slug for i in content.of_type(type_name))


def read_json(outputs: dict[str, bytes], path: str):
    data = outputs[path]
    assert data.endswith(b"\n") and not data.startswith(BOM)
    return json.loads(data.decode("utf-8"))


def read_csv(outputs: dict[str, bytes], path: str) -> csv.DictReader:
    data = outputs[path]
    assert not data.startswith(BOM)
    return csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))


# -- JSON ---------------------------------------------------------------------


@pytest.mark.parametrize("type_name", EXPORTED_TYPES)
def test_json_has_one_record_per_published_item_sorted_by_slug(outputs, content, type_name):
    records = read_json(outputs, f"donnees/{type_name}s.json")
    assert [r["slug"] for r in records] == published_slugs(content, type_name)
    ctype = content.declaration.types[type_name]
    for record in records:
        assert record["url"] == f"{SITE_URL}{ctype.url.replace('{slug}', record['slug'])}"
        assert record[ctype.title_field]
        assert record["resume"]
        assert "brouillon" not in record


def test_json_values_are_normalised(outputs):
    records = {r["slug"]: r for r in read_json(outputs, "donnees/fiches.json")}
    sheet = records["eit-thur-doller"]
    # A person's phone and e-mail are not published as open data; the structure's are.
    assert sheet["referent"] == {"nom": "Florence Faivre"}
    assert sheet["porteur"] == "mef-thur-doller"
    assert sheet["territoires"] == [
        {"code": "68", "nom": "Haut-Rhin", "niveau": "departement"},
        {"code": "44", "nom": "Grand Est", "niveau": "region"},
    ]
    assert sheet["date_debut"] == "2015"
    assert "ecologie-industrielle-territoriale" in sheet["thematiques"]
    events = {r["slug"]: r for r in read_json(outputs, "donnees/evenements.json")}
    assert events["couches-lavables-corbeny-2016"]["date"] == "2016-11-15T09:30"
    assert events["couches-lavables-corbeny-2016"]["lieu"]["commune"]["nom"] == "Corbeny"


def test_drafts_are_not_exported(outputs, content):
    drafts = [i for i in content.items if i.draft]
    assert drafts
    for item in drafts:
        for path, data in outputs.items():
            if not path.startswith("donnees/schemas/"):
                assert item.slug.encode() not in data, path


# -- CSV ----------------------------------------------------------------------


@pytest.mark.parametrize("type_name", EXPORTED_TYPES)
def test_csv_rows_and_documented_columns(outputs, content, type_name):
    reader = read_csv(outputs, f"donnees/{type_name}s.csv")
    rows = list(reader)
    assert [r["slug"] for r in rows] == published_slugs(content, type_name)
    documented = [c.name for c in csv_columns(content.declaration.types[type_name], content.declaration)]
    assert reader.fieldnames == documented
    page_columns = next(
        f.columns for d in data_page(content).context["datasets"] for f in d["files"] if f.path == f"donnees/{type_name}s.csv"
    )
    assert [c.name for c in page_columns] == documented
    assert all(c.label and c.meaning for c in page_columns)


def test_csv_flattens_objects_lists_and_territories(outputs):
    rows = {r["slug"]: r for r in read_csv(outputs, "donnees/fiches.csv")}
    sheet = rows["eit-thur-doller"]
    assert "referent_telephone" not in sheet and "referent_email" not in sheet
    assert sheet["referent_nom"] == "Florence Faivre"
    assert sheet["territoires"] == "Haut-Rhin | Grand Est"
    assert sheet["territoires_codes"] == "68 | 44"
    assert sheet["chiffres_cles_valeur"].split(" | ")[:2] == ["20", "27"]
    assert sheet["url"] == SITE_URL + "fiches/eit-thur-doller/"
    events = {r["slug"]: r for r in read_csv(outputs, "donnees/evenements.csv")}
    corbeny = events["couches-lavables-corbeny-2016"]
    assert (corbeny["lieu_commune"], corbeny["lieu_commune_codes"]) == ("Corbeny", "02215")
    assert (corbeny["coordonnees_lat"], corbeny["coordonnees_lon"]) == ("49.4636", "3.8233")


# -- GeoJSON ------------------------------------------------------------------


@pytest.mark.parametrize("type_name", ["fiche", "acteur", "evenement"])
def test_geojson_has_items_with_coordinates_in_lon_lat_order(outputs, content, type_name):
    collection = read_json(outputs, f"donnees/{type_name}s.geojson")
    assert collection["type"] == "FeatureCollection"
    ctype = content.declaration.types[type_name]
    places = {i.slug: place_of(i, ctype, Geography.load()) for i in content.of_type(type_name)}
    located = {slug: place for slug, place in places.items() if place.pinned}
    # Given coordinates win; a commune's centre stands in for the others (tests/test_map.py).
    assert all(located[i.slug].point == i.data["coordonnees"] for i in content.of_type(type_name) if i.data.get("coordonnees"))
    features = collection["features"]
    assert [f["properties"]["slug"] for f in features] == sorted(located)
    for feature in features:
        place = located[feature["properties"]["slug"]]
        assert feature["geometry"] == {"type": "Point", "coordinates": [place.point.lon, place.point.lat]}
        assert set(feature["properties"]) == {"slug", "titre", "url", "type", "localisation"}
        assert feature["properties"]["localisation"] == place.precision
        assert feature["properties"]["type"] == type_name
        assert feature["properties"]["url"].startswith(SITE_URL)


def test_no_geojson_for_a_type_without_coordinates(outputs):
    assert "donnees/dispositifs.geojson" not in outputs


# -- schemas, determinism -----------------------------------------------------


def test_a_schema_per_declared_type(outputs, content):
    for type_name in content.declaration.types:
        schema = read_json(outputs, f"donnees/schemas/{type_name}.schema.json")
        assert "properties" in schema
        assert "titre" in schema["properties"] or "nom" in schema["properties"]


def test_same_input_same_bytes(content, outputs):
    assert {o.path: o.data for o in build_outputs(content, TODAY, SITE_URL)} == outputs


def test_without_site_url_links_are_relative_to_the_file(content):
    outputs = {o.path: o.data for o in build_outputs(content, TODAY, "")}
    record = json.loads(outputs["donnees/fiches.json"])[0]
    assert record["url"] == f"../fiches/{record['slug']}/"


# -- the /donnees/ page -------------------------------------------------------


def test_data_page_lists_every_file_and_the_licence(content, outputs):
    page = data_page(content)
    assert (page.src_uri, page.url, page.template, page.title, page.in_nav) == (
        "donnees.md", "donnees/", "portail/donnees.html", "Données ouvertes", True,
    )
    context = page.context
    assert "Licence Ouverte" in context["licence"]["name"]
    listed = {f.path for d in context["datasets"] for f in d["files"]} | {f.path for f in context["schemas"]}
    assert listed == set(outputs)
    counts = {d["ctype"].name: d["count"] for d in context["datasets"]}
    assert counts == {name: len(content.of_type(name)) for name in EXPORTED_TYPES}


def test_data_page_template_renders_accessible_tables(content):
    env = Environment(
        loader=ChoiceLoader([DictLoader({"main.html": "{% block content %}{% endblock %}"}), FileSystemLoader(REPO / "theme_overrides")]),
        undefined=StrictUndefined,
        autoescape=True,
    )
    env.filters["url"] = lambda value: "/base/" + value
    page = data_page(content)
    html = env.get_template(page.template).render(
        page={"title": page.title}, config={"site_name": "Réseau", "site_url": SITE_URL}, portail=page.context
    )
    assert "<caption>" in html and 'scope="col"' in html
    assert 'href="/base/donnees/fiches.csv"' in html
    assert 'href="/base/donnees/schemas/page.schema.json"' in html
    assert 'href="/base/flux/actualites.xml"' in html
    assert "<code>territoires_codes</code>" in html
    assert "Licence Ouverte" in html
