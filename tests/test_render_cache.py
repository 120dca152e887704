"""The rendered-page cache (generators/render_cache.py): a warm build writes
the same bytes as a cold one, and re-renders only what an edit touches.

Each scenario builds a copy of the demo twice after the same change: once
with the cache of the previous build (warm), once with ``PORTAIL_CACHE=non``
(cold), and compares every file of the two sites.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from generators.render_cache import Entry, Fingerprinter, Recorder, RenderCache, replay
from sitebuild import copy_sources

REPO = Path(__file__).resolve().parent.parent
PORTAIL = Path(sys.executable).parent / "portail"
STATS = re.compile(r"pages : (\d+) reprise\(s\) du cache, (\d+) rendue\(s\)")
ITEMS = re.compile(r"contenus : (\d+) fichier\(s\) validé\(s\), dont (\d+) repris du cache")


# --------------------------------------------------------------------------
# Units


@dataclass(frozen=True)
class Point:
    x: int
    tags: frozenset


def test_fingerprints_follow_values_not_identity_nor_set_order():
    f = Fingerprinter()
    a = {"p": Point(1, frozenset({"b", "a", "c"})), "l": [1, "1", None]}
    b = {"p": Point(1, frozenset({"c", "a", "b"})), "l": [1, "1", None]}
    assert f.digest(a) == f.digest(b)
    assert f.digest(a) != f.digest({"p": Point(2, frozenset({"a", "b", "c"})), "l": [1, "1", None]})
    assert f.digest([1, "1"]) != f.digest(["1", 1])  # types are part of the digest
    assert f.digest(("a", "b")) != f.digest(("ab",))  # lengths too
    # The same value, the same digest, whether its types were met before
    # (the short ways through Fingerprinter._feed) or not.
    fresh = Fingerprinter().digest(a)
    assert fresh == f.digest({"p": Point(1, frozenset({"a", "b", "c"})), "l": [1, "1", None]})
    assert f.digest(["é", Point(1, frozenset())]) == Fingerprinter().digest(["é", Point(1, frozenset())])


def test_a_digest_of_parts_is_the_digest_of_their_tuple_when_it_holds_an_object():
    parts = ("clé", "# Titre\n\nTexte." * 50, {"item": Point(1, frozenset({"a"})), "n": [1, 2]}, None)
    assert Fingerprinter().digest_parts(*parts) == Fingerprinter().digest(parts)
    assert Fingerprinter().digest_parts(*parts) != Fingerprinter().digest_parts(*parts[:3], "autre")


class Label(str):
    pass


def test_a_string_subclass_is_not_digested_as_a_plain_string():
    f = Fingerprinter()
    assert f.digest("x") != f.digest(Label("x"))
    assert f.digest(["x", Label("x")]) == Fingerprinter().digest(["x", Label("x")]) != f.digest(["x", "x"])


def test_opaque_types_stand_for_themselves_only():
    class Index:
        def __init__(self, n):
            self.n = n

    f = Fingerprinter({Index: lambda _: "index"})
    assert f.digest(Index(1)) == f.digest(Index(2))
    assert Fingerprinter().digest(Index(1)) != Fingerprinter().digest(Index(2))


@dataclass
class Record:
    title: str
    values: dict
    body: str = ""


def test_pickled_types_are_digested_by_value_without_their_skipped_attributes():
    def fingerprints():
        return Fingerprinter(skip={Record: frozenset({"body"})}, pickled=frozenset({Record}))

    one = Record("Ressourcerie", {"flux": ["bois", "papier"], "annee": 2018, "point": Point(1, frozenset())})
    same = Record("Ressourcerie", {"flux": ["bois", "papier"], "annee": 2018, "point": Point(1, frozenset())}, body="autre texte")
    assert fingerprints().digest(one) == fingerprints().digest(same)  # the body is skipped
    for other in (
        Record("Recyclerie", one.values),
        Record("Ressourcerie", {**one.values, "annee": "2018"}),
        Record("Ressourcerie", {**one.values, "point": Point(2, frozenset())}),
    ):
        assert fingerprints().digest(other) != fingerprints().digest(one)
    # A part that cannot be pickled: the record is walked like any object.
    walked = Record("Ressourcerie", {"format": lambda value: value})
    assert fingerprints().digest(walked) == Fingerprinter(skip={Record: frozenset({"body"})}).digest(walked)


def test_panel_fields_are_made_from_the_type_and_item_they_hold():
    """An item page's ``fields`` (site.PanelFields) lists what panel_fields
    lists, and its digest follows the item's."""
    from generators.content import Validator
    from generators.declaration import load_declaration
    from generators.site import PanelFields, panel_fields

    content = Validator(load_declaration(REPO / "config" / "types.yml", REPO)).load()
    sheets = content.of_type("fiche")
    ctype = content.declaration.types["fiche"]
    for item in sheets:
        lazy = PanelFields(ctype, item)
        assert list(lazy) == panel_fields(ctype, item) and len(lazy) == len(panel_fields(ctype, item))
        assert bool(lazy) == bool(panel_fields(ctype, item))
    f = Fingerprinter()
    assert f.digest(PanelFields(ctype, sheets[0])) != f.digest(PanelFields(ctype, sheets[1]))


