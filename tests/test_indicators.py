"""Indicators page: counts checked against the demo content, chart geometry,
and the bar chart fragment rendered with Jinja."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from generators.content import ContentSet, Validator
from generators.declaration import load_declaration
from generators.formatting import number_fr
from generators.indicators import (
    MAX_BAR_WIDTH,
    bar_geometry,
    indicator_charts,
    indicators_page,
    key_figures,
    make_chart,
)
from generators.project import find_project
from generators.territories import TerritoryIndex

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def content() -> ContentSet:
    project = find_project(config=REPO / "mkdocs.yml")
    loaded = Validator(load_declaration(project.declaration_path, project.root), TerritoryIndex.load()).load()
    assert loaded.problems == []
    return loaded


@pytest.fixture(scope="module")
def charts(content) -> dict:
    return {chart.id: chart for chart in indicator_charts(content, TODAY)}


@pytest.fixture(scope="module")
def env() -> Environment:
    environment = Environment(loader=FileSystemLoader(REPO / "theme_overrides"), autoescape=True, undefined=StrictUndefined)
    environment.filters["number_fr"] = number_fr
    return environment


# -- counts -----------------------------------------------------------------------


def test_page_spec(content):
    page = indicators_page(content, TODAY)
    assert (page.src_uri, page.url, page.title, page.template, page.in_nav) == (
        "chiffres.md", "chiffres/", "Le réseau en chiffres", "portail/chiffres.html", True,
    )
    assert page.context["today"] == TODAY
    assert [c.id for c in page.context["charts"]] == [
        "fiches-par-thematique", "fiches-par-region", "fiches-par-annee",
        "evenements-par-annee", "participants-par-annee", "acteurs-par-type",
    ]


def test_sheets_by_theme(content, charts):
    rows = dict(charts["fiches-par-thematique"].rows)
    recycling = sum(any(t.key == "recyclage" for t in s.data["thematiques"]) for s in content.of_type("fiche"))
    assert recycling > 0
    assert rows["Recyclage et valorisation"] == recycling
    expected = Counter(t.label for s in content.of_type("fiche") for t in {t.key: t for t in s.data["thematiques"]}.values())
    assert rows == dict(expected)


def test_drafts_are_not_counted(content, charts):
    drafts = [i for i in content.of_type("fiche", drafts=True) if i.draft]
    assert drafts, "the demo content should hold a draft sheet"
    assert key_figures(content)[0]["valeur"] == len(content.of_type("fiche")) < len(content.of_type("fiche", drafts=True))


def test_sheets_by_region_count_each_region_once(content, charts):
    territories = TerritoryIndex.load()
    expected: Counter = Counter()
    for sheet in content.of_type("fiche"):
        regions = set()
        for place in sheet.data["territoires"]:
            if place.level == "region":
                regions.add(place.name)
            else:
                dep = place.code if place.level == "departement" else place.departement
                regions.add(territories.region(territories.departement(dep).region).name)
        expected.update(regions)
    assert dict(charts["fiches-par-region"].rows) == dict(expected)
    # Somme (80) and Amiens both sit in Hauts-de-France: a sheet naming both counts once.
    assert dict(charts["fiches-par-region"].rows)["Hauts-de-France"] == sum(
        any((p.region or p.code) == "32" for p in s.data["territoires"]) for s in content.of_type("fiche")
    )


def test_sheets_by_start_year(content, charts):
    chart = charts["fiches-par-annee"]
    years = Counter(s.data["date_debut"].year for s in content.of_type("fiche") if s.data.get("date_debut"))
    assert chart.rows == tuple((str(y), years[y]) for y in sorted(years))
    undated = sum(not s.data.get("date_debut") for s in content.of_type("fiche"))
    assert undated == 1 and "1 fiche sans date de début n'est pas comptée" in chart.caption


def test_events_and_participants_by_year(content, charts):
    events = content.of_type("evenement")
    by_year = Counter(e.data["date"].day.year for e in events)
    assert charts["evenements-par-annee"].rows == tuple((str(y), by_year[y]) for y in sorted(by_year))
    participants: Counter = Counter()
    for event in events:
        if event.data.get("participants") is not None:
            participants[event.data["date"].day.year] += event.data["participants"]
    assert dict(charts["participants-par-annee"].rows) == {str(y): n for y, n in participants.items()}
    total = sum(e.data.get("participants") or 0 for e in events)
    assert charts["participants-par-annee"].total == total
    upcoming = sum(e.data["date"].day >= TODAY for e in events)
    assert f"comprend {upcoming} événements annoncés" in charts["evenements-par-annee"].caption


def test_actors_by_type(content, charts):
    expected = Counter(a.data["type"].label for a in content.of_type("acteur"))
    assert dict(charts["acteurs-par-type"].rows) == dict(expected)


def test_key_figures(content, charts):
    figures = key_figures(content)
    assert all(set(f) == {"valeur", "libelle"} for f in figures)
    values = {f["libelle"]: f["valeur"] for f in figures}
    assert values == {
        "fiches initiatives publiées": len(content.of_type("fiche")),
        "acteurs dans l'annuaire": len(content.of_type("acteur")),
        "événements à l'agenda": len(content.of_type("evenement")),
        "participants aux événements": sum(e.data.get("participants") or 0 for e in content.of_type("evenement")),
        "régions couvertes par les initiatives": len(charts["fiches-par-region"].rows),
    }


# -- ordering -------------------------------------------------------------------


def test_ordering_is_deterministic(content, charts):
    again = {chart.id: chart for chart in indicator_charts(content, TODAY)}
    assert again == charts
    shuffled = ContentSet(content.declaration, list(reversed(content.items)))
    assert {chart.id: chart for chart in indicator_charts(shuffled, TODAY)} == charts
    assert key_figures(shuffled) == key_figures(content)


def test_categories_by_count_then_vocabulary_order(content, charts):
    chart = charts["fiches-par-thematique"]
    order = [t.label for t in content.declaration.vocabularies["thematiques"].terms.values()]
    keys = [(-value, order.index(label)) for label, value in chart.rows]
    assert keys == sorted(keys)


def test_years_are_chronological(charts):
    for chart_id in ("fiches-par-annee", "evenements-par-annee", "participants-par-annee"):
        years = [int(label) for label, _ in charts[chart_id].rows]
        assert years == sorted(years) and len(set(years)) == len(years)


# -- geometry -------------------------------------------------------------------


def test_largest_bar_is_full_width_and_others_proportional(charts):
    for chart in charts.values():
        values = [value for _, value in chart.rows]
        bars = chart.geometry.bars
        assert len(bars) == len(values)
        peak = max(values)
        for value, bar in zip(values, bars):
            assert bar.width == pytest.approx(value / peak * MAX_BAR_WIDTH, abs=0.01)
            if value == peak:
                assert bar.width == MAX_BAR_WIDTH
            assert bar.value_x > bar.width
            assert bar.value_x < chart.geometry.width


def test_rows_do_not_overlap_and_fit_the_height():
    geometry = bar_geometry([3, 1, 2])
    tops = [bar.label_y for bar in geometry.bars]
    assert tops == sorted(tops)
    for bar, following in zip(geometry.bars, geometry.bars[1:]):
        assert bar.label_y < bar.bar_y and bar.bar_y + geometry.bar_height < following.label_y - geometry.font_size
    assert geometry.bars[-1].bar_y + geometry.bar_height <= geometry.height


def test_empty_and_zero_charts():
    assert bar_geometry([]).bars == () and bar_geometry([]).height == 0
    assert [bar.width for bar in bar_geometry([0, 0]).bars] == [0.0, 0.0]


# -- template fragment ------------------------------------------------------------


def _render(env: Environment, chart) -> str:
    return env.get_template("portail/components/bar_chart.html").render(chart=chart)


def test_fragment_svg_and_table(env, charts):
    for chart in charts.values():
        html = _render(env, chart)
        svg = re.search(r"<svg\b[^>]*>.*?</svg>", html, re.S).group(0)
        assert 'role="img"' in svg
        assert f'aria-labelledby="{chart.id}-titre {chart.id}-desc"' in svg
        assert re.search(rf'<title id="{chart.id}-titre">[^<]+</title>', svg)
        assert f'<desc id="{chart.id}-desc">' in svg
        assert svg.count("<rect") == len(chart.rows)
        table = re.search(r"<table\b.*?</table>", html, re.S).group(0)
        assert "<caption>" in table
        assert table.count('<th scope="row">') == len(chart.rows)
        assert len(re.findall(r"<tbody>.*?</tbody>", table, re.S)[0].split("<tr>")) - 1 == len(chart.rows)
        assert table.count('<th scope="col">') == 2
        assert "<script" not in html and "http" not in html


def test_fragment_numbers_match_the_table(env):
    chart = make_chart("essai", "Essai", "Une phrase.", "fiches", "Année", "Nombre de fiches", [("2020", 12500), ("2021", 3)])
    html = _render(env, chart)
    assert html.count("12\u202f500") == 2  # once on the bar, once in the table (narrow no-break space)
    assert re.search(rf'<rect class="portail-chart__bar" x="0" y="\d+" width="{float(MAX_BAR_WIDTH)}"', html)


def test_fragment_escapes_labels(env):
    chart = make_chart("essai", "Essai <b>", "Phrase.", "fiches", "Type", "Nombre", [("R&D <script>", 1)])
    html = _render(env, chart)
    assert "<script>" not in html and "R&amp;D &lt;script&gt;" in html


def test_fragment_without_rows(env):
    html = _render(env, make_chart("vide", "Vide", "Rien.", "fiches", "Année", "Nombre", []))
    assert "<svg" not in html and "<table" not in html and "Aucune donnée" in html
