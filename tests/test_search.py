"""Search with Pagefind: the metadata each item gives the index (pure), what
the build indexes, and the search page in Chromium against the demo site.

The browser tests need /usr/bin/chromium, and axe-core from
tests/browser/node_modules for the accessibility check (``bash
scripts/setup_system.sh``); they are skipped without them, except in CI.
Expected results are computed from the content as the validator loads it,
never from the index itself.
"""

from __future__ import annotations

import dataclasses
import json
import re
from html import unescape
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from generators.declaration import FieldSpec
from generators.pages import item_url
from generators.search import (
    DEPARTEMENT_FILTER,
    REGION_FILTER,
    STATUS_FILTER,
    TYPE_FILTER,
    YEAR_FILTER,
    ROOT_SELECTOR,
    Indexing,
    index_site,
    listing_facets,
    pagefind_key,
    search_metadata,
    stabilise_bundle,
)
from generators.taxonomy import build_taxonomy
from generators.territories import TerritoryIndex
from generators.values import Term
from sitebuild import AXE_JS, REPO, TODAY, built_site, chromium, content, require_tools, site_origin, site_pages  # noqa: F401

THEME = ("thematiques", "biodechets")
REGION = "32"  # Hauts-de-France


# -- the content, as the validator loads it -------------------------------------


@pytest.fixture(scope="module")
def territories() -> TerritoryIndex:
    return TerritoryIndex.load()


def find(content, type_name: str, slug: str):
    item = content.find(type_name, slug)
    assert item is not None, f"{type_name}/{slug} is not in the demo content"
    return item


def metadata(content, territories, item, today: date = TODAY) -> dict:
    declaration = content.declaration
    return search_metadata(item, declaration.types[item.type], declaration, territories, today)


def url_of(content, item) -> str:
    return "/" + item_url(content.declaration.types[item.type], item)


def indexed_items(content) -> list:
    """Published items that have an item page (free pages aside)."""
    return [i for i in content.items if not i.draft and "{chemin}" not in content.declaration.types[i.type].url]


# -- search_metadata: pure ---------------------------------------------------------


def test_sheet_metadata_comes_from_its_fields(content, territories):
    item = find(content, "fiche", "couches-lavables-maternites-picardie")
    found = metadata(content, territories, item)
    filters = found["filters"]
    assert (TYPE_FILTER, "Fiche initiative") in filters
    for term in item.data["thematiques"]:
        assert ("Thématiques", term.label) in filters
    assert (REGION_FILTER, "Hauts-de-France") in filters
    assert (DEPARTEMENT_FILTER, "Somme (80)") in filters
    assert (STATUS_FILTER, "Terminé") in filters
    assert (YEAR_FILTER, "2016") in filters
    assert found["sort"] == [("date", "2016-01-01")]
    assert found["weighted"] == [(10, item.title), (5, item.data["resume"])]
    meta = dict(found["meta"])
    assert meta["title"] == item.title
    assert meta["Type"] == "Fiche initiative"
    assert meta["resume"] == item.data["resume"]
    assert meta["Début"] == "2016"
    assert found["image"] is item.data["image"]
    assert meta["image_alt"] == item.data["image"].alt
    assert len(filters) == len(set(filters))


def test_every_term_field_is_a_filter_named_after_its_vocabulary(content, territories):
    """A field added to the declaration becomes a facet without code."""
    declaration = content.declaration
    item = find(content, "fiche", "couches-lavables-maternites-picardie")
    fiche = declaration.types["fiche"]
    extra = FieldSpec(name="public_vise", kind="terme", vocabulary="publics", label="Public visé")
    ctype = dataclasses.replace(fiche, fields={**fiche.fields, "public_vise": extra})
    term_key, term = next(iter(declaration.vocabularies["publics"].terms.items()))
    data = {**item.data, "public_vise": Term(vocabulary="publics", key=term_key, label=term.label)}
    changed = dataclasses.replace(item, data=data)
    filters = search_metadata(changed, ctype, declaration, territories, TODAY)["filters"]
    assert (declaration.vocabularies["publics"].label, term.label) in filters