def test_a_trace_replays_calls_and_plain_reads():
    class Index:
        flag = True

        def __init__(self, names):
            self.names = names

        def name(self, key):
            return self.names.get(key)

    calls, state = [], {}
    recorder = Recorder(Index({"a": "Amiens"}), "index", calls, state)
    assert recorder.name("a") == "Amiens" and recorder.flag is True
    assert not state
    assert replay(calls, {"index": Index({"a": "Amiens", "b": "Brest"})})  # what the page asked is unchanged
    assert not replay(calls, {"index": Index({"a": "Abbeville"})})  # an answer changed
    assert not replay(calls, {})

    recorder.names  # a dict read directly cannot be replayed
    assert "broken" in state


def test_a_page_key_names_its_link_targets_in_the_order_of_the_text():
    from mkdocs.structure.files import File, Files

    from generators.plugin import _link_targets

    files = Files([File("fiches/b.md", "/d", "/s", True), File("images/c.png", "/d", "/s", True)])
    markdown = (
        'Voir [la fiche](b.md#suite) et <img src="../images/c.png" alt="">.\n\n'
        "  [ref]: <https://exemple.org/x>\n"
        "[autre]: ../absente.md\n"
        "Puis [l'accueil](/index.md) et [un lien](//cdn.exemple.org/y)."
    )
    found = _link_targets(markdown, "fiches/a.md", files)
    assert [(target, resolved) for target, resolved, _ in found] == [
        ("b.md#suite", "fiches/b.md"), ("../images/c.png", "images/c.png"), ("../absente.md", "absente.md"), ("/index.md", "index.md"),
    ]
    assert found[0][2] == ("fiches/b/", "fiches/b/index.html", True) and found[2][2] is None
    # Text without any of the marks is not scanned, and names nothing.
    assert _link_targets("Un texte sans lien, ni crochet ; a = b.", "fiches/a.md", files) == []


def test_entries_round_trip_and_damaged_entries_are_misses(tmp_path):
    cache = RenderCache(tmp_path / "pages")
    cache.store("fiches/a.md", Entry(key=b"k", calls=[], html="<p>é</p>"))
    assert cache.load("fiches/a.md") == Entry(key=b"k", calls=[], html="<p>é</p>")
    assert cache.load_head("fiches/a.md") == Entry(key=b"k", calls=[], html="")  # the HTML is not read
    assert cache.load("fiches/b.md") is None
    html = cache.html_path("fiches/a.md", b"k")
    whole = html.read_bytes()
    html.write_bytes(whole[:-1])  # the HTML cut short: a miss, never a shorter page
    assert cache.load("fiches/a.md") is None
    assert not cache.place("fiches/a.md", b"k", tmp_path / "site" / "a.html")
    html.write_bytes(whole)
    head = next((tmp_path / "pages").glob("*/*.pickle"))
    head.write_bytes(head.read_bytes()[:20])
    assert cache.load("fiches/a.md") is None and cache.load_head("fiches/a.md") is None
    cache.store("fiches/a.md", Entry(key=b"k", calls=[], html="x"))
    cache.store("fiches/c.md", Entry(key=b"k", calls=[], html="y"))
    assert cache.prune(["fiches/c.md"]) == 1
    assert cache.load("fiches/a.md") is None and cache.load("fiches/c.md").html == "y"
    assert sorted(p.name.split(".")[-1] for p in (tmp_path / "pages").rglob("*.*")) == ["html", "pickle"]


