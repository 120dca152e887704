"""The search index in parts (generators/search_parts.py), with the real
Pagefind binary: every indexed page lands in exactly one part, a rebuild
indexes again only the part whose pages changed, and in Chromium the merged
parts answer as one index does (the demo site built with ``parties: 3``
against the same site built with one index)."""

from __future__ import annotations

import filecmp
import os
import json
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generators.search import BUNDLE_DIR, SearchIndexError, indexed_page_count
from generators.search_parts import (
    MANIFEST,
    PAGES_PER_PART,
    PART_PREFIX,
    SORT_TAG,
    EarlyParts,
    PartedIndexing,
    _trees,
    _sort_tags,
    indexed_pages,
    global_sorts,
    index_digest,
    make_indexing,
    page_sorts,
    part_of,
    resolve_parts,
    sort_tables,
)

PAGE = """<!doctype html><html lang="fr"><head><title>{title}</title></head><body>
<nav>menu commun à toutes les pages</nav>
<article class="md-content__inner"><div{body}><h1>{title}</h1><p>{text}</p>{sort}</div></article>
</body></html>"""


def sort_date(number: int) -> str:
    """The sort date of test page ``number``: 13 distinct dates, in no order of the numbers."""
    return f"2024-{number * 7 % 13 % 12 + 1:02d}-{number * 5 % 13 + 1:02d}"


def write_site(site: Path, count: int, without_body: int = 2) -> list[str]:
    """``count`` indexed pages (and a few without data-pagefind-body); their paths.
    Two pages in three carry a sort date (sort_date), as search_meta.html writes it."""
    paths = []
    for number in range(count):
        path = f"fiches/fiche-{number:03d}/index.html"
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        text = f"Compostage partagé numéro {number}, mot{number}unique, quartier {number % 7}."
        sort = f'<span data-pagefind-sort="date[data-value]" data-value="{sort_date(number)}"></span>' if number % 3 else ""
        (site / path).write_text(PAGE.format(title=f"Fiche {number}", body=" data-pagefind-body", text=text, sort=sort), encoding="utf-8")
        paths.append(path)
    for number in range(without_body):
        path = f"listes/liste-{number}/index.html"
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(PAGE.format(title=f"Liste {number}", body="", text="compostage listé", sort=""), encoding="utf-8")
    return paths


def bundles(site: Path) -> list[Path]:
    """The primary bundle, then the merged ones its manifest lists."""
    primary = site / BUNDLE_DIR
    listed = json.loads((primary / MANIFEST).read_text(encoding="utf-8"))["parties"]
    return [primary, *(primary / part for part in listed)]


def test_every_indexed_page_is_in_exactly_one_part(tmp_path):
    site = tmp_path / "site"
    paths = write_site(site, 40)
    indexing = PartedIndexing(site, 4, tmp_path / "cache")
    report = indexing.finish()
    assert report.pages == 40
    assert [path for path, _ in indexed_pages(site)] == sorted(paths)  # not the pages without a body
    sizes = {}
    for path in paths:
        sizes[part_of(path, 4)] = sizes.get(part_of(path, 4), 0) + 1
    found = bundles(site)
    assert len(found) == len(sizes) == len(indexing.indexed)
    assert [indexed_page_count(bundle) for bundle in found] == [sizes[number] for number in sorted(sizes)]
    # Each merged part sits under the primary bundle, named by its number.
    assert [bundle.name for bundle in found[1:]] == [f"{PART_PREFIX}{number}" for number in sorted(sizes)[1:]]
    # The pages without data-pagefind-body are in no part.
    assert not any("Liste" in p.read_bytes().decode("latin-1") for p in (site / BUNDLE_DIR).rglob("*.pf_meta"))


def _fragment_url(bundle: Path, page_hash: str) -> str:
    import gzip

    raw = gzip.decompress((bundle / "fragment" / f"{page_hash}.pf_fragment").read_bytes())
    return json.loads(raw[raw.index(b"{"):])["url"]


