"""Redirects of the old portal's addresses (config/redirections.yml).

Unit tests of the path rules and of the checks, a build of the demo site
(whose table holds a few old addresses), a build that must stop on a bad
line, and Chromium following old addresses to their new pages.
"""

from __future__ import annotations

import gc
import logging
import re
import shutil
from datetime import date
from pathlib import Path
from urllib.parse import urljoin

import pytest

from generators.build import BuildFailed, build_site
from generators.project import find_project
from generators.redirects import (
    RedirectEntry,
    Target,
    load_redirects,
    old_path_key,
    plan_redirects,
    published_path,
    relative_url,
)
from sitebuild import REPO, SOURCES, built_site, chromium, require_tools, site_origin  # noqa: F401

SITE_URL = "https://reseau-economie-circulaire.example.org/"


# -- where an old address is published ----------------------------------------


@pytest.mark.parametrize(
    "old, page, dispatcher",
    [
        ("/agenda/journee.html", "agenda/journee.html", ""),
        ("/agenda/journee.htm", "agenda/journee.htm", ""),
        ("/agenda/", "agenda/index.html", ""),
        ("/agenda", "agenda/index.html", ""),
        ("/contact.php", "contact.php/index.html", ""),
        ("/initiatives/fiche.php?id=12", "initiatives/fiche.php/id-12/index.html", "initiatives/fiche.php/index.html"),
        ("/fiche.php?lang=fr&id=12", "fiche.php/id-12_lang-fr/index.html", "fiche.php/index.html"),
        ("/page.html?id=3", "page/id-3/index.html", "page.html"),
        ("http://ancien.example.org/actualit%C3%A9s/breve.php?id=4", "actualités/breve.php/id-4/index.html", "actualités/breve.php/index.html"),
    ],
)
def test_published_path(old, page, dispatcher):
    path, dispatcher_path, _ = published_path(old)
    assert (path, dispatcher_path) == (page, dispatcher)


@pytest.mark.parametrize("old", ["/", "/a/../b.html", "/?id=3"])
def test_published_path_refuses(old):
    with pytest.raises(ValueError):
        published_path(old)


def test_old_path_key_ignores_parameter_order_and_host():
    assert old_path_key("http://x.example/f.php?b=2&a=1") == old_path_key("/f.php?a=1&b=2") == "/f.php?a=1&b=2"


def test_relative_url_stays_inside_the_site():
    assert relative_url("initiatives/fiche.php/id-12/index.html", "fiches/x/") == "../../../fiches/x/"
    assert relative_url("agenda/vieux.html", "agenda/x/") == "x/"
    assert relative_url("a/index.html", "") == "../"


# -- checks ------------------------------------------------------------------


def _table(tmp_path: Path, text: str) -> list[RedirectEntry]:
    path = tmp_path / "config" / "redirections.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    entries, problems = load_redirects(path, tmp_path)
    assert problems == []
    return entries


def test_every_wrong_line_is_reported_with_its_line(tmp_path):
    entries = _table(
        tmp_path,
        "# commentaire\n"
        '"/ok.php?id=1&p=2": "fiches/a.md"\n'
        '"/perdu.php": "fiches/inconnue.md"\n'
        '"/fiches/": "fiches/a.md"\n'
        '"/ok.php?p=2&id=1": "fiches/a.md"\n'
        '"/../x.html": "fiches/a.md"\n'
        '"/brouillon.html": "fiches/b.md"\n',
    )
    targets = {"fiches/a.md": Target(url="fiches/a/", title="A"), "fiches/b.md": Target(url="fiches/b/", title="B", draft=True)}
    plan = plan_redirects(entries, targets, {"fiches/index.html"}, "config/redirections.yml")
    found = [(p.code, p.line) for p in plan.problems]
    assert found == [
        ("redirect_unknown_target", 3),
        ("redirect_collision", 4),
        ("redirect_duplicate", 5),
        ("redirect_bad_path", 6),
    ]
    assert "« fiches/inconnue.md », qui n'existe pas" in plan.problems[0].message
    assert [e.old for e in plan.pending] == ["/brouillon.html"]  # a draft target waits, silently
    assert [r.path for r in plan.redirects] == ["ok.php/id-1_p-2/index.html"]
    assert [d.path for d in plan.dispatchers] == ["ok.php/index.html"]


def test_the_table_with_yaml_error_is_located(tmp_path):
    path = tmp_path / "redirections.yml"
    path.write_text('"/a.html": "x.md"\n"/b.html" "y.md"\n', encoding="utf-8")
    _, problems = load_redirects(path, tmp_path)
    assert problems and problems[0].code == "yaml_syntax" and problems[0].line == 2


# -- the demo build ------------------------------------------------------------


def _demo_table() -> dict[str, str]:
    entries, problems = load_redirects(REPO / "config" / "redirections.yml", REPO)
    assert not problems
    return {e.old: e.target for e in entries}


def test_demo_table_is_not_empty():
    assert len(_demo_table()) >= 4


def test_every_entry_has_a_redirect_page_to_an_existing_page(built_site):
    for old, target in _demo_table().items():
        path, dispatcher, _ = published_path(old)
        page = built_site / path
        assert page.is_file(), f"{old}: no page at {path}"
        html = page.read_text(encoding="utf-8")
        assert '<meta name="robots" content="noindex">' in html
        refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', html)
        canonical = re.search(r'<link rel="canonical" href="([^"]+)">', html)
        assert refresh and canonical, f"{old}: no refresh or canonical in {path}"
        landing = urljoin("https://h/" + path, refresh.group(1))[len("https://h/"):]
        landing_file = built_site / landing / "index.html" if landing.endswith("/") or landing == "" else built_site / landing
        assert landing_file.is_file(), f"{old}: the redirect leads to /{landing}, which was not built"
        assert canonical.group(1) == SITE_URL + landing
        assert "Cette page a déménagé" in html and f'<a href="{refresh.group(1)}">' in html
        if dispatcher:
            listing = (built_site / dispatcher).read_text(encoding="utf-8")
            assert f'<a href="{relative_url(dispatcher, landing)}">' in listing