def test_the_last_outputs_serve_only_the_same_inputs_and_damage_is_a_miss(tmp_path):
    from generators.render_cache import OUTPUTS

    cache = RenderCache(tmp_path / "pages")
    assert cache.last_outputs(b"inputs") is None
    outputs = [("flux/fiches.xml", b"<rss/>"), ("donnees/fiches.json", "[\"é\"]".encode())]
    cache.remember_outputs(b"inputs", outputs)
    assert cache.last_outputs(b"inputs") == outputs
    assert cache.last_outputs(b"others") is None
    whole = (cache.folder / OUTPUTS).read_bytes()
    (cache.folder / OUTPUTS).write_bytes(whole[:-3])  # cut short: made again, never part of them
    assert cache.last_outputs(b"inputs") is None
    cache.remember_outputs(b"inputs", [("a", "pas des octets")])
    assert cache.last_outputs(b"inputs") is None
    assert cache.prune([]) == 0 and (cache.folder / OUTPUTS).exists()  # not a page entry


def test_a_checked_head_is_not_read_again_to_place_its_page(tmp_path):
    """load_head keeps the key and the HTML's size until place() uses them,
    so a cached page's head is read once per build; the HTML, named by its
    key, is still checked by its size."""
    cache = RenderCache(tmp_path / "pages")
    cache.store("fiches/a.md", Entry(key=b"k", calls=[], html="<p>a</p>"))
    cache.store("fiches/b.md", Entry(key=b"k", calls=[], html="<p>b</p>"))
    assert cache.load_head("fiches/a.md").key == b"k" and cache.load_head("fiches/b.md").key == b"k"
    for head in (tmp_path / "pages").glob("*/*.pickle"):
        head.unlink()
    target = tmp_path / "site" / "a.html"
    assert cache.place("fiches/a.md", b"k", target) and target.read_text(encoding="utf-8") == "<p>a</p>"
    assert not cache.place("fiches/a.md", b"k", tmp_path / "again.html")  # used once: the head is read again, and is gone
    assert not cache.place("fiches/b.md", b"other", tmp_path / "b.html")  # another key than the one checked
    cache.store("fiches/a.md", Entry(key=b"k", calls=[], html="<p>a</p>"))
    assert cache.load_head("fiches/a.md") is not None
    cache.html_path("fiches/a.md", b"k").write_bytes(b"<p>a</p>!")
    assert not cache.place("fiches/a.md", b"k", tmp_path / "longer.html")  # not the size checked


def test_a_hit_is_linked_into_the_site_and_keeps_its_bytes(tmp_path):
    """The site gets the stored HTML by a hard link; storing a new version
    later (a rename) leaves the published page as it was."""
    cache = RenderCache(tmp_path / "pages")
    cache.store("fiches/a.md", Entry(key=b"k1", calls=[], html="<p>é \udcff</p>"))
    target = tmp_path / "site" / "fiches" / "a" / "index.html"
    assert cache.place("fiches/a.md", b"k1", target)
    assert target.read_bytes() == "<p>é \udcff</p>".encode("utf-8", errors="xmlcharrefreplace")  # as MkDocs writes it
    assert target.stat().st_ino == cache.html_path("fiches/a.md", b"k1").stat().st_ino
    assert not cache.place("fiches/a.md", b"k2", tmp_path / "other.html")  # another key: not this entry
    cache.store("fiches/a.md", Entry(key=b"k2", calls=[], html="<p>nouveau</p>"))
    assert target.read_text(encoding="utf-8").startswith("<p>é")
    assert cache.prune(["fiches/a.md"]) == 1  # the HTML of the first key
    assert not cache.html_path("fiches/a.md", b"k1").exists() and target.is_file()
    assert cache.load("fiches/a.md").html == "<p>nouveau</p>"


# --------------------------------------------------------------------------
# Builds