def test_each_part_sorts_its_pages_among_all_the_parts_pages(tmp_path):
    """Pagefind scores a sorted result by its rank in its own part's list:
    every part's list is made as long as the site's, each page at its rank
    among all the pages, so that merged results come in one index's order."""
    import gzip

    from generators.search import _read_packed

    site, cache = tmp_path / "site", tmp_path / "cache"
    paths = write_site(site, 40)
    PartedIndexing(site, 3, cache).finish()
    dated = {f"/{path.removesuffix('index.html')}": sort_date(int(re.search(r"fiche-(\d+)", path).group(1))) for path in paths
             if int(re.search(r"fiche-(\d+)", path).group(1)) % 3}
    found = bundles(site)
    assert len(found) == 3
    ranks: dict[int, str] = {}
    for bundle in found:
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
        (language,) = entry["languages"].values()
        meta = _read_packed(bundle / f"pagefind.{language['hash']}.pf_meta")
        (key, order), = meta[4]
        assert key == "date" and len(order) == len(dated)  # the whole site's length
        for rank, number in enumerate(order):
            if number < len(meta[1]):  # a page of this part; else a number no page has
                assert rank not in ranks
                ranks[rank] = dated[_fragment_url(bundle, meta[1][number][0])]
            else:
                assert number == len(meta[1])
    assert sorted(ranks) == list(range(len(dated)))  # each rank is one page's, in one part
    assert [ranks[rank] for rank in sorted(ranks)] == sorted(dated.values())
    # The cache keeps Pagefind's own files: the site's metadata and entry are new files.
    assert _trees_gone(cache)
    for bundle in found:
        for name in ("pagefind-entry.json",):
            assert not any((entry / name).samefile(bundle / name) for entry in cache.iterdir() if entry.is_dir())
    assert all(len(_read_packed(meta)[4][0][1]) < len(dated) for meta in cache.glob("*/pagefind.*.pf_meta"))
    assert gzip  # (decompressed in _fragment_url)


def test_sort_values_are_read_as_pagefind_reads_them():
    assert page_sorts(b'<span data-pagefind-sort="date[data-value]" data-value="2025-03-01"></span>') == {"date": "2025-03-01"}
    assert page_sorts(b'<p data-x="1" data-pagefind-sort="date:2024-01-02, poids[data-w]" data-w="3">') == {"date": "2024-01-02", "poids": "3"}
    assert page_sorts(b'<h1 data-pagefind-sort="titre">Compost</h1>') == {"titre": None}  # the element's text: not read
    assert page_sorts(b'<span data-pagefind-sort="date[data-value]" data-value="&#50;025"></span>') == {"date": "2025"}
    assert page_sorts(b"<p>rien</p>") == {}
    # Numbers in numeric order (Pagefind's, when all of a part's values are numbers), else text order.
    assert sort_tables([[{"n": "10"}, {"n": "9"}, {}], [{"n": "10"}, {"n": "a"}]]) == {"n": [["9", "10"], ["10", "a"]]}
    # A key with a value not read gets no table (its order is then Pagefind's merge of local ranks).
    assert sort_tables([[{"date": "2024-01-01"}], [{"date": None}]]) == {}


PIECES = [b"<", b">", b'"', b" ", b"a", b"=", b"\n", b"<div ", b'data-pagefind-sort="', b'xdata-pagefind-sort="', b"date[v]", b'v="1"']


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=16))
@example([b"<div ", b'data-pagefind-sort="', b'"', b">", b'data-pagefind-sort="', b'"', b">"])  # an attribute's name in text
@example([b"<div ", b'data-pagefind-sort="', b'"', b" ", b'data-pagefind-sort="', b'"', b">"])  # twice in one tag
def test_the_quick_tag_search_finds_what_the_pattern_finds(pieces):
    """``_sort_tags`` tries the pattern only before each attribute's name;
    it must find the very matches of ``SORT_TAG.finditer``."""
    data = b"".join(pieces)
    assert [tag.span() for tag in _sort_tags(data)] == [tag.span() for tag in SORT_TAG.finditer(data)]


def test_global_sorts_place_each_page_at_its_rank_across_the_parts():
    tables = {"date": [["2024-01", "2024-03"], ["2024-02", "2024-04", "2024-05"]], "n": [["2", "10"], ["9"]]}
    # Part 0 has 4 pages (its dated ones are pages 3 and 1), part 1 has 3.
    lists = [({"date": [3, 1], "n": [0, 2]}, 4), ({"date": [2, 0, 1], "n": [1]}, 3)]
    assert global_sorts(tables, lists) == [
        {"date": [3, 4, 1, 4, 4], "n": [0, 4, 2]},
        {"date": [3, 2, 3, 0, 1], "n": [3, 1, 3]},  # "9" between "2" and "10": as numbers
    ]
    # A table that does not match a part's list leaves the key out.
    assert global_sorts({"date": [["2024-01"], ["2024-02"]]}, lists) == [{}, {}]


