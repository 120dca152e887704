"""``portail validate``'s cache (generators/validation_cache.py): unchanged
files are not checked again, and every change that can alter a file's
problems is seen: the file itself, an image it names, the folder of a
missing one, another file it refers to, and the declaration."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PIL import Image

from generators.cli import main
from generators.content import Validator

SHEET = """\
---
titre: {titre}
resume: Un résumé.
territoires: [Somme]
thematiques: [recyclage]
date_debut: "{date}"
porteur: {porteur}
image:
  src: images/photo.jpg
  alt: Une photo
---

Texte.
"""
ACTOR = "---\nnom: Un acteur\nresume: Une association.\ntype: association\nterritoires: [Somme]\n---\n\nTexte.\n"
PAST = time.time() - 3600


def _age(root: Path, later: float = 0) -> None:
    """Date every file and folder an hour back (files written in the last
    seconds are not cached: RACY_NS), or ``later`` seconds after that."""
    for path in [root, *root.rglob("*")]:
        if ".cache" not in path.parts:
            os.utime(path, (PAST + later, PAST + later))


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, (PAST + 60, PAST + 60))
    os.utime(path.parent, (PAST + 60, PAST + 60))


@pytest.fixture
def project(make_project):
    root = make_project({
        "fiches/une.md": SHEET.format(titre="Une", date="2016-03", porteur="un-acteur"),
        "fiches/deux.md": SHEET.format(titre="Deux", date="2016-13", porteur="un-acteur"),
        "content/acteurs/un-acteur.md": ACTOR,
    })
    (root / "fiches" / "images").mkdir()
    Image.new("RGB", (64, 48), (10, 120, 60)).save(root / "fiches" / "images" / "photo.jpg")
    _age(root)
    return root


@pytest.fixture
def checked(monkeypatch):
    """The files checked one by one (not taken from the cache) by each run."""
    seen: list[str] = []
    original = Validator._validate_one

    def counting(self, path, keep_item, looked_at=None, raw=None):
        seen.append(path.name)
        return original(self, path, keep_item, looked_at, raw)

    monkeypatch.setattr(Validator, "_validate_one", counting)
    return seen


def _run(root: Path, capsys, *args: str) -> tuple[int, str]:
    code = main(["--config", str(root / "mkdocs.yml"), "validate", "--format", "json", *args])
    return code, capsys.readouterr().out


def test_a_second_run_checks_nothing_again_and_reports_the_same(project, capsys, checked):
    first = _run(project, capsys)
    assert first[0] == 1 and "deux.md" in first[1] and "2016-13" in first[1]
    assert sorted(checked) == ["deux.md", "un-acteur.md", "une.md"]
    checked.clear()
    assert _run(project, capsys) == first
    assert checked == []
    assert _run(project, capsys, "--sans-cache") == first
    assert len(checked) == 3


def test_an_edited_file_is_checked_again(project, capsys, checked):
    _run(project, capsys)
    checked.clear()
    _write(project / "fiches" / "deux.md", SHEET.format(titre="Deux", date="2016-11", porteur="un-acteur"))  # same size
    assert _run(project, capsys) == (0, "[]\n")
    assert checked == ["deux.md"]


def test_a_removed_or_renamed_image_is_seen_by_the_sheets_naming_it(project, capsys, checked):
    _run(project, capsys)
    images = project / "fiches" / "images"
    (images / "photo.jpg").rename(images / "Photo.jpg")
    os.utime(images, (PAST + 60, PAST + 60))
    code, out = _run(project, capsys)
    assert code == 1 and out.count("missing_file") == 2 and "attention aux majuscules" in out
    (images / "Photo.jpg").rename(images / "autre.jpg")
    os.utime(images, (PAST + 120, PAST + 120))
    code, out = _run(project, capsys)
    assert out.count("missing_file") == 2 and "attention aux majuscules" not in out  # the folder's listing changed


def test_an_image_replaced_in_place_is_checked_again(project, capsys, checked):
    _run(project, capsys)
    checked.clear()
    photo = project / "fiches" / "images" / "photo.jpg"
    photo.write_bytes(photo.read_bytes()[:200])  # truncated
    os.utime(photo, (PAST + 60, PAST + 60))
    code, out = _run(project, capsys)
    assert code == 1 and out.count("corrupt_image") == 2
    assert sorted(checked) == ["deux.md", "une.md"]


def test_a_fresh_checkout_of_the_same_contents_checks_nothing_again(project, capsys, checked, monkeypatch):
    from generators import validation_cache

    first = _run(project, capsys)
    checked.clear()
    _age(project, later=600)  # a fresh checkout (CI): same contents, every file dated anew
    assert _run(project, capsys) == first
    assert checked == []
    # The stamps were brought up to date: the next run compares no contents.
    digests: list[str] = []
    original = validation_cache.content_digest
    monkeypatch.setattr(validation_cache, "content_digest", lambda path: digests.append(path) or original(path))
    assert _run(project, capsys) == first
    assert checked == [] and digests == []


def test_a_fresh_checkout_checks_again_what_changed_in_content(project, capsys, checked):
    _run(project, capsys)
    checked.clear()
    # Same sizes, new dates: only the digests tell the edits apart.
    _write(project / "fiches" / "deux.md", SHEET.format(titre="Deux", date="2016-11", porteur="un-acteur"))
    photo = project / "fiches" / "images" / "photo.jpg"
    data = bytearray(photo.read_bytes())
    data[-3] ^= 0xFF  # the image's last bytes: the same size, another content
    photo.write_bytes(bytes(data))
    _age(project, later=600)  # a fresh checkout (CI): same contents, every file dated anew
    _run(project, capsys)
    assert sorted(checked) == ["deux.md", "une.md"]  # une.md names the photo; the actor is the same


def test_references_are_checked_across_files_on_every_run(project, capsys, checked):
    _run(project, capsys)
    (project / "content" / "acteurs" / "un-acteur.md").unlink()
    code, out = _run(project, capsys)
    assert out.count("unknown_reference") == 2


def test_a_declaration_change_checks_everything_again(project, capsys, checked):
    _run(project, capsys)
    checked.clear()
    types = project / "config" / "types.yml"
    types.write_text(types.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    _run(project, capsys)
    assert len(checked) == 3


def test_files_changed_in_the_last_seconds_are_not_kept(make_project, capsys, checked):
    root = make_project({"content/acteurs/un-acteur.md": ACTOR})  # just written
    _run(root, capsys)
    _run(root, capsys)
    assert checked == ["un-acteur.md", "un-acteur.md"]


def _load(root: Path, cache: Path | None):
    from generators.declaration import load_declaration

    return Validator(load_declaration(root / "config" / "types.yml", root)).load(cache=cache)


def _valid(project: Path) -> None:
    _write(project / "fiches" / "deux.md", SHEET.format(titre="Deux", date="2016-11", porteur="un-acteur"))
    _age(project)


def test_the_build_takes_unchanged_items_from_its_own_cache_equal_to_fresh_ones(project, capsys, checked):
    _valid(project)
    _run(project, capsys)  # portail validate's cache holds no items: the build does not use it
    checked.clear()
    cache = project / ".cache" / "validation-items"
    first = _load(project, cache)
    assert sorted(checked) == ["deux.md", "un-acteur.md", "une.md"] and first.files_cached == 0
    checked.clear()
    again = _load(project, cache)
    assert checked == [] and again.files_cached == again.files_read == 3
    fresh = _load(project, None)
    assert [(i.source, i.slug, i.title, i.data, i.body, i.body_line, i.draft) for i in again.items] == [
        (i.source, i.slug, i.title, i.data, i.body, i.body_line, i.draft) for i in fresh.items
    ]
    assert again.problems == fresh.problems == []


def test_the_build_validates_an_edited_file_again_and_keeps_its_new_item(project, checked):
    _valid(project)
    cache = project / ".cache" / "validation-items"
    _load(project, cache)
    checked.clear()
    _write(project / "fiches" / "une.md", SHEET.format(titre="Unique", date="2016-03", porteur="un-acteur"))
    content = _load(project, cache)
    assert checked == ["une.md"] and content.files_cached == 2
    assert "Unique" in [i.title for i in content.items] and "Une" not in [i.title for i in content.items]


def test_validation_split_over_workers_gives_the_serial_outcome(tmp_path, monkeypatch):
    """Large trees are checked by forked workers, in tasks of
    ``CHUNK_FILES`` files: the items, summaries and problems, in file order,
    are those of one process checking every file."""
    import generators.content as content
    from generators.declaration import load_declaration
    from sitebuild import copy_sources

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: the files are always checked in one process")
    root = copy_sources(tmp_path / "depot")
    sheets = sorted((root / "fiches").glob("*.md"))
    sheets[3].write_text(sheets[3].read_text(encoding="utf-8").replace("titre:", "titr:", 1), encoding="utf-8")
    sheets[-2].write_text("---\ntitre: [pas fermé\n---\n", encoding="utf-8")
    declaration = load_declaration(root / "config" / "types.yml", root)

    monkeypatch.setattr(content, "PARALLEL_THRESHOLD", 10**9)
    serial = Validator(declaration).load()
    monkeypatch.setattr(content, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(content, "CHUNK_FILES", 7)
    calls = []
    monkeypatch.setattr(content, "ProcessPoolExecutor", _Counting(content.ProcessPoolExecutor, calls))
    split = Validator(declaration).load()

    assert calls and max(calls[0]) == 7 and len(calls[0]) > 10, calls  # tasks of CHUNK_FILES files
    assert len(serial.problems) >= 2 and split.problems == serial.problems
    assert [(i.source, i.data) for i in split.items] == [(i.source, i.data) for i in serial.items]
    assert list(split.summaries.items()) == list(serial.summaries.items())


def test_loading_pauses_the_collector_and_gives_it_back_as_it_was(tmp_path, monkeypatch):
    """No cyclic garbage collection while content loads (content._collector_paused);
    afterwards the collector is as it was, also when loading fails."""
    import gc

    import generators.content as content
    from generators.declaration import load_declaration
    from sitebuild import copy_sources

    root = copy_sources(tmp_path / "depot")
    declaration = load_declaration(root / "config" / "types.yml", root)
    seen = []
    checks = Validator.check_across_files
    monkeypatch.setattr(Validator, "check_across_files", lambda self, s: seen.append(gc.isenabled()) or checks(self, s))
    assert gc.isenabled()
    assert Validator(declaration).load().items
    assert seen == [False] and gc.isenabled()

    gc.disable()
    try:
        Validator(declaration).load()
        assert not gc.isenabled()  # not enabled by loading
    finally:
        gc.enable()

    monkeypatch.setattr(content, "discover", lambda declaration: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        Validator(declaration).load()
    assert gc.isenabled()


def _collector_state() -> tuple[bool, int]:
    import gc

    return gc.isenabled(), gc.get_freeze_count()


def test_a_validation_worker_collects_its_own_garbage_but_not_what_it_inherited():
    """Forked while the parent's collector is paused, a worker enables its
    own and freezes the objects it inherited (content._start_worker)."""
    import gc
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import generators.content as content

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("workers are only forked where fork exists")
    gc.disable()
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"), initializer=content._start_worker) as pool:
            enabled, frozen = pool.submit(_collector_state).result()
    finally:
        gc.enable()
    assert enabled and frozen > 1000


class _Counting:
    """A ProcessPoolExecutor factory that records the tasks handed to it."""

    def __init__(self, factory, calls: list) -> None:
        self.factory, self.calls = factory, calls

    def __call__(self, *args, **kwargs):
        pool = self.factory(*args, **kwargs)
        original = pool.map

        def counted(function, *iterables):
            tasks = list(zip(*iterables))
            self.calls.append([len(task[0]) for task in tasks])
            return original(function, *(list(column) for column in zip(*tasks)))

        pool.map = counted
        return pool