def _build(project: Path, site: Path, *, cache: bool = True, validated: list | None = None) -> tuple[int, int]:
    """Build with the real CLI; return (pages taken from the cache, pages
    rendered). ``validated`` receives (files validated, of which taken from
    the cache of validated items)."""
    # With the cache, half the pages are rendered by a second process
    # (second_renderer.py), as in a large site's build: same bytes expected.
    env = {**os.environ, "PORTAIL_DATE": "2026-11-24", "PORTAIL_CACHE": "oui" if cache else "non", "PORTAIL_SECOND_PROCESSUS": "oui"}
    result = subprocess.run(
        [str(PORTAIL), "build", "--site-dir", str(site)], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    site.with_name(site.name + ".log").write_text(output, encoding="utf-8")
    assert result.returncode == 0, output[-3000:]
    # MkDocs' "Page skipped" for each page linked from the cache is dropped (plugin._Linked).
    assert "Page skipped" not in output, output[-3000:]
    found = STATS.search(output)
    if not cache:
        assert found is None and ITEMS.search(output) is None, "PORTAIL_CACHE=non still used the cache"
        return (0, 0)
    assert found, output[-2000:]
    if validated is not None:
        validated.extend(map(int, ITEMS.search(output).groups()))
    return int(found.group(1)), int(found.group(2))


def _differences(a: Path, b: Path) -> list[str]:
    files_a = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()}
    differing = sorted(files_a ^ files_b)
    differing += sorted(name for name in files_a & files_b if (a / name).read_bytes() != (b / name).read_bytes())
    # And the same permissions: a page linked from a cache entry is as
    # readable by a web server as one written anew.
    differing += sorted(
        f"{name} (mode {_mode(a / name):o} / {_mode(b / name):o})"
        for name in files_a & files_b if _mode(a / name) != _mode(b / name)
    )
    return differing


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o7777


def _warm_equals_cold(project: Path, tmp: Path, name: str, validated: list | None = None) -> tuple[int, int]:
    hits, rendered = _build(project, tmp / f"{name}-warm", validated=validated)
    _build(project, tmp / f"{name}-cold", cache=False)
    assert _differences(tmp / f"{name}-warm", tmp / f"{name}-cold") == []
    return hits, rendered


@pytest.fixture()
def warm_project(tmp_path):
    """A copy of the demo whose cache holds a first build. Its files are
    dated an hour back: the validation cache does not keep files changed in
    the last seconds (validation_cache.RACY_NS), and the edits of the tests
    below must be the only recent ones."""
    project = copy_sources(tmp_path / "depot")
    past = time.time() - 3600
    for path in [project, *project.rglob("*")]:
        os.utime(path, (past, past))
    validated: list[int] = []
    hits, rendered = _build(project, tmp_path / "first", validated=validated)
    assert hits == 0 and rendered > 200
    assert validated[0] > 50 and validated[1] == 0
    return project


def test_an_unchanged_rebuild_renders_nothing_and_writes_the_same_bytes(warm_project, tmp_path):
    validated: list[int] = []
    hits, rendered = _warm_equals_cold(warm_project, tmp_path, "same", validated)
    assert rendered == 0 and hits > 200
    assert validated[1] == validated[0] > 50  # every item taken from the cache
    assert _differences(tmp_path / "first", tmp_path / "same-warm") == []
    # The pages were linked from the cache (RenderCache.place), not written again.
    stored = {p.stat().st_ino for p in (warm_project / ".cache" / "pages").glob("*/*.html")}
    pages = list((tmp_path / "same-warm").rglob("index.html"))
    linked = [p for p in pages if p.stat().st_ino in stored]
    assert len(linked) == hits, (len(linked), hits)


def test_a_first_build_links_the_pages_it_renders_to_the_entries_it_stores(warm_project, tmp_path):
    """A page rendered and stored is put into the site as a hit is, by a link
    to its new entry: written once, and the next build finds the same file
    there (the search index's memo then does not read it again)."""
    cache = warm_project / ".cache" / "pages"
    stored = {p.stat().st_ino for p in cache.glob("*/*.html")}
    heads = list(cache.glob("*/*.pickle"))
    linked = [p for p in (tmp_path / "first").rglob("*.html") if p.stat().st_ino in stored]
    assert len(linked) == len(heads) > 200


