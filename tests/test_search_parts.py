"""The search index in parts (generators/search_parts.py), with the real
Pagefind binary: every indexed page lands in exactly one part, a rebuild
indexes again only the part whose pages changed, and in Chromium the merged
parts answer as one index does (the demo site built with ``parties: 3``
against the same site built with one index)."""

from __future__ import annotations

import filecmp
import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from generators.search import BUNDLE_DIR, SearchIndexError, indexed_page_count
from generators.search_parts import MANIFEST, PART_PREFIX, PartedIndexing, indexed_pages, make_indexing, part_of

PAGE = """<!doctype html><html lang="fr"><head><title>{title}</title></head><body>
<nav>menu commun à toutes les pages</nav>
<article class="md-content__inner"><div{body}><h1>{title}</h1><p>{text}</p></div></article>
</body></html>"""


def write_site(site: Path, count: int, without_body: int = 2) -> list[str]:
    """``count`` indexed pages (and a few without data-pagefind-body); their paths."""
    paths = []
    for number in range(count):
        path = f"fiches/fiche-{number:03d}/index.html"
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        text = f"Compostage partagé numéro {number}, mot{number}unique, quartier {number % 7}."
        (site / path).write_text(PAGE.format(title=f"Fiche {number}", body=" data-pagefind-body", text=text), encoding="utf-8")
        paths.append(path)
    for number in range(without_body):
        path = f"listes/liste-{number}/index.html"
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(PAGE.format(title=f"Liste {number}", body="", text="compostage listé"), encoding="utf-8")
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


def test_a_rebuild_indexes_again_only_the_part_whose_page_changed(tmp_path):
    site, cache = tmp_path / "site", tmp_path / "cache"
    paths = write_site(site, 30)
    first = PartedIndexing(site, 3, cache)
    first.finish()
    assert sorted(first.indexed) == sorted({part_of(path, 3) for path in paths})
    before = tmp_path / "before"
    shutil.copytree(site / BUNDLE_DIR, before)
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
    after = sorted(p.name for p in cache.iterdir())
    assert len(after) == len(entries) and len(set(after) - set(entries)) == 1

    # Nothing changed: nothing indexed.
    third = PartedIndexing(site, 3, cache)
    third.finish()
    assert third.indexed == []


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
    indexing.cancel()
    assert not indexing._thread.is_alive()
    assert indexing._process is None or indexing._process.poll() is not None


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


def _search(browser, origin: str, address: str) -> tuple[str, list[str], list[str]]:
    """The result message, the filter values offered and the console errors of a search page."""
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("response", lambda response: response.status >= 400 and errors.append(f"{response.status} {response.url}"))
    page.goto(origin + address)
    page.wait_for_function(WAIT_RESULTS)
    page.wait_for_timeout(300)
    text = page.locator(".pagefind-ui__message").inner_text()
    values = sorted(page.eval_on_selector_all(".pagefind-ui__filter-checkbox", "boxes => boxes.map(b => b.name + ':' + b.value)"))
    context.close()
    return text, values, errors


@pytest.mark.parametrize("address", ["/recherche/?q=compost", "/recherche/?q=d%C3%A9chets&filtre=Type+de+contenu:%C3%89v%C3%A9nement", "/recherche/?q=r%C3%A9emploi&tri=date"])
def test_merged_parts_answer_as_one_index(chromium, site_origin, parted_origin, address):
    require_tools(browser=True)
    one = _search(chromium, site_origin, address)
    parts = _search(chromium, parted_origin, address)
    assert re.match(r"\d+ résultats? pour", one[0]), one[0]
    assert parts[0] == one[0]
    assert parts[1] == one[1]  # the same filters, merged across the parts
    assert parts[2] == [] and one[2] == []


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