def test_auto_takes_one_part_per_two_thousand_pages():
    assert PAGES_PER_PART == 2000
    assert [resolve_parts("auto", pages) for pages in (0, 94, 2000, 2001, 14_683, 10**6)] == [1, 1, 1, 2, 8, 64]
    assert resolve_parts(3, 14_683) == 3 and resolve_parts(1, 14_683) == 1


def _trees_gone(cache: Path, seconds: float = 30.0) -> bool:
    """Whether the temporary trees of the parts indexed (tmp-*) are gone:
    a detached process deletes them once the indexing is done."""
    deadline = time.monotonic() + seconds
    while list(cache.glob("tmp-*")):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_rebuild_indexes_again_only_the_part_whose_page_changed(tmp_path):
    site, cache = tmp_path / "site", tmp_path / "cache"
    paths = write_site(site, 30)
    first = PartedIndexing(site, 3, cache)
    first.finish()
    assert sorted(first.indexed) == sorted({part_of(path, 3) for path in paths})
    before = tmp_path / "before"
    shutil.copytree(site / BUNDLE_DIR, before)
    assert _trees_gone(cache)  # the parts' trees, deleted by a detached process
    entries = sorted(p.name for p in cache.iterdir())

    changed = paths[5]
    (site / changed).write_text((site / changed).read_text(encoding="utf-8").replace("quartier", "rue"), encoding="utf-8")
    second = PartedIndexing(site, 3, cache)
    assert second.finish().pages == 30
    number = part_of(changed, 3)
    assert second.indexed == [number]
    # The other parts' bundles are the same files; the changed one is not.
    primary_number = min(part_of(path, 3) for path in paths)
    for other in {part_of(path, 3) for path in paths}:
        name = "" if other == primary_number else f"{PART_PREFIX}{other}"
        old, new = before / name, site / BUNDLE_DIR / name
        files = sorted(p.relative_to(old).as_posix() for p in old.rglob("*") if p.is_file() and PART_PREFIX not in p.relative_to(old).as_posix())
        same = filecmp.cmpfiles(old, new, files, shallow=False)[0]
        assert (same == files) == (other != number), other
    # The changed part's old entry was pruned: one entry per part again.
    assert _trees_gone(cache)
    after = sorted(p.name for p in cache.iterdir())
    assert len(after) == len(entries) and len(set(after) - set(entries)) == 1

    # Nothing changed: nothing indexed.
    third = PartedIndexing(site, 3, cache)
    third.finish()
    assert third.indexed == []

    # A page gains a related item's card: its part is indexed again. When
    # only the card changes (left out of the index), it is not.
    other = paths[6]
    page = (site / other).read_text(encoding="utf-8")
    (site / other).write_text(page.replace("</div>", RELATED.format(picture="", summary="Autre fiche.") + "</div>", 1), encoding="utf-8")
    fourth = PartedIndexing(site, 3, cache)
    fourth.finish()
    assert fourth.indexed == [part_of(other, 3)]
    page = (site / other).read_text(encoding="utf-8")
    (site / other).write_text(page.replace("Autre fiche.", "Une fiche voisine, résumée autrement.").replace("fiche-001", "fiche-002"), encoding="utf-8")
    fifth = PartedIndexing(site, 3, cache)
    fifth.finish()
    assert fifth.indexed == []


RELATED = """<section class="portail-related" aria-labelledby="proches"><h2 id="proches">Initiatives proches</h2>
<ul><li class="portail-card"><h3><a href="../fiche-001/">Fiche 1</a></h3>{picture}<p>{summary}</p></li></ul></section>"""
OWN_PICTURE = '<span data-pagefind-meta="image[data-value]" data-value=""></span>'


def related_page(summary: str = "Un résumé.", picture: str = "", own: str = OWN_PICTURE, tail: str = "</div>") -> bytes:
    """A page whose body holds a related item's card (search.EXCLUDED_SELECTORS: ``.portail-related``)."""
    page = PAGE.format(title="Fiche 0", body=" data-pagefind-body", text="Compostage partagé." + own, sort="")
    return page.replace("</div>", RELATED.format(picture=picture, summary=summary) + tail, 1).encode()