def test_a_fresh_checkout_given_the_kept_cache_renders_and_processes_nothing(warm_project, tmp_path):
    """What CI does (.github/workflows/publish.yml keeps .cache/pages and
    .cache/images from run to run): a new checkout at the same path, every
    file with new dates and inodes, and the previous run's cache. Keys are
    made of contents, so everything comes from the cache, same bytes."""
    import shutil

    shutil.move(warm_project / ".cache", tmp_path / "kept-cache")
    shutil.rmtree(warm_project)
    copy_sources(warm_project)
    shutil.move(tmp_path / "kept-cache", warm_project / ".cache")
    env = {**os.environ, "PORTAIL_DATE": "2026-11-24"}
    result = subprocess.run(
        [str(PORTAIL), "build", "--site-dir", str(tmp_path / "checkout")], cwd=warm_project, env=env, capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    hits, rendered = map(int, STATS.search(output).groups())
    assert rendered == 0 and hits > 200
    assert re.search(r"images : 0 traitée\(s\), 0 carte\(s\) de partage dessinée\(s\), \d+ reprise\(s\) du cache", output), output[-2000:]
    assert _differences(tmp_path / "first", tmp_path / "checkout") == []


def test_editing_content_re_renders_the_pages_that_show_it(warm_project, tmp_path):
    # A sheet's body, and the name of an actor that several sheets link to.
    sheet = warm_project / "fiches" / "diagnostics-flux-pme-somme.md"
    sheet.write_text(sheet.read_text(encoding="utf-8") + "\nUne phrase ajoutée pour la reconstruction.\n", encoding="utf-8")
    actor = warm_project / "content" / "acteurs" / "espace-environnement-picardie.md"
    text = actor.read_text(encoding="utf-8")
    actor.write_text(text.replace("nom: Espace Environnement (antenne Picardie)", "nom: Espace Environnement Picardie"), encoding="utf-8")
    validated: list[int] = []
    hits, rendered = _warm_equals_cold(warm_project, tmp_path, "edit", validated)
    assert validated[1] == validated[0] - 2  # the two edited files are validated again, the others come from the cache
    assert 2 < rendered < hits  # the two pages, their listings and the pages naming the actor; not the rest
    page = (tmp_path / "edit-warm" / "fiches" / "diagnostics-flux-pme-somme" / "index.html").read_text(encoding="utf-8")
    assert "Une phrase ajoutée pour la reconstruction." in page
    naming = [p for p in (tmp_path / "edit-warm" / "fiches").rglob("index.html") if "Espace Environnement Picardie" in p.read_text(encoding="utf-8")]
    assert len(naming) >= 3  # every sheet carried by the actor shows its new name


OUTPUTS_KEPT = re.compile(r"flux et exports : \d+ fichier\(s\) repris de la construction précédente")
RECALLED = re.compile(r"(\d+) clé\(s\) de page reprise\(s\) de la construction précédente")


def test_after_a_body_edit_the_other_pages_keep_their_last_keys(warm_project, tmp_path):
    """Only a page's own Markdown changed (a sheet's body): every other page
    takes its key from the last build's (RenderCache.last_keys) instead of
    digesting its data again; any other change computes them all."""
    sheet = warm_project / "fiches" / "diagnostics-flux-pme-somme.md"
    sheet.write_text(sheet.read_text(encoding="utf-8") + "\nUne phrase ajoutée au corps seulement.\n", encoding="utf-8")
    hits, rendered = _warm_equals_cold(warm_project, tmp_path, "body")
    assert rendered == 1 and hits > 200
    output = (tmp_path / "body-warm.log").read_text(encoding="utf-8")
    recalled = int(RECALLED.search(output).group(1))
    assert recalled == hits  # every page but the edited one; no checking child then (plugin._start_second)
    assert "Une phrase ajoutée au corps seulement." in (tmp_path / "body-warm" / "fiches" / "diagnostics-flux-pme-somme" / "index.html").read_text(encoding="utf-8")
    assert OUTPUTS_KEPT.search(output)  # feeds, calendars and exports too (plugin._outputs)

    # A summary (frontmatter) shows on other pages: no key is taken.
    text = sheet.read_text(encoding="utf-8")
    sheet.write_text(re.sub(r"^(resume: .*)$", r"\1 Complété.", text, count=1, flags=re.MULTILINE), encoding="utf-8")
    hits, rendered = _warm_equals_cold(warm_project, tmp_path, "summary")
    assert rendered > 1
    output = (tmp_path / "summary-warm.log").read_text(encoding="utf-8")
    assert RECALLED.search(output) is None and OUTPUTS_KEPT.search(output) is None


EARLY = re.compile(r"en 3 parties \(1 indexée\(s\) dont 1 pendant l'écriture des pages, les autres reprises du cache\)")


def test_after_a_body_edit_its_search_part_is_indexed_while_pages_are_written(tmp_path):
    """With the index in parts, the part of the page rendered anew is indexed
    before MkDocs' page loop ends (plugin._start_early, search_parts.EarlyParts):
    the site is the same as a cold build's, and the log says so."""
    project = copy_sources(tmp_path / "depot")
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("      declaration: config/types.yml\n", "      declaration: config/types.yml\n      recherche:\n        parties: 3\n", 1), encoding="utf-8")
    past = time.time() - 3600
    for path in [project, *project.rglob("*")]:
        os.utime(path, (past, past))
    _build(project, tmp_path / "first")
    assert EARLY.search((tmp_path / "first.log").read_text(encoding="utf-8")) is None  # a cold build indexes at the end
    sheet = project / "fiches" / "diagnostics-flux-pme-somme.md"
    sheet.write_text(sheet.read_text(encoding="utf-8") + "\nUne phrase ajoutée au corps seulement.\n", encoding="utf-8")
    hits, rendered = _warm_equals_cold(project, tmp_path, "parts")
    assert rendered == 1
    assert EARLY.search((tmp_path / "parts-warm.log").read_text(encoding="utf-8"))
    assert "Une phrase ajoutée" in (tmp_path / "parts-warm" / "fiches" / "diagnostics-flux-pme-somme" / "index.html").read_text(encoding="utf-8")


