"""Half of a build's pages rendered by a forked child (generators/second_renderer.py):
the site is the same bytes as a build in one process, and the warnings of
the child's pages are still reported, once, by the build that fails on them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from generators.render_cache import PAGE_KEYS
from sitebuild import copy_sources

PORTAIL = Path(sys.executable).parent / "portail"
SECOND = re.compile(r"pages : 0 reprise\(s\) du cache, (\d+) rendue\(s\) dont (\d+) par un second processus")


def _build(project: Path, site: Path, second: str, cache: str = "oui") -> subprocess.CompletedProcess:
    env = {**os.environ, "PORTAIL_DATE": "2026-11-24", "PORTAIL_CACHE": cache, "PORTAIL_SECOND_PROCESSUS": second}
    return subprocess.run(
        [str(PORTAIL), "build", "--site-dir", str(site)], cwd=project, env=env, capture_output=True, text=True, check=False
    )


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def test_a_second_process_renders_half_the_pages_with_the_same_bytes(tmp_path):
    project = copy_sources(tmp_path / "depot")
    result = _build(project, tmp_path / "two", "oui")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    found = SECOND.search(result.stdout + result.stderr)
    assert found, (result.stdout + result.stderr)[-2000:]
    rendered, by_child = int(found.group(1)), int(found.group(2))
    assert rendered > 200 and rendered // 3 < by_child <= rendered // 2 + 1

    alone = _build(project, tmp_path / "one", "non", cache="non")
    assert alone.returncode == 0 and "second processus" not in alone.stdout + alone.stderr
    two, one = _files(tmp_path / "two"), _files(tmp_path / "one")
    assert sorted(two) == sorted(one)
    assert [name for name in one if two[name] != one[name]] == []


def _warnings(text: str) -> list[str]:
    return sorted(re.findall(r"Doc file '([^']+)' contains a link 'inexistante\.md'", text))


def test_warnings_of_the_childs_pages_are_reported_once_and_fail_the_build(tmp_path, monkeypatch, caplog):
    """The sheets' pages (every one with a broken link) are given to the child
    with the last half of the pages: each warning is logged once, by the
    parent, as in a build in one process, and the strict build fails."""
    import generators.plugin as plugin
    from generators.build import BuildFailed, build_site
    from generators.project import find_project

    project = copy_sources(tmp_path / "depot")
    for sheet in (project / "fiches").glob("*.md"):
        sheet.write_text(sheet.read_text(encoding="utf-8") + "\nVoir [la fiche](inexistante.md).\n", encoding="utf-8")
    shares: list[list[str]] = []

    def sheets_and_last_half(order: list[str]) -> list[str]:
        shares.append([uri for index, uri in enumerate(order) if uri.startswith("fiches/") or index >= len(order) // 2])
        return shares[-1]

    monkeypatch.setattr(plugin, "split_share", sheets_and_last_half)
    logs = {}
    for second in ("oui", "non"):
        monkeypatch.setenv("PORTAIL_SECOND_PROCESSUS", second)
        caplog.clear()
        with pytest.raises(BuildFailed):
            build_site(find_project(config=project / "mkdocs.yml"), today=date(2026, 11, 24), site_dir=tmp_path / second)
        logs[second] = caplog.text
        assert not (tmp_path / second).exists()  # nothing published
    assert len(shares) == 1
    warned = _warnings(logs["oui"])
    assert len(warned) > 20 and set(warned) <= set(shares[0])  # every warned page was the child's
    assert warned == _warnings(logs["non"])  # each once, as in one process
    found = re.search(r"rendue\(s\) dont (\d+) par un second processus", logs["oui"])
    assert found and int(found.group(1)) > 50  # the child rendered the pages that did not warn


def test_a_failed_child_leaves_its_pages_to_the_parent(tmp_path, monkeypatch, caplog):
    import generators.plugin as plugin
    from generators.build import build_site
    from generators.project import find_project

    project = copy_sources(tmp_path / "depot")

    def broken(self, share, nav, config, files):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(plugin.PortailPlugin, "_render_share", broken)
    sites = {}
    for second in ("oui", "non"):
        monkeypatch.setenv("PORTAIL_SECOND_PROCESSUS", second)
        monkeypatch.setenv("PORTAIL_CACHE", "oui" if second == "oui" else "non")
        sites[second] = build_site(find_project(config=project / "mkdocs.yml"), today=date(2026, 11, 24), site_dir=tmp_path / second)
    assert "second processus de rendu arrêté (RuntimeError : panne simulée)" in caplog.text
    assert "par un second processus" not in caplog.text
    two, one = _files(sites["oui"]), _files(sites["non"])
    assert sorted(two) == sorted(one)
    assert [name for name in one if two[name] != one[name]] == []


def test_a_warm_build_has_the_second_process_check_pages_instead_of_rendering_them(tmp_path, monkeypatch, caplog):
    """A rebuild after content edits takes most pages from the cache: the
    child only checks its half (key and recorded calls), and the parent takes
    its verdicts instead of keying those pages itself; the site is the same
    bytes as a cold build in one process. A template change makes every page
    a miss: the child renders again."""
    import logging

    import generators.plugin as plugin
    import generators.second_renderer as second_renderer
    from generators.build import build_site
    from generators.project import find_project

    caplog.set_level(logging.INFO)
    project = copy_sources(tmp_path / "depot")
    started: list[int] = []

    class Recording(plugin.SecondRenderer):
        def __init__(self, share, render_share):
            started.append(len(share))
            super().__init__(share, render_share)

    monkeypatch.setattr(plugin, "SecondRenderer", Recording)
    monkeypatch.setattr(second_renderer, "PARALLEL_PAGES", 10)  # automatic mode on the small demo
    monkeypatch.delenv("PORTAIL_SECOND_PROCESSUS", raising=False)
    monkeypatch.setattr(second_renderer.os, "cpu_count", lambda: 2)

    def build(name: str) -> str:
        caplog.clear()
        build_site(find_project(config=project / "mkdocs.yml"), today=date(2026, 11, 24), site_dir=tmp_path / name)
        return next(r.getMessage() for r in caplog.records if "reprise(s) du cache, " in r.getMessage())

    assert re.search(r"rendue\(s\) dont \d+ par un second processus", build("cold")) and len(started) == 1
    sheet = project / "fiches" / "diagnostics-flux-pme-somme.md"
    sheet.write_text(sheet.read_text(encoding="utf-8") + "\nUne phrase ajoutée.\n", encoding="utf-8")
    # A body edit with the last build's keys at hand: they serve every other
    # page (plugin._recall_keys), and no child is started.
    stats = build("body")
    assert "clé(s) de page reprise(s) de la construction précédente" in stats and len(started) == 1, stats
    # Without them (another kind of change, or a cache from an older
    # version), the child checks its share.
    (project / ".cache" / "pages" / PAGE_KEYS).unlink()
    sheet.write_text(sheet.read_text(encoding="utf-8") + "\nUne autre phrase.\n", encoding="utf-8")
    stats = build("edited")
    found = re.search(r"pages : (\d+) reprise\(s\) du cache, (\d+) rendue\(s\).* (\d+) page\(s\) reprise\(s\) vérifiée\(s\) par un second processus", stats)
    assert found and len(started) == 2 and "clé(s) de page" not in stats, stats
    hits, rendered, verified = map(int, found.groups())
    assert hits > 200 and 1 <= rendered < 10 and started[1] - 10 < verified <= started[1], (stats, started)

    monkeypatch.setenv("PORTAIL_SECOND_PROCESSUS", "non")
    monkeypatch.setenv("PORTAIL_CACHE", "non")
    build_site(find_project(config=project / "mkdocs.yml"), today=date(2026, 11, 24), site_dir=tmp_path / "alone")
    edited, alone = _files(tmp_path / "edited"), _files(tmp_path / "alone")
    assert sorted(edited) == sorted(alone)
    assert [name for name in alone if edited[name] != alone[name]] == []

    monkeypatch.delenv("PORTAIL_SECOND_PROCESSUS")
    monkeypatch.delenv("PORTAIL_CACHE")
    template = project / "theme_overrides" / "portail" / "item.html"
    template.write_text(template.read_text(encoding="utf-8").replace("{% block content %}", "{% block content %}<!-- modifié -->", 1), encoding="utf-8")
    assert re.search(r"rendue\(s\) dont \d+ par un second processus", build("template")) and len(started) == 3


def test_a_failed_checking_child_leaves_its_pages_to_the_parent(tmp_path, monkeypatch, caplog):
    """If the child of a warm build fails, the parent keys and checks the
    child's pages itself: they are still taken from the cache."""
    import logging

    import generators.plugin as plugin
    from generators.build import build_site
    from generators.project import find_project

    caplog.set_level(logging.INFO)
    project = copy_sources(tmp_path / "depot")
    monkeypatch.setenv("PORTAIL_SECOND_PROCESSUS", "oui")

    def build(name: str) -> None:
        build_site(find_project(config=project / "mkdocs.yml"), today=date(2026, 11, 24), site_dir=tmp_path / name)

    build("cold")
    (project / ".cache" / "pages" / PAGE_KEYS).unlink()  # else the last keys serve, and no child is started

    def broken(self, share, config, files):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(plugin.PortailPlugin, "_check_share", broken)
    caplog.clear()
    build("warm")
    assert "second processus de vérification arrêté (RuntimeError : panne simulée)" in caplog.text
    assert "vérifiée(s) par un second processus" not in caplog.text
    assert re.search(r"pages : \d{3} reprise\(s\) du cache, 0 rendue\(s\)", caplog.text), caplog.text[-2000:]
    warm, cold = _files(tmp_path / "warm"), _files(tmp_path / "cold")
    assert sorted(warm) == sorted(cold)
    assert [name for name in cold if warm[name] != cold[name]] == []