def test_left_out_elements_do_not_count_in_a_page_digest():
    """What Pagefind leaves out cannot change a part's index: a related card's
    text, links and (on a page that names its own) picture."""
    page = related_page()
    assert index_digest(related_page("Un autre résumé, plus long.")) == index_digest(page)
    assert index_digest(page.replace(b'href="../fiche-001/"', b'href="../fiche-002/"')) == index_digest(page)
    picture = '<img src="../../images/a.jpg" alt="Un composteur">'
    assert index_digest(related_page(picture=picture)) == index_digest(related_page(picture=picture.replace("a.jpg", "b.jpg")))
    # What Pagefind reads: the page's own text, attributes it reads anywhere,
    # a picture when the page does not name its own, an element cut short.
    assert index_digest(page.replace("Compostage".encode(), b"Lombricompostage")) != index_digest(page)
    tagged = related_page('<span data-pagefind-filter="Type:Fiche"></span>')
    assert index_digest(tagged) != index_digest(tagged.replace(b"Type:Fiche", b"Type:Acteur"))
    bare = related_page(picture=picture, own="")
    assert index_digest(bare) != index_digest(related_page(picture=picture.replace("a.jpg", "b.jpg"), own=""))
    cut = related_page(tail="")
    cut = cut[: cut.index(b"</section>")]
    assert index_digest(cut) != index_digest(cut.replace("Un résumé".encode(), b"Autre"))


def test_left_out_elements_of_the_demo_pages_leave_pagefind_s_index_unchanged(built_site, tmp_path):
    """The real Pagefind, on the demo's pages with related cards: rewriting
    everything inside the left-out elements (text, links, pictures,
    identifiers) keeps every page's ``index_digest`` and gives the same
    bundle, byte for byte. Guards ``index_digest`` against a template or a
    Pagefind version that would read them."""
    from generators.search import stabilise_bundle

    pages = {}
    for path in built_site.rglob("index.html"):
        data = path.read_bytes()
        if b"data-pagefind-body" in data and b'class="portail-related"' in data and not path.is_relative_to(built_site / BUNDLE_DIR):
            pages[path.relative_to(built_site).as_posix()] = data

    def rewritten(data: bytes) -> bytes:
        def inside(match: re.Match) -> bytes:
            element = re.sub(rb">([^<]+)<", lambda m: b">" + m.group(1)[::-1] + b" autre<", match.group(0))
            element = re.sub(rb'(href|src|alt|id|aria-labelledby)="([^"]*)"', rb'\1="\2-autre"', element)
            return element.replace(b"<h3 ", b'<h3 id="carte-ajoutee" ')
        return re.sub(rb'<section class="portail-related".*?</section>', inside, data, flags=re.S)

    changed = {path: rewritten(data) for path, data in pages.items()}
    assert len(pages) >= 5 and any(b"<img" in data for data in changed.values()), "the demo must have related cards, some with pictures"
    assert all(changed[path] != data for path, data in pages.items())
    assert all(index_digest(changed[path]) == index_digest(data) for path, data in pages.items())

    def bundle(name: str, texts: dict[str, bytes]) -> dict[str, bytes]:
        site = tmp_path / name
        for path, data in texts.items():
            (site / path).parent.mkdir(parents=True, exist_ok=True)
            (site / path).write_bytes(data)
        PartedIndexing(site, 1, tmp_path / f"{name}-cache").finish()
        stabilise_bundle(site / BUNDLE_DIR)
        return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted((site / BUNDLE_DIR).rglob("*")) if p.is_file()}

    assert bundle("before", pages) == bundle("after", changed)