def test_a_recalled_key_whose_html_left_the_cache_renders_its_page_again(warm_project, tmp_path):
    import pickle

    from generators.render_cache import PAGE_KEYS

    cache = RenderCache(warm_project / ".cache" / "pages")
    _, _, keys = pickle.loads((cache.folder / PAGE_KEYS).read_bytes())
    uri = "fiches/diagnostics-flux-pme-somme.md"
    _, key, size = keys[uri]
    assert cache.holds(uri, key, size)
    cache.html_path(uri, key).unlink()
    assert not cache.holds(uri, key, size)
    hits, rendered = _warm_equals_cold(warm_project, tmp_path, "lost")
    assert rendered == 1 and hits > 200
    assert RECALLED.search((tmp_path / "lost-warm.log").read_text(encoding="utf-8"))


def test_a_template_change_re_renders_every_page_that_uses_it(warm_project, tmp_path):
    template = warm_project / "theme_overrides" / "portail" / "item.html"
    template.write_text(template.read_text(encoding="utf-8").replace("{% block content %}", "{% block content %}<!-- gabarit modifié -->", 1), encoding="utf-8")
    hits, rendered = _warm_equals_cold(warm_project, tmp_path, "template")
    assert rendered > 200 and hits == 0  # the theme is in every page's key
    assert "gabarit modifié" in (tmp_path / "template-warm" / "fiches" / "diagnostics-flux-pme-somme" / "index.html").read_text(encoding="utf-8")


def test_a_configuration_change_re_renders_everything(warm_project, tmp_path):
    config = warm_project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("site_name: Réseau régional économie circulaire", "site_name: Réseau test"), encoding="utf-8")
    hits, rendered = _warm_equals_cold(warm_project, tmp_path, "config")
    assert hits == 0
    assert "Réseau test" in (tmp_path / "config-warm" / "index.html").read_text(encoding="utf-8")


def test_a_deleted_file_leaves_no_page_and_no_entry(warm_project, tmp_path):
    news = warm_project / "content" / "actualites" / "parution-guide-ess-economie-circulaire-collectivites.md"
    news.unlink()
    hits, rendered = _warm_equals_cold(warm_project, tmp_path, "deleted")
    assert rendered < hits
    assert not (tmp_path / "deleted-warm" / "actualites" / "parution-guide-ess-economie-circulaire-collectivites").exists()
    cache = RenderCache(warm_project / ".cache" / "pages")
    assert cache.load("actualites/parution-guide-ess-economie-circulaire-collectivites.md") is None