def test_a_commune_gives_its_department_and_region(content, territories):
    actor = next(i for i in content.of_type("acteur") if i.data.get("adresse") and i.data["adresse"].get("commune"))
    commune = actor.data["adresse"]["commune"]
    filters = metadata(content, territories, actor)["filters"]
    assert (DEPARTEMENT_FILTER, territories.departement(commune.departement).label) in filters
    assert (REGION_FILTER, territories.region(commune.region).name) in filters
    assert (TYPE_FILTER, "Acteur") in filters
    assert ("Types d'acteurs", actor.data["type"].label) in filters


def test_listing_facets_count_the_items_that_have_each_value(content, territories):
    sheets = content.of_type("fiche")
    facets = {f["name"]: dict(f["values"]) for f in listing_facets([metadata(content, territories, i) for i in sheets])}
    assert TYPE_FILTER not in facets
    region = territories.region(REGION).name
    taxonomy = build_taxonomy(content, territories)
    assert facets[REGION_FILTER][region] == len([i for i in taxonomy.by_region[REGION] if i.type == "fiche"])
    themes = content.declaration.vocabularies[THEME[0]]
    label = themes.terms[THEME[1]].label
    assert facets[themes.label][label] == len([i for i in taxonomy.by_term[THEME] if i.type == "fiche"])
    years = list(facets[YEAR_FILTER])
    assert years == sorted(years, reverse=True)
    # A filter with one value does not split the listing: not offered.
    one = [{"filters": [(TYPE_FILTER, "Fiche"), ("Statut", "En cours"), ("Région", r)]} for r in ("A", "B")]
    assert [f["name"] for f in listing_facets(one)] == [REGION_FILTER]


def test_statuses_depend_on_the_build_date(content, territories):
    event = find(content, "evenement", "couches-lavables-corbeny-2016")
    assert (STATUS_FILTER, "Passé") in metadata(content, territories, event)["filters"]
    assert (STATUS_FILTER, "À venir") in metadata(content, territories, event, date(2016, 1, 1))["filters"]
    assert (YEAR_FILTER, "2016") in metadata(content, territories, event)["filters"]
    for aid in content.of_type("dispositif"):
        statuses = [v for n, v in metadata(content, territories, aid)["filters"] if n == STATUS_FILTER]
        assert len(statuses) == 1 and statuses[0] in {"Ouvert", "À venir", "Clos"}


def test_names_survive_pagefind_attribute_syntax():
    assert pagefind_key("Types d'aides") == "Types d'aides"
    assert pagefind_key('Coûts, "gains" & [pertes]') == "Coûts ’gains’ et (pertes)"
    assert pagefind_key("Niveau : local") == "Niveau local"


def test_an_unknown_bundle_format_is_left_alone(built_site, tmp_path):
    import shutil

    bundle = tmp_path / "pagefind"
    shutil.copytree(built_site / "pagefind", bundle)
    meta = next(bundle.glob("pagefind.*.pf_meta"))
    meta.write_bytes(b"not gzip")
    before = sorted((p.name, p.read_bytes()) for p in bundle.rglob("*") if p.is_file())
    assert stabilise_bundle(bundle) is False
    assert sorted((p.name, p.read_bytes()) for p in bundle.rglob("*") if p.is_file()) == before


# -- the build ------------------------------------------------------------------------


def pages_with_body(site: Path) -> set[str]:
    return {
        "/" + p.parent.relative_to(site).as_posix() + "/"
        for p in site.rglob("index.html")
        if "data-pagefind-body" in p.read_text(encoding="utf-8") and not p.is_relative_to(site / "pagefind")
    }