def test_the_same_pages_give_the_same_bundles(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    write_site(first, 25)
    write_site(second, 25)
    PartedIndexing(first, 3, tmp_path / "cache-a").finish()
    PartedIndexing(second, 3, tmp_path / "cache-b").finish()
    names = sorted(p.relative_to(first).as_posix() for p in (first / BUNDLE_DIR).rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(second).as_posix() for p in (second / BUNDLE_DIR).rglob("*") if p.is_file())
    assert filecmp.cmpfiles(first, second, names, shallow=False)[0] == names


def test_one_part_is_the_plain_indexing_and_a_build_without_cache_cleans_up(tmp_path):
    from generators.search import Indexing

    site = tmp_path / "site"
    write_site(site, 10)
    single = make_indexing(site, 1, tmp_path / "cache")
    assert isinstance(single, Indexing)
    single.finish()
    assert not (site / BUNDLE_DIR / MANIFEST).exists() and not (tmp_path / "cache").exists()

    parted = make_indexing(site, 2, None)
    assert parted.finish().pages == 10
    assert parted.temporary and not parted.cache_dir.exists()
    assert (site / BUNDLE_DIR / MANIFEST).is_file()


def test_bad_part_counts_and_empty_sites_are_refused_in_french(tmp_path):
    with pytest.raises(SearchIndexError, match="entre 1 et 64"):
        PartedIndexing(tmp_path, 65, tmp_path / "cache")
    site = tmp_path / "vide"
    write_site(site, 0)
    with pytest.raises(SearchIndexError, match="aucune page à indexer"):
        PartedIndexing(site, 2, tmp_path / "cache").finish()


def test_a_cancelled_parted_indexing_leaves_no_process(tmp_path):
    site = tmp_path / "site"
    write_site(site, 20)
    indexing = PartedIndexing(site, 2, tmp_path / "cache")
    # Both parts' trees are linked before the thread starts (_scan).
    assert len(list((tmp_path / "cache").glob("tmp-*/site"))) == 2
    indexing.cancel()
    assert not indexing._thread.is_alive()
    assert indexing._runs.process is None or indexing._runs.process.poll() is not None
    assert list((tmp_path / "cache").glob("tmp-*")) == []  # no tree left behind


# -- in the browser: the demo site in three parts --------------------------------

from sitebuild import TODAY, built_site, chromium, copy_sources, require_tools, serve, site_origin  # noqa: E402,F401

WAIT_RESULTS = "() => { const m = document.querySelector('.pagefind-ui__message'); return m && /résultat/.test(m.textContent); }"


@pytest.fixture(scope="module")
def parted_origin():
    """The demo site built with ``recherche: {parties: 3}``, served."""
    from generators.build import build_site
    from generators.project import find_project

    root = Path(tempfile.mkdtemp(prefix="portail-parties-"))
    try:
        copy_sources(root)
        config = root / "mkdocs.yml"
        text = config.read_text(encoding="utf-8")
        anchor = "      declaration: config/types.yml\n"
        assert anchor in text
        config.write_text(text.replace(anchor, anchor + "      recherche:\n        parties: 3\n", 1), encoding="utf-8")
        site = build_site(find_project(config=config), today=TODAY)
        assert len(bundles(site)) == 3
        with serve(site) as origin:
            yield origin
    finally:
        shutil.rmtree(root, ignore_errors=True)


SORT_VALUE = re.compile(r'data-pagefind-sort="date\[data-value\]" data-value="([^"]*)"')


def _result_dates(origin: str, page) -> list[str]:
    """The sort dates of the results shown, in their order (read from each result's page)."""
    from urllib.parse import urljoin
    from urllib.request import urlopen

    dates = []
    for href in page.eval_on_selector_all(".pagefind-ui__result-link", "links => links.map(a => a.href)"):
        with urlopen(urljoin(origin, href)) as response:
            found = SORT_VALUE.search(response.read().decode("utf-8"))
        dates.append(found.group(1) if found else "")
    return dates


def _search(browser, origin: str, address: str, resort: str | None = None) -> tuple[str, list[str], list[str], list[str]]:
    """The result message, the filter values offered, the console errors and
    the results' sort dates of a search page (``resort``: then sorted so with the page's menu)."""
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("response", lambda response: response.status >= 400 and errors.append(f"{response.status} {response.url}"))
    page.goto(origin + address)
    page.wait_for_function(WAIT_RESULTS)
    page.wait_for_timeout(300)
    if resort is not None:
        page.select_option("#portail-search-sort", resort)
        page.wait_for_function(WAIT_RESULTS)
        page.wait_for_timeout(500)
    text = page.locator(".pagefind-ui__message").inner_text()
    values = sorted(page.eval_on_selector_all(".pagefind-ui__filter-checkbox", "boxes => boxes.map(b => b.name + ':' + b.value)"))
    dates = _result_dates(origin, page)
    context.close()
    return text, values, errors, dates


@pytest.mark.parametrize("address", ["/recherche/?q=compost", "/recherche/?q=d%C3%A9chets&filtre=Type+de+contenu:%C3%89v%C3%A9nement", "/recherche/?q=r%C3%A9emploi&tri=date"])
def test_merged_parts_answer_as_one_index(chromium, site_origin, parted_origin, address):
    require_tools(browser=True)
    one = _search(chromium, site_origin, address)
    parts = _search(chromium, parted_origin, address)
    assert re.match(r"\d+ résultats? pour", one[0]), one[0]
    assert parts[0] == one[0]
    assert parts[1] == one[1]  # the same filters, merged across the parts
    assert parts[2] == [] and one[2] == []
    if "tri=date" in address:
        # In the order one index gives: newest first, across the parts.
        assert len(one[3]) >= 5 and all(one[3])
        assert parts[3] == one[3] == sorted(one[3], reverse=True)


def test_sorting_by_date_from_the_menu_searches_every_part(chromium, site_origin, parted_origin):
    """Choosing the order starts a new Pagefind UI (search.js), which ends the
    old one's module: every part must still be searched, in date order."""
    require_tools(browser=True)
    one = _search(chromium, site_origin, "/recherche/?q=r%C3%A9emploi&tri=date")
    parts = _search(chromium, parted_origin, "/recherche/?q=r%C3%A9emploi", resort="date")
    assert parts[0] == one[0] and parts[2] == []
    assert parts[3] == one[3] == sorted(one[3], reverse=True)


def test_a_listing_searches_every_part(chromium, site_origin, parted_origin):
    require_tools(browser=True)
    found = []
    for origin in (site_origin, parted_origin):
        context = chromium.new_context(locale="fr-FR")
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(origin + "/fiches/")
        page.fill("#portail-listing-q", "compost")
        page.wait_for_function("() => document.querySelector('.portail-listing-search__status').textContent.length > 0")
        found.append((page.locator(".portail-listing-search__status").inner_text(), sorted(page.eval_on_selector_all(
            ".portail-listing-search__results a", "links => links.map(a => a.getAttribute('href'))"))))
        merged = [url for url in requests if f"/{BUNDLE_DIR}/{PART_PREFIX}" in url]
        found[-1] += (bool(merged),)
        context.close()
    assert found[0][:2] == found[1][:2]
    assert re.match(r"\d+ résultats? pour", found[0][0])
    assert (found[0][2], found[1][2]) == (False, True)  # only the parted site loads parts


@pytest.mark.parametrize("value", ["huit", "0", "65", "true"])
def test_a_bad_part_count_in_mkdocs_yml_stops_the_build_in_french(tmp_path, caplog, value):
    from generators.build import BuildFailed, build_site
    from generators.project import find_project

    root = copy_sources(tmp_path / "depot")
    config = root / "mkdocs.yml"
    anchor = "      declaration: config/types.yml\n"
    config.write_text(config.read_text(encoding="utf-8").replace(anchor, f"{anchor}      recherche:\n        parties: {value}\n", 1), encoding="utf-8")
    target = tmp_path / "publie"
    with pytest.raises(BuildFailed):
        build_site(find_project(config=config), today=TODAY, site_dir=target)
    assert re.search(r"mkdocs.yml:\d+: portail.recherche.parties : valeur attendue : « auto » ou un nombre entre 1 et 64 \(ici ", caplog.text), caplog.text
    assert not target.exists()


def test_the_demo_site_is_small_enough_for_one_index(built_site):
    """``parties: auto`` (the default): one index below 2,000 pages."""
    assert (built_site / BUNDLE_DIR / "pagefind-entry.json").is_file()
    assert not (built_site / BUNDLE_DIR / MANIFEST).exists()
    assert "data-search-parts" not in (built_site / "recherche" / "index.html").read_text(encoding="utf-8")


def test_a_rebuild_reads_only_the_pages_whose_files_changed(tmp_path, monkeypatch):
    """The second indexing takes the unchanged files' digests from its memo:
    the same pages linked into a new site folder are not read again; a page
    rewritten (same size, new file) is."""
    import os

    site, cache = tmp_path / "site", tmp_path / "cache"
    paths = write_site(site, 12)
    PartedIndexing(site, 2, cache).finish()
    # A new site folder whose pages are hard links to the last one's (as
    # cached pages are), but one page written anew with the same length.
    again = tmp_path / "again"
    for path in site.rglob("*.html"):
        if BUNDLE_DIR in path.relative_to(site).parts:
            continue
        target = again / path.relative_to(site)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)
    changed = again / paths[3]
    text = changed.read_text(encoding="utf-8")
    changed.unlink()
    changed.write_text(text.replace("quartier", "quartieR"), encoding="utf-8")
    read: list[str] = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self.name if self.suffix != ".html" else self.relative_to(again).as_posix()) or real(self))
    second = PartedIndexing(again, 2, cache)
    second.finish()
    assert [name for name in read if name.endswith(".html")] == [paths[3]]
    assert second.indexed == [part_of(paths[3], 2)]