def test_an_image_replaced_in_place_re_renders_its_pages(warm_project, tmp_path):
    image = warm_project / "fiches" / "images" / "compost-partage.jpg"
    with Image.open(image) as original:
        size = (original.width // 2, original.height // 2)
    Image.new("RGB", size, (40, 120, 60)).save(image, quality=90)  # same path, other pixels and size
    validated: list[int] = []
    hits, rendered = _warm_equals_cold(warm_project, tmp_path, "image", validated)
    assert 0 < rendered < hits
    assert 0 < validated[0] - validated[1] < 5  # the files naming the image are validated again


def test_a_page_that_warned_is_not_taken_from_the_cache_next_time(warm_project, tmp_path):
    sheet = warm_project / "fiches" / "diagnostics-flux-pme-somme.md"
    sheet.write_text(sheet.read_text(encoding="utf-8") + "\nVoir [la fiche](inexistante.md).\n", encoding="utf-8")
    env = {**os.environ, "PORTAIL_DATE": "2026-11-24"}
    for attempt in range(2):  # a strict build fails on the broken link, the second time as the first
        result = subprocess.run([str(PORTAIL), "build", "--site-dir", str(tmp_path / f"w{attempt}")], cwd=warm_project, env=env, capture_output=True, text=True, check=False)
        assert result.returncode != 0, f"build {attempt + 1} passed despite the broken link"
        assert "inexistante.md" in result.stdout + result.stderr


def test_a_build_over_its_own_folder_never_writes_into_a_cache_entry(warm_project, tmp_path):
    """``mkdocs build --dirty`` and the preview server build over the last
    site, whose pages may be hard links to cache entries (RenderCache.place).
    A page rendered again must replace its link, not write through it: here
    the new version warns, so it is not stored, and the entry of the first
    version must still hold the first version when the edit is undone."""
    mkdocs = Path(sys.executable).parent / "mkdocs"
    env = {**os.environ, "PORTAIL_DATE": "2026-11-24"}
    site = tmp_path / "kept"

    def build() -> subprocess.CompletedProcess:
        # Not strict: MkDocs warns on every dirty build (the preview server silences it).
        command = [str(mkdocs), "build", "--dirty", "--no-strict", "-d", str(site)]
        return subprocess.run(command, cwd=warm_project, env=env, capture_output=True, text=True, check=False)

    result = build()
    assert result.returncode == 0, result.stderr[-2000:]
    page = site / "fiches" / "diagnostics-flux-pme-somme" / "index.html"
    original = page.read_bytes()
    assert page.stat().st_nlink > 1, "the page was not linked from the cache"
    sheet = warm_project / "fiches" / "diagnostics-flux-pme-somme.md"
    text = sheet.read_text(encoding="utf-8")
    sheet.write_text(text + "\nVoir [la fiche](inexistante.md).\n", encoding="utf-8")
    result = build()
    assert result.returncode == 0 and "inexistante.md" in result.stderr  # it warned: not stored
    assert b"inexistante" in page.read_bytes()
    sheet.write_text(text, encoding="utf-8")
    result = build()
    assert result.returncode == 0, result.stderr[-2000:]
    assert page.read_bytes() == original


def test_templates_never_read_the_body_of_an_item():
    """Item bodies are left out of page keys (plugin.py, ``skip``): a page
    shows only its own body, through its Markdown. A template reading
    ``.body`` would be served stale from the cache."""
    reading = re.compile(r"\.body\b|\bbody_line\b|\[\s*['\"]body['\"]\s*\]")
    offenders = [
        str(path.relative_to(REPO))
        for folder in (REPO / "theme_overrides", REPO / "generators" / "templates")
        for path in folder.rglob("*.html")
        if reading.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_feeds_calendars_and_exports_never_read_the_body_of_an_item():
    """The last build's outputs serve a build whose items differ only by
    their bodies (RenderCache.last_outputs): they must not show them."""
    import dataclasses
    from datetime import date

    from generators.content import Validator
    from generators.declaration import load_declaration
    from generators.site import build_outputs

    content = Validator(load_declaration(REPO / "config" / "types.yml", REPO)).load()
    made = build_outputs(content, date(2026, 11, 24), "https://exemple.org/", "Portail")
    assert any(o.path.endswith(".ics") for o in made) and any(o.path.endswith(".csv") for o in made)
    content.items = [dataclasses.replace(item, body=f"Un autre texte pour {item.slug}.", body_line=99) for item in content.items]
    assert build_outputs(content, date(2026, 11, 24), "https://exemple.org/", "Portail") == made


def test_links_are_traced_by_type_and_slug_with_the_same_answers():
    """plugin._links_arguments records ``links.url(item)`` as a call with the
    item's Reference: it must get the answer the item got, for every item."""
    from generators.content import Validator
    from generators.declaration import load_declaration
    from generators.plugin import _links_arguments
    from generators.site import Links
    from generators.values import Reference

    content = Validator(load_declaration(REPO / "config" / "types.yml", REPO)).load()
    links = Links(content)
    assert content.items
    for item in content.items:
        args, kwargs = _links_arguments("url", (item,), {})
        assert isinstance(args[0], Reference)
        assert links.url(*args, **kwargs) == links.url(item)
        assert _links_arguments("title", (item,), {}) is None  # the item itself is in the page's key


def test_a_deferred_context_fills_itself_before_anything_sees_it_whole():
    import copy
    import json
    import pickle

    from generators.pages import DeferredContext

    planned: list[int] = []

    def deferred() -> DeferredContext:
        return DeferredContext({"item": "fiche", "ctype": "type"}, lambda: planned.append(1) or {"similar": [1, 2], "jsonld": {}})

    context = deferred()
    assert context.get("item") == "fiche" and context["ctype"] == "type" and "item" in context
    assert planned == [] and not context.filled  # present entries: nothing planned
    assert context.get("similar") == [1, 2] and planned == [1] and context.filled
    assert context.get("absent") is None and planned == [1]  # planned once
    whole = {"item": "fiche", "ctype": "type", "similar": [1, 2], "jsonld": {}}
    for seen in (list, dict, lambda c: {**c}, lambda c: dict(c.items()), copy.copy, len, repr,
                 lambda c: pickle.loads(pickle.dumps(c)), lambda c: json.loads(json.dumps(c)), lambda c: c == whole):
        planned.clear()
        result = seen(deferred())
        assert planned == [1], seen
        assert result in (list(whole), whole, len(whole), repr(whole), True), (seen, result)
    changed = deferred()
    changed["nouveau"] = 1  # a change fills first: the planner's order is kept
    assert list(changed) == [*whole, "nouveau"]
    assert "absent" not in deferred()  # asking for a missing entry fills too


def test_deferred_item_contexts_are_the_planned_ones_with_the_same_key():
    """An item page's context planned later (SitePlanner(defer=True)) is
    the same mapping, in the same order, with the same digest."""
    from datetime import date

    from generators.content import Item, Validator
    from generators.declaration import Declaration, load_declaration
    from generators.pages import DeferredContext
    from generators.site import Links, SitePlanner, plan_pages
    from generators.taxonomy import Taxonomy
    from generators.territories import TerritoryIndex

    content = Validator(load_declaration(REPO / "config" / "types.yml", REPO)).load()
    now = {spec.src_uri: spec for spec in plan_pages(SitePlanner(content, date(2026, 11, 24), "https://exemple.fr/"))}
    later = {spec.src_uri: spec for spec in plan_pages(SitePlanner(content, date(2026, 11, 24), "https://exemple.fr/", defer=True))}
    assert list(now) == list(later)
    deferred = [uri for uri, spec in later.items() if isinstance(spec.context, DeferredContext)]
    assert len(deferred) > 50
    # As the plugin digests them: the shared indexes stand for themselves.
    digest = Fingerprinter({Links: lambda _: "links", Taxonomy: lambda _: "taxonomy", TerritoryIndex: lambda _: "territories",
                            Declaration: lambda _: "declaration"}, skip={Item: frozenset({"body", "body_line"})},
                           pickled=frozenset({Item})).digest
    for uri in deferred:
        assert not later[uri].context.filled
        assert list(later[uri].context) == list(now[uri].context), uri
        assert digest(later[uri].context) == digest(now[uri].context), uri


def test_the_stand_in_for_converting_a_cached_page_leaves_what_mkdocs_leaves():
    """plugin._skip_conversion replaces Page.render for a page taken from the
    cache: it must leave the attributes MkDocs' own conversion of an empty
    text leaves (a new MkDocs setting another one fails here)."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import File, Files
    from mkdocs.structure.pages import Page

    from generators.plugin import _skip_conversion

    config = load_config(str(REPO / "mkdocs.yml"))
    pages = []
    for stand_in in (False, True):
        file = File("fiches/exemple.md", config["docs_dir"], config["site_dir"], False)
        page = Page(None, file, config)
        page.markdown = ""
        if stand_in:
            _skip_conversion(page)
        page.render(config, Files([file]))
        state = {name: value for name, value in vars(page).items() if name != "render"}
        state["toc"] = list(page.toc)
        pages.append(state)
    assert pages[0].keys() == pages[1].keys()
    assert pages[0] == {**pages[1], "file": pages[0]["file"]}
