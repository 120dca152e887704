"""The theme's navigation and tabs drawn once per folder on the pages outside
the navigation (plugin._Memo, theme_overrides/partials/nav.html, tabs.html):
the same bytes as drawing them on every page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from generators.plugin import _Memo
from sitebuild import copy_sources


@dataclass
class Page:
    url: str


@dataclass
class Nav:
    pages: list


def test_the_block_is_drawn_once_per_folder_unless_a_navigation_page_lies_below():
    memo, drawn = _Memo(), []

    def caller():
        drawn.append(1)
        return f"rendu {len(drawn)}"

    nav = Nav([Page(""), Page("fiches/"), Page("ressources/guide/annexe/")])
    assert memo("nav", Page("fiches/a/"), nav, caller=caller) == "rendu 1"
    assert memo("nav", Page("fiches/b/"), nav, caller=caller) == "rendu 1"  # same folder: kept
    assert memo("tabs", Page("fiches/b/"), nav, caller=caller) == "rendu 2"  # another block
    assert memo("nav", Page("acteurs/c/"), nav, caller=caller) == "rendu 3"  # another folder
    assert memo("nav", Page("ressources/guide/"), nav, caller=caller) == "rendu 4"  # a nav page below it
    assert memo("nav", Page("ressources/guide/"), nav, caller=caller) == "rendu 5"
    assert memo("nav", Page("ressources/autre/"), nav, caller=caller) == "rendu 6"


def test_the_demo_is_the_same_with_the_navigation_drawn_on_every_page(tmp_path, monkeypatch):
    from generators.build import build_site
    from generators.project import find_project

    project = copy_sources(tmp_path / "depot")
    monkeypatch.setenv("PORTAIL_CACHE", "non")
    sites = {}
    for memo in (True, False):
        if not memo:
            monkeypatch.setattr(_Memo, "__call__", lambda self, name, page, nav, caller: caller())
        sites[memo] = build_site(find_project(config=project / "mkdocs.yml"), today=date(2026, 11, 24), site_dir=tmp_path / str(memo))
    files = {memo: {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()} for memo, site in sites.items()}
    assert sorted(files[True]) == sorted(files[False])
    assert [name for name in files[True] if files[True][name] != files[False][name]] == []
    page = (sites[True] / "fiches" / "ressourcerie-des-biscottes" / "index.html").read_text(encoding="utf-8")
    assert 'class="md-tabs__link"' in page and "md-nav--primary" in page  # the tabs and navigation are there