def _cached_site(tmp_path: Path, count: int) -> tuple[Path, Path, Path, list[str]]:
    """A site whose pages are hard links to files of a render cache, as a
    warm build places them (plugin.on_post_page), indexed once in 3 parts."""
    site, render, cache = tmp_path / "site", tmp_path / "render", tmp_path / "search"
    paths = write_site(render, count)
    for path in [p.relative_to(render).as_posix() for p in render.rglob("*.html")]:
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        os.link(render / path, site / path)
    PartedIndexing(site, 3, cache).finish()
    assert _trees_gone(cache)
    return site, render, cache, paths


def _bundle_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in (site / BUNDLE_DIR).rglob("*") if p.is_file()}


@pytest.mark.parametrize("foreseen", [True, False])
def test_a_part_indexed_during_the_page_loop_is_taken_under_its_key(tmp_path, foreseen):
    """EarlyParts indexes the part of a page rendered anew as soon as that
    page is rendered; PartedIndexing then takes the entry it made, under the
    key it computes from the written site. If the page written is not the
    one announced, the part is indexed again. Either way, the same bundles
    as indexing the site from nothing."""
    site, render, cache, paths = _cached_site(tmp_path, 30)
    changed = paths[7]
    new = (site / changed).read_text(encoding="utf-8").replace("quartier", "rue").encode()
    early = EarlyParts(cache, 3)
    for path in [p.relative_to(render).as_posix() for p in sorted(render.rglob("*.html"))]:
        early.expect(path, None if path == changed else render / path)
    early.ready()
    assert early.keys == set()  # every other part is in the cache
    early.rendered(changed, new)
    assert len(early.keys) == 1 and len(early.trees) == 1
    written = new if foreseen else new.replace(b"rue", b"avenue")
    (site / changed).unlink()
    (site / changed).write_bytes(written)

    indexing = PartedIndexing(site, 3, cache, early=early)
    assert indexing.finish().pages == 30
    number = part_of(changed, 3)
    assert indexing.indexed == [number]
    assert indexing.indexed_early == ([number] if foreseen else [])
    assert bool(_trees(indexing._scanned[2])) != foreseen  # PartedIndexing made a tree only when mispredicted

    fresh = tmp_path / "fresh"
    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns(BUNDLE_DIR))
    PartedIndexing(fresh, 3, tmp_path / "fresh-cache").finish()
    assert _bundle_files(site) == _bundle_files(fresh)
    assert _trees_gone(cache)