def test_redirect_pages_are_not_in_the_sitemap_nor_indexed(built_site):
    sitemap = (built_site / "sitemap.xml").read_text(encoding="utf-8")
    assert "fiche.php" not in sitemap and "journee-eit-beauvais.html" not in sitemap


def _copy_project(tmp_path: Path) -> Path:
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy2(source, tmp_path / name)
    return tmp_path


def _failed_build_with_line(tmp_path: Path, caplog, line: str) -> tuple[str, int, Path]:
    """The demo with ``line`` appended to its redirections, built: the build
    must fail. Returns the errors logged, the line's number and the site folder."""
    root = _copy_project(tmp_path)
    table = root / "config" / "redirections.yml"
    lines = table.read_text(encoding="utf-8").splitlines()
    lines.append(line)
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    site = tmp_path / "site-out"
    thresholds = gc.get_threshold()
    with caplog.at_level(logging.ERROR):
        with pytest.raises(BuildFailed):
            build_site(find_project(config=root / "mkdocs.yml"), today=date(2026, 11, 24), site_dir=site)
    # The build froze its objects once planned (plugin._freeze): a failed build thaws them too.
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds
    assert not [f for f in logging.getLogger("mkdocs.commands.build").filters if type(f).__name__ == "_Linked"]
    return "\n".join(r.getMessage() for r in caplog.records), len(lines), site


def test_a_wrong_target_stops_the_build_with_its_line(tmp_path, caplog):
    messages, number, site = _failed_build_with_line(tmp_path, caplog, '"/ancienne/page.php?id=99": "fiches/cette-fiche-n-existe-pas.md"')
    assert f"config/redirections.yml:{number}:1:" in messages
    assert "la redirection de « /ancienne/page.php?id=99 » mène à « fiches/cette-fiche-n-existe-pas.md », qui n'existe pas" in messages
    assert not site.exists()


def test_a_published_file_in_the_way_of_a_redirect_is_a_located_problem(tmp_path):
    """``/medias/guide.pdf`` would need a folder where the site has a file."""
    entries = _table(tmp_path, '"/medias/guide.pdf": "fiches/a.md"\n"/medias/guide.pdf/page.php?id=2": "fiches/a.md"\n')
    plan = plan_redirects(entries, {"fiches/a.md": Target(url="fiches/a/", title="A")}, {"medias/guide.pdf"}, "config/redirections.yml")
    assert [(p.code, p.line) for p in plan.problems] == [("redirect_collision", 1), ("redirect_collision", 2)]
    assert "(medias/guide.pdf)" in plan.problems[0].message
    assert plan.redirects == [] and plan.dispatchers == []


def test_an_old_address_of_a_feed_stops_the_build_with_its_line(tmp_path, caplog):
    """Feeds and exports are written after the pages: their clash with a
    redirect is found then, reported like the others, and nothing is published."""
    messages, number, site = _failed_build_with_line(tmp_path, caplog, '"/flux/fiches.xml": "fiches/"')
    assert f"config/redirections.yml:{number}:1:" in messages
    assert "l'ancienne adresse « /flux/fiches.xml » est celle d'une page du site (flux/fiches.xml)" in messages
    assert "rien n'a été publié" in messages
    assert not site.exists()


# -- in a browser ----------------------------------------------------------------


@pytest.fixture(scope="module")
def browser_page(chromium):
    require_tools(browser=True, axe=True)
    context = chromium.new_context(locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("suffix", ["", "/", "/id-12/"])
def test_an_old_address_lands_on_its_new_page(browser_page, site_origin, suffix):
    old = "/initiatives/fiche.php" + (suffix if suffix != "" else "") + ("?id=12" if suffix in ("", "/") else "")
    target = _demo_table()["/initiatives/fiche.php?id=12"]
    slug = Path(target).stem
    browser_page.goto(site_origin + old)
    browser_page.wait_for_url(re.compile(rf"/fiches/{slug}/$"), timeout=10000)
    assert browser_page.locator("h1").first.inner_text().strip()


def test_redirect_pages_pass_axe(browser_page, site_origin):
    from sitebuild import AXE_JS

    browser_page.route(re.compile(r".*/fiches/.*"), lambda route: route.abort("aborted"))
    try:
        for path in ("initiatives/fiche.php/id-12/", "initiatives/fiche.php/"):
            browser_page.goto(f"{site_origin}/{path}", wait_until="load")
            browser_page.wait_for_timeout(300)  # let the refresh or the script try, and fail
            assert "Cette page a déménagé" in browser_page.content()
            browser_page.add_script_tag(path=str(AXE_JS))
            violations = browser_page.evaluate(
                "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa']}})"
                ".then(r => r.violations.map(v => v.id))"
            )
            assert violations == [], f"/{path}: {violations}"
    finally:
        browser_page.unroute(re.compile(r".*/fiches/.*"))


def test_redirect_pages_are_valid_html(built_site):
    from test_html_validity import run_vnu

    require_tools(vnu=True)
    files = sorted({built_site / p for old in _demo_table() for p in published_path(old)[:2] if p})
    assert len(files) >= 5
    messages = run_vnu(files)
    assert messages == [], [(m.get("url", "")[-60:], m.get("message")) for m in messages]