def test_only_pages_with_a_body_are_indexed(built_site, content):
    entry = json.loads((built_site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert list(entry["languages"]) == ["fr"], "the pages must say lang=fr for French stemming"
    bodies = pages_with_body(built_site)
    assert entry["languages"]["fr"]["page_count"] == len(bodies)
    assert {url_of(content, i) for i in indexed_items(content)} <= bodies
    for not_results in ("", "fiches/", "agenda/", "annuaire/", "thematiques/", "thematiques/biodechets/", "territoires/", "recherche/"):
        html = (built_site / not_results / "index.html").read_text(encoding="utf-8")
        assert "data-pagefind-body" not in html, f"/{not_results} would be indexed as a result"


def indexed_records(site: Path) -> dict[str, dict]:
    """What Pagefind kept of each indexed page (text, metadata...), read from its fragments."""
    import gzip

    records = {}
    for fragment in (site / "pagefind" / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(fragment.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        record = json.loads(data[len(b"pagefind_dcd"):])
        records[record["url"]] = record
    return records


def indexed_texts(site: Path) -> dict[str, str]:
    """The text Pagefind kept of each indexed page."""
    return {url: record["content"] for url, record in indexed_records(site).items()}


def test_related_items_are_not_indexed_text(built_site, content):
    """A page's "Initiatives proches" list names other items: searching for
    them must find them, not every page that links to them
    (search.EXCLUDED_SELECTORS, read by the real Pagefind)."""
    texts = indexed_texts(built_site)
    html = {url: (built_site / url.strip("/") / "index.html").read_text(encoding="utf-8") for url in texts}
    with_related = [url for url, page in html.items() if 'class="portail-related"' in page]
    assert len(with_related) >= 5, "the demo must have pages with related items"
    for url in with_related:
        sections = re.findall(r'<section class="portail-related".*?</section>', html[url], flags=re.S)
        rest = html[url]
        for section in sections:
            rest = rest.replace(section, "")
        titles = re.findall(r'<h[23][^>]*>(?:<a [^>]*>)?([^<]+)<', "".join(sections))
        assert titles, url
        for title in titles:  # the lists' headings and the titles of their cards
            title = unescape(title).strip()
            assert texts[url].count(title) <= unescape(rest).count(title), f"{url}: « {title} » was indexed from a list"
    sheet = find(content, "fiche", "couches-lavables-maternites-picardie")
    text = texts[url_of(content, sheet)]
    assert text.startswith(sheet.title), "the item's own text is indexed"


def test_a_result_shows_its_own_picture_or_none(built_site, content):
    """Pagefind gives a page without an ``image`` metadata the first picture
    after its h1: on an item without a picture of its own, a related item's
    card, whose photo and alt text then showed under the wrong result."""
    from generators.values import Image

    records = indexed_records(built_site)
    without, borrowed = 0, 0
    for item in indexed_items(content):
        meta = records[url_of(content, item)]["meta"]
        picture = item.data.get("image") or item.data.get("logo")
        if isinstance(picture, Image):
            assert Path(meta["image"]).name.startswith(Path(picture.src.path).stem), (item.source, meta["image"])
            assert meta["image_alt"] == (picture.alt or item.title), item.source
        else:
            without += 1
            html = (built_site / url_of(content, item).strip("/") / "index.html").read_text(encoding="utf-8")
            borrowed += "<img" in html.split("</h1>", 1)[1]
            assert (meta["image"], meta["image_alt"]) == ("", ""), (item.source, meta["image"])
    assert without and borrowed, "the demo must have items without a picture, some beside pictures of other items"


def test_the_ui_files_are_written_by_the_indexer(built_site):
    for name in ("pagefind-ui.js", "pagefind-ui.css", "pagefind.js"):
        assert (built_site / "pagefind" / name).is_file()
    html = (built_site / "recherche" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr"' in html
    assert re.search(r'<script src="\.\./pagefind/pagefind-ui\.js"', html)
    assert re.search(r'<link rel="stylesheet" href="\.\./pagefind/pagefind-ui\.css"', html)


def test_mkdocs_material_search_is_not_enabled(built_site):
    assert not (built_site / "search").exists()
    names = [p if isinstance(p, str) else next(iter(p)) for p in _plugins(REPO / "mkdocs.yml")]
    assert not {"search", "material/search"} & set(names)


def _plugins(mkdocs_yml: Path) -> list:
    import yaml

    from generators.project import _TolerantLoader

    return yaml.load(mkdocs_yml.read_text(encoding="utf-8"), Loader=_TolerantLoader).get("plugins") or []


def test_every_page_has_the_header_search_form(built_site):
    form = re.compile(r'<form class="portail-header-search" role="search" aria-label="[^"]+" action="([^"]*)" method="get"[ >]')
    for page in site_pages(built_site, "*.html"):
        html = page.read_text(encoding="utf-8")
        match = form.search(html)
        assert match, f"{page.relative_to(built_site)}: no header search form"
        target = (page.parent / match[1]).resolve() if not match[1].startswith("/") else built_site / match[1].lstrip("/")
        assert target == (built_site / "recherche").resolve(), f"{page.relative_to(built_site)}: form goes to {match[1]}"
        assert '<label class="portail-visually-hidden" for="portail-header-q">' in html
        assert 'name="q"' in html


def test_indexing_the_same_site_gives_the_same_bundle(built_site, tmp_path):
    """Byte for byte, filter files included (Pagefind alone does not: see stabilise_bundle)."""
    import shutil

    copy = tmp_path / "site"
    shutil.copytree(built_site, copy, ignore=shutil.ignore_patterns("pagefind"))
    report = index_site(copy)
    assert report.pages == len(pages_with_body(built_site))
    originals = sorted(p.relative_to(built_site) for p in (built_site / "pagefind").rglob("*") if p.is_file())
    agains = sorted(p.relative_to(copy) for p in (copy / "pagefind").rglob("*") if p.is_file())
    assert agains == originals
    for relative in originals:
        assert (copy / relative).read_bytes() == (built_site / relative).read_bytes(), relative


def test_the_root_selector_changes_nothing_in_the_index(built_site, tmp_path):
    """search.ROOT_SELECTOR only spares Pagefind the parsing of the theme's
    header, navigation and footer: without it, the same bundle, byte for byte."""
    import shutil

    assert ROOT_SELECTOR
    copy = tmp_path / "site"
    shutil.copytree(built_site, copy, ignore=shutil.ignore_patterns("pagefind"))
    for page in pages_with_body(built_site):  # every indexed page has its body under the root
        html = (built_site / page.strip("/") / "index.html").read_text(encoding="utf-8")
        assert html.index('<article class="md-content__inner') < html.index("data-pagefind-body"), page
    report = index_site(copy, root_selector=None)
    assert report.pages == len(pages_with_body(built_site))
    originals = sorted(p.relative_to(built_site) for p in (built_site / "pagefind").rglob("*") if p.is_file())
    assert sorted(p.relative_to(copy) for p in (copy / "pagefind").rglob("*") if p.is_file()) == originals
    for relative in originals:
        assert (copy / relative).read_bytes() == (built_site / relative).read_bytes(), relative


def test_an_indexing_that_is_cancelled_leaves_no_process(built_site, tmp_path):
    """The build starts Pagefind before writing its feeds and exports; if
    one of those fails, Pagefind is stopped (plugin.on_post_build)."""
    import shutil

    copy = tmp_path / "site"
    shutil.copytree(built_site, copy, ignore=shutil.ignore_patterns("pagefind"))
    indexing = Indexing(copy)
    assert indexing.process.poll() is None  # running in the background
    indexing.cancel()
    assert indexing.process.returncode is not None


def test_filter_names_are_kept_as_written(built_site):
    """Pagefind does not decode entities in names: "Types d'aides" must not become "Types d&#39;aides"."""
    html = (built_site / "aides").rglob("index.html")
    pages = [p for p in html if "data-pagefind-filter" in p.read_text(encoding="utf-8")]
    assert pages
    text = pages[0].read_text(encoding="utf-8")
    assert 'data-pagefind-filter="Types d\'aides[data-value]"' in text
    assert "&#39;aides[" not in text


# -- in the browser ---------------------------------------------------------------

WAIT_RESULTS = """() => {
  const message = document.querySelector('.pagefind-ui__message');
  if (!message || /^Recherche de/.test(message.textContent.trim())) return false;
  return !document.querySelector('.pagefind-ui__results .pagefind-ui__loading');
}"""

API_SEARCH = """async ([query, filters]) => {
  const pagefind = await import(new URL('/pagefind/pagefind.js', location.href).href);
  const found = await pagefind.search(query, {filters});
  return Promise.all(found.results.map(r => r.data().then(d => d.url)));
}"""


@pytest.fixture(scope="module")
def browser(chromium):
    require_tools(browser=True)
    return chromium


@pytest.fixture
def page(browser, site_origin):
    """A fresh page that records every request it makes."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.requests = []  # type: ignore[attr-defined]
    page.failures = []  # type: ignore[attr-defined]
    page.on("request", lambda request: page.requests.append(request.url))  # type: ignore[attr-defined]
    page.on("response", lambda response: response.status >= 400 and page.failures.append(f"{response.status} {response.url}"))  # type: ignore[attr-defined]
    yield page
    context.close()


def open_search(page, origin: str, query: str = "", extra: str = "") -> None:
    from urllib.parse import quote_plus

    page.goto(f"{origin}/recherche/" + (f"?q={quote_plus(query)}{extra}" if query else ""))
    if query:
        page.wait_for_function(WAIT_RESULTS)


def result_count(page) -> int:
    text = page.locator(".pagefind-ui__message").inner_text()
    match = re.match(r"(\d[\d\s\u202f\u00a0]*) résultats? pour", text)
    assert match, f"unexpected message: {text!r}"
    return int(re.sub(r"\D", "", match[1]))


def shown_urls(page) -> list[str]:
    """Result URLs in order, after showing them all."""
    while page.locator(".pagefind-ui__button").count():
        page.locator(".pagefind-ui__button").click()
        page.wait_for_function(WAIT_RESULTS)
    hrefs = page.eval_on_selector_all(".pagefind-ui__result-link", "links => links.map(a => a.getAttribute('href'))")
    return list(hrefs)


def api(page, query: str | None, filters: dict | None = None) -> set[str]:
    return set(page.evaluate(API_SEARCH, [query, filters or {}]))


def message(page) -> str:
    return page.locator(".pagefind-ui__message").inner_text()


def wait_for_change(page, before: str) -> None:
    """Wait until Pagefind has searched again (its message changed) and shown the results."""
    page.wait_for_function(
        "before => { const m = document.querySelector('.pagefind-ui__message'); return m && m.textContent.trim() !== before; }",
        arg=before.strip(),
    )
    page.wait_for_function(WAIT_RESULTS)


def check_filter(page, name: str, value: str) -> None:
    """Tick a filter of Pagefind's panel (opening its group) and wait for the new results."""
    block = page.locator("details.pagefind-ui__filter-block", has=page.locator("summary", has_text=re.compile(f"^{re.escape(name)}$")))
    if block.get_attribute("open") is None:
        block.locator("summary").click()
    before = message(page)
    block.locator(f'input.pagefind-ui__filter-checkbox[value="{value}"]').check()
    wait_for_change(page, before)


def test_a_query_finds_the_expected_item_first(page, site_origin, content):
    open_search(page, site_origin, "couches lavables")
    first = page.locator(".pagefind-ui__result-link").first
    expected = {url_of(content, find(content, "fiche", "couches-lavables-maternites-picardie")), url_of(content, find(content, "evenement", "couches-lavables-corbeny-2016"))}
    assert first.get_attribute("href") in expected
    assert "couches lavables" in page.locator(".pagefind-ui__message").inner_text()
    tags = page.locator(".pagefind-ui__result").first.locator(".pagefind-ui__result-tag").all_inner_texts()
    assert any(t.startswith("Type\u00a0: ") for t in tags), tags


def test_accents_case_and_plurals_do_not_matter(page, site_origin, content):
    open_search(page, site_origin, "dechets")
    plain = api(page, "dechets")
    assert url_of(content, find(content, "fiche", "programme-prevention-haut-doubs")) in plain
    assert api(page, "DÉCHETS") == plain == api(page, "déchet")
    assert url_of(content, find(content, "fiche", "ressourcerie-batiment-metz")) in api(page, "ressourceries")


def test_filters_select_exactly_the_items_that_have_them(page, site_origin, content, territories):
    open_search(page, site_origin)
    taxonomy = build_taxonomy(content, territories)
    vocabulary = content.declaration.vocabularies[THEME[0]]
    theme_label = vocabulary.terms[THEME[1]].label
    with_theme = {url_of(content, i) for i in taxonomy.by_term[THEME]}
    in_region = {url_of(content, i) for i in taxonomy.by_region[REGION]}
    assert with_theme and in_region
    assert api(page, None, {vocabulary.label: theme_label}) == with_theme
    assert api(page, None, {REGION_FILTER: territories.region(REGION).name}) == in_region
    for ctype in content.declaration.types.values():
        items = {url_of(content, i) for i in indexed_items(content) if i.type == ctype.name}
        assert api(page, None, {TYPE_FILTER: ctype.label}) == items, ctype.name


def test_ui_filters_narrow_results_and_round_trip_in_the_url(page, site_origin, content, territories, browser):
    taxonomy = build_taxonomy(content, territories)
    vocabulary = content.declaration.vocabularies[THEME[0]]
    theme_label = vocabulary.terms[THEME[1]].label
    region_name = territories.region(REGION).name
    open_search(page, site_origin, "déchets")
    everything = api(page, "déchets")
    assert result_count(page) == len(everything)

    check_filter(page, vocabulary.label, theme_label)
    expected = everything & {url_of(content, i) for i in taxonomy.by_term[THEME]}
    assert 0 < len(expected) < len(everything)
    assert result_count(page) == len(expected)
    assert set(shown_urls(page)) == expected

    check_filter(page, REGION_FILTER, region_name)
    expected &= {url_of(content, i) for i in taxonomy.by_region[REGION]}
    assert expected
    assert result_count(page) == len(expected)
    shown = shown_urls(page)
    assert set(shown) == expected

    query = parse_qs(urlsplit(page.url).query)
    assert query["q"] == ["déchets"]
    assert sorted(query["filtre"]) == sorted([f"{vocabulary.label}:{theme_label}", f"{REGION_FILTER}:{region_name}"])

    # The address alone gives the same search: reload it in another tab.
    shared = browser.new_context(locale="fr-FR").new_page()
    try:
        shared.goto(page.url)
        shared.wait_for_function(WAIT_RESULTS)
        assert shown_urls(shared) == shown
        checked = shared.eval_on_selector_all(".pagefind-ui__filter-checkbox:checked", "boxes => boxes.map(b => b.name + ':' + b.value)")
        assert sorted(checked) == sorted(query["filtre"])
        assert shared.locator(".pagefind-ui__search-input").input_value() == "déchets"
    finally:
        shared.context.close()

    # Back: to the search with the theme only, then from a result to the search.
    before = message(page)
    page.go_back()
    wait_for_change(page, before)
    assert parse_qs(urlsplit(page.url).query)["filtre"] == [f"{vocabulary.label}:{theme_label}"]
    assert result_count(page) == len(everything & {url_of(content, i) for i in taxonomy.by_term[THEME]})
    search_url = page.url
    page.locator(".pagefind-ui__result-link").first.click()
    page.wait_for_load_state()
    assert "/recherche/" not in page.url
    page.go_back()
    page.wait_for_function(WAIT_RESULTS)
    assert page.url == search_url
    assert result_count(page) == len(everything & {url_of(content, i) for i in taxonomy.by_term[THEME]})

    foreign = sorted({r for r in page.requests if not r.startswith(site_origin + "/") and not r.startswith(("data:", "blob:"))})
    assert not foreign, f"requests to another host: {foreign}"
    assert not page.failures, page.failures


def test_results_sort_by_date_newest_first_and_the_order_is_kept_in_the_url(page, browser, site_origin, content, territories):
    dates = {}
    for item in indexed_items(content):
        sort = dict(metadata(content, territories, item)["sort"])
        if "date" in sort:
            dates[url_of(content, item)] = sort["date"]
    open_search(page, site_origin, "compostage")
    relevant = shown_urls(page)
    sorter = page.locator("#portail-search-sort")
    assert sorter.is_visible()
    before = message(page)
    sorter.select_option("date")
    page.wait_for_function("() => new URLSearchParams(location.search).get('tri') === 'date'")
    page.wait_for_function(WAIT_RESULTS)
    shown = shown_urls(page)
    assert shown, before
    assert set(shown) == {url for url in relevant if url in dates}  # dated results only
    assert [dates[url] for url in shown] == sorted((dates[url] for url in shown), reverse=True)
    assert shown != [url for url in relevant if url in dates]  # the order did change
    # The address alone gives the same order; Back returns to relevance.
    shared = browser.new_context(locale="fr-FR").new_page()
    try:
        shared.goto(page.url)
        shared.wait_for_function(WAIT_RESULTS)
        assert shown_urls(shared) == shown
        assert shared.locator("#portail-search-sort").input_value() == "date"
    finally:
        shared.context.close()
    # Back in the first tab: Chromium renders (and Pagefind's UI loads the
    # results' data for) the tab in front only.
    page.bring_to_front()
    page.go_back()
    page.wait_for_function("() => !new URLSearchParams(location.search).has('tri')")
    page.wait_for_function(WAIT_RESULTS)
    assert page.locator("#portail-search-sort").input_value() == ""
    assert shown_urls(page) == relevant
    assert not page.failures, page.failures


def test_nonsense_query_says_so_in_french(page, site_origin):
    open_search(page, site_origin, "xqzwvkj")
    message = page.locator(".pagefind-ui__message").inner_text()
    assert message.startswith("Aucun résultat pour «\u00a0xqzwvkj\u00a0»"), message
    page.wait_for_timeout(700)
    assert page.locator("#portail-search-status").inner_text().startswith("Aucun résultat")


def test_filters_work_from_the_keyboard(page, site_origin):
    open_search(page, site_origin, "compostage")
    before, text = result_count(page), message(page)
    summary = page.locator("summary.pagefind-ui__filter-name", has_text=TYPE_FILTER)
    summary.focus()
    if page.locator("details.pagefind-ui__filter-block[open]", has=summary).count() == 0:
        page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.className")
    assert "pagefind-ui__filter-checkbox" in focused
    page.keyboard.press("Space")
    wait_for_change(page, text)
    assert "filtre=" in page.url
    assert result_count(page) < before


def test_the_header_form_works_without_javascript(browser, site_origin):
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(f"{site_origin}/fiches/couches-lavables-maternites-picardie/")
        page.locator("#portail-header-q").fill("compostage")
        page.locator("#portail-header-q").press("Enter")
        page.wait_for_load_state()
        assert urlsplit(page.url).path == "/recherche/"
        assert parse_qs(urlsplit(page.url).query)["q"] == ["compostage"]
        assert "La recherche a besoin de JavaScript" in page.content()
    finally:
        context.close()


def test_the_header_form_lands_on_results(page, site_origin):
    page.goto(f"{site_origin}/fiches/")
    page.locator("#portail-header-q").fill("compostage")
    page.locator("#portail-header-q").press("Enter")
    page.wait_for_function(WAIT_RESULTS)
    assert urlsplit(page.url).path == "/recherche/"
    assert result_count(page) > 0
    assert page.locator("#portail-header-q").input_value() == "compostage"


@pytest.mark.parametrize("listing, type_name", [("fiches/", "fiche"), ("agenda/", "evenement"), ("annuaire/", "acteur")])
def test_a_listing_filters_its_own_items_as_you_type(page, site_origin, content, listing, type_name):
    label = content.declaration.types[type_name].label
    page.goto(f"{site_origin}/{listing}")
    static = page.locator(".md-content__inner > .portail-listing-search ~ *").first
    assert static.is_visible()
    page.locator("#portail-listing-q").fill("compostage")
    status = page.locator(".portail-listing-search__status")
    page.wait_for_function("() => /résultat/.test(document.querySelector('.portail-listing-search__status').textContent)")
    expected = api(page, "compostage", {TYPE_FILTER: label})
    assert expected <= {url_of(content, i) for i in content.of_type(type_name)}
    shown = set(page.eval_on_selector_all(".portail-listing-search__results a", "links => links.map(a => a.getAttribute('href'))"))
    assert shown == expected, status.inner_text()
    assert not static.is_visible()
    page.locator("#portail-listing-q").fill("")
    page.wait_for_function("() => document.querySelector('.portail-listing-search__status').textContent === ''")
    assert static.is_visible()
    assert not page.failures, page.failures


@pytest.mark.parametrize("listing, type_name", [("fiches/", "fiche"), ("agenda/", "evenement"), ("annuaire/", "acteur")])
def test_a_listing_narrows_by_its_own_facets(page, site_origin, content, territories, listing, type_name):
    """Region (and theme, where the type has it) selects show the exact items."""
    taxonomy = build_taxonomy(content, territories)
    region = territories.region(REGION)
    page.goto(f"{site_origin}/{listing}")
    static = page.locator(".md-content__inner > .portail-listing-search ~ *").first
    select = page.locator(f'select[data-filter="{REGION_FILTER}"]')
    expected = {url_of(content, i) for i in taxonomy.by_region[REGION] if i.type == type_name and not i.draft}
    assert expected
    option = select.locator("option", has_text=re.compile(f"^{re.escape(region.name)} \\("))
    assert option.inner_text() == f"{region.name} ({len(expected)})"
    select.select_option(region.name)
    page.wait_for_function("() => /résultat/.test(document.querySelector('.portail-listing-search__status').textContent)")
    shown = set(page.eval_on_selector_all(".portail-listing-search__results a", "links => links.map(a => a.getAttribute('href'))"))
    assert shown == expected
    assert not static.is_visible()
    # With a word as well, the results are those of both.
    page.locator("#portail-listing-q").fill("déchets")
    label = content.declaration.types[type_name].label
    both = api(page, "déchets", {TYPE_FILTER: label, REGION_FILTER: region.name})
    page.wait_for_function("() => /déchets/.test(document.querySelector('.portail-listing-search__status').textContent)")
    shown = set(page.eval_on_selector_all(".portail-listing-search__results a", "links => links.map(a => a.getAttribute('href'))"))
    assert shown == both and shown <= expected
    more = page.locator(".portail-listing-search__more a").get_attribute("href")
    assert parse_qs(urlsplit(more).query)["filtre"] == sorted([f"{REGION_FILTER}:{region.name}", f"{TYPE_FILTER}:{label}"])
    # Back to "Tous" and no word: the static listing again.
    page.locator("#portail-listing-q").fill("")
    select.select_option("")
    page.wait_for_function("() => document.querySelector('.portail-listing-search__status').textContent === ''")
    assert static.is_visible()
    assert not page.failures, page.failures


AXE_RUN = """() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
  .then(r => r.violations.map(v => `${v.id}: ${v.help} (${v.nodes.length}) ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`))"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_a_filtered_listing_passes_axe(browser, site_origin, scheme, width):
    require_tools(browser=True, axe=True)
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme, reduced_motion="reduce", locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(f"{site_origin}/fiches/")
        page.locator("#portail-listing-q").fill("compostage")
        page.wait_for_function("() => /résultat/.test(document.querySelector('.portail-listing-search__status').textContent)")
        page.add_script_tag(path=str(AXE_JS))
        violations = page.evaluate(AXE_RUN)
    finally:
        context.close()
    assert not violations, "\n".join(violations)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_search_page_with_results_and_filters_passes_axe(browser, site_origin, scheme, width):
    require_tools(browser=True, axe=True)
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme, reduced_motion="reduce", locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(f"{site_origin}/recherche/?q=d%C3%A9chets&filtre=R%C3%A9gion:Hauts-de-France")
        page.wait_for_function(WAIT_RESULTS)
        page.eval_on_selector_all("details.pagefind-ui__filter-block", "blocks => blocks.forEach(b => b.open = true)")
        page.add_script_tag(path=str(AXE_JS))
        violations = page.evaluate(AXE_RUN)
    finally:
        context.close()
    assert not violations, "\n".join(violations)