def test_early_parts_wait_for_every_page_of_their_part_and_skip_pages_without_body(tmp_path):
    site, render, cache, paths = _cached_site(tmp_path, 30)
    number = part_of(paths[3], 3)
    same_part = [path for path in paths if part_of(path, 3) == number]
    early = EarlyParts(cache, 3)
    for path in [p.relative_to(render).as_posix() for p in sorted(render.rglob("*.html"))]:
        early.expect(path, None if path in same_part[:2] else render / path)
    early.ready()
    first = (render / same_part[0]).read_bytes().replace(b"quartier", b"place")
    early.rendered(same_part[0], first)
    assert early.keys == set()  # its part still waits for the second page
    early.rendered("ailleurs/index.html", b"<html></html>")  # not expected: ignored
    early.rendered(same_part[1], (render / same_part[1]).read_bytes())
    assert len(early.keys) == 1
    early.wait()
    entry = cache / next(iter(early.keys))
    assert (entry / "pagefind-entry.json").is_file()
    assert indexed_page_count(entry) == len(same_part)  # the pages without data-pagefind-body left out
    early.cancel()  # after the end: nothing to stop, nothing raised


def test_a_cancelled_early_part_leaves_no_process(tmp_path):
    site, render, cache, paths = _cached_site(tmp_path, 30)
    early = EarlyParts(cache, 3)
    for path in [p.relative_to(render).as_posix() for p in sorted(render.rglob("*.html"))]:
        early.expect(path, None if path == paths[0] else render / path)
    early.ready()
    early.rendered(paths[0], (render / paths[0]).read_bytes().replace(b"quartier", b"impasse"))
    early.cancel()
    assert early._thread is None
    assert early._runs.process is None or early._runs.process.poll() is not None
