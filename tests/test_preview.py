"""The preview server's quick rebuilds (generators/preview.py, plugin.py).

Units: ``Validator.refresh`` gives what ``load`` gives; ``SitePlanner.rebind``
plans the edited item's page as a new planner would, and refuses when the
indexes would be wrong; the snapshot sees edits, additions and removals.

Then the real thing: ``mkdocs serve --dirty`` on a copy of the demo, an
editor's saves, and the pages the server answers with.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from generators.content import Validator
from generators.declaration import load_declaration
from generators.preview import ContentWatcher, compare, snapshot, watcher_for
from generators.site import SitePlanner
from sitebuild import copy_sources

TODAY = date(2026, 11, 24)
SHEET = "fiches/bourse-materiel-ski-chambery.md"
SHEET_URL = "/fiches/bourse-materiel-ski-chambery/"
THEME_URL = "/thematiques/allongement-duree-usage/"  # a page that lists the sheet
MKDOCS = Path(sys.executable).parent / "mkdocs"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_sources(tmp_path / "demo")


def _validator(root: Path) -> Validator:
    return Validator(load_declaration(root / "config" / "types.yml", root))


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _view(content) -> list[tuple]:
    return [(i.type, i.slug, i.source, i.data, i.body, i.body_line, i.draft, i.title) for i in content.items]


# --------------------------------------------------------------------------
# Units


def test_refresh_reads_only_the_edited_files_and_matches_a_full_load(demo: Path):
    validator = _validator(demo)
    before = validator.load()
    assert not before.problems
    _append(demo / SHEET, "\nUne phrase de plus.\n")
    _replace(demo / "fiches" / "biodechets-restaurateurs-mont-de-marsan.md", "titre: ", "titre: Nouveau titre, ")
    edited = [demo / SHEET, demo / "fiches" / "biodechets-restaurateurs-mont-de-marsan.md"]
    refreshed = validator.refresh(before, edited)
    loaded = validator.load()
    assert _view(refreshed) == _view(loaded)
    assert refreshed.summaries == loaded.summaries
    assert not refreshed.problems
    kept = {i.source: i for i in before.items}
    # The others are the very same objects: nothing else was read again.
    assert all(kept[i.source] is i for i in refreshed.items if i.source not in {SHEET, "fiches/biodechets-restaurateurs-mont-de-marsan.md"})


def test_refresh_reports_a_bad_edit_and_a_broken_reference_like_a_full_load(demo: Path):
    validator = _validator(demo)
    before = validator.load()
    event = next(i for i in before.items if i.type == "evenement" and i.data.get("fiches_liees"))
    path = demo / event.source
    slug = event.data["fiches_liees"][0].slug
    _replace(path, slug, "fiche-qui-n-existe-pas")
    refreshed = validator.refresh(before, [path])
    loaded = validator.load()
    assert [p.format_text() for p in refreshed.problems] == [p.format_text() for p in loaded.problems]
    assert any(p.code == "unknown_reference" and p.file == event.source and p.line > 1 for p in refreshed.problems)


def test_snapshot_sees_edits_additions_and_removals(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "un.md").write_text("un")
    (tmp_path / "a" / "deux.md").write_text("deux")
    before = snapshot([tmp_path / "a", tmp_path / "absent"])
    (tmp_path / "a" / "un.md").write_text("un, modifié")
    (tmp_path / "a" / "deux.md").unlink()
    (tmp_path / "a" / "trois.md").write_text("trois")
    changes = compare(before, snapshot([tmp_path / "a"]))
    assert changes.edited == [str(tmp_path / "a" / "un.md")]
    assert changes.added == [str(tmp_path / "a" / "trois.md")]
    assert changes.removed == [str(tmp_path / "a" / "deux.md")]


def _context(spec) -> dict:
    # links and taxonomy are the planners' own indexes: compared by what they answer below
    return {k: v for k, v in spec.context.items() if k not in ("links", "taxonomy")}


class _Seen:
    """A watchdog handler that records the paths of the events it gets."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.event = threading.Event()

    def dispatch(self, event) -> None:
        self.paths += [event.src_path, event.dest_path] if event.dest_path else [event.src_path]
        self.event.set()

    def wait(self, timeout: float = 10) -> bool:
        found = self.event.wait(timeout)
        self.event.clear()
        return found

    def wait_for(self, path: Path, timeout: float = 10) -> bool:
        """True once an event names ``path``. One save may send several
        events, some after an earlier wait returned: waiting for the path,
        not for the next event, keeps a late one from answering for it."""
        deadline = time.monotonic() + timeout
        while str(path) not in self.paths:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.event.wait(min(left, 0.1))
            self.event.clear()
        return True


def _watcher(tmp_path: Path):
    from watchdog.observers.polling import PollingObserver

    folder = tmp_path / "fiches"
    folder.mkdir()
    (folder / "une.md").write_text("un", encoding="utf-8")
    single = tmp_path / "mkdocs.yml"
    single.write_text("site_name: x\n", encoding="utf-8")
    watcher, seen = ContentWatcher(PollingObserver(timeout=0.1)), _Seen()
    watcher.schedule(seen, str(folder), recursive=True)
    watcher.schedule(seen, str(single), recursive=True)
    return watcher, seen, folder, single


def test_the_watcher_wakes_on_changes_not_on_reads(tmp_path: Path):
    watcher, seen, folder, single = _watcher(tmp_path)
    # Both go to the system's notifications (the file through its folder); nothing is polled.
    assert sorted(e.watch.raw_path for e in watcher.native.emitters) == sorted([str(folder), str(single)])
    assert not watcher.polling.emitters
    watcher.start()
    try:
        time.sleep(0.3)
        (folder / "une.md").read_bytes()
        single.read_bytes()
        assert not seen.wait(1.0), seen.paths  # MkDocs would rebuild on every read of a build
        (folder / "une.md").write_text("deux", encoding="utf-8")
        assert seen.wait_for(folder / "une.md"), seen.paths
        (folder / ".une.md.swp").write_text("x", encoding="utf-8")
        assert seen.wait_for(folder / ".une.md.swp"), seen.paths
        single.write_text("site_name: y\n", encoding="utf-8")
        assert seen.wait_for(single), seen.paths
        # An editor's atomic save: a new file renamed over the old one.
        (tmp_path / "mkdocs.yml.tmp").write_text("site_name: z\n", encoding="utf-8")
        time.sleep(0.5)  # the late events of the last save come before the rename's
        seen.paths.clear()
        os.replace(tmp_path / "mkdocs.yml.tmp", single)
        assert seen.wait_for(single), seen.paths
        assert watcher.notified
    finally:
        watcher.stop()
        watcher.join()


def test_the_watcher_polls_when_notifications_cannot_start(tmp_path: Path, monkeypatch):
    watcher, seen, folder, single = _watcher(tmp_path)

    def refuse():
        raise OSError(24, "inotify instance limit reached")

    monkeypatch.setattr(watcher.native, "start", refuse)
    watcher.start()
    try:
        assert not watcher.notified
        time.sleep(0.3)
        (folder / "une.md").write_text("deux et plus", encoding="utf-8")
        assert seen.wait_for(folder / "une.md"), seen.paths
        single.write_text("site_name: y et z\n", encoding="utf-8")
        assert seen.wait_for(single), seen.paths
    finally:
        watcher.stop()
        watcher.join()


def test_polling_can_be_asked_for_where_changes_are_not_notified():
    from watchdog.observers.polling import PollingObserver

    polling = PollingObserver()
    assert watcher_for(polling, {"PORTAIL_SCRUTATION": "oui"}) is polling
    for environ in ({}, {"PORTAIL_SCRUTATION": "non"}):
        chosen = watcher_for(polling, environ)
        assert isinstance(chosen, ContentWatcher) and chosen.polling is polling


def test_rebind_plans_the_edited_page_as_a_new_planner_would(demo: Path):
    validator = _validator(demo)
    before = validator.load()
    planner = SitePlanner(before, TODAY, "https://exemple.org/")
    planner.item_pages()  # fills the per-item memo, which rebind() must forget
    _append(demo / SHEET, "\nUne phrase de plus.\n")
    _replace(demo / SHEET, "resume: ", "resume: En bref, ")
    after = validator.refresh(before, [demo / SHEET])
    item = next(i for i in after.items if i.source == SHEET)
    assert planner.rebind(after, item)
    fresh = SitePlanner(after, TODAY, "https://exemple.org/")
    rebound, expected = planner.item_page(item), fresh.item_page(item)
    assert rebound.markdown == expected.markdown and "Une phrase de plus." in rebound.markdown
    assert _context(rebound) == _context(expected)
    assert rebound.description == expected.description and rebound.description.startswith("En bref")


def test_rebind_refuses_what_the_indexes_would_get_wrong(demo: Path):
    validator = _validator(demo)
    before = validator.load()
    planner = SitePlanner(before, TODAY)
    # A new title is in other pages' lists and in the links' index.
    _replace(demo / SHEET, "titre: ", "titre: Autre titre, ")
    after = validator.refresh(before, [demo / SHEET])
    assert not planner.rebind(after, next(i for i in after.items if i.source == SHEET))
    # After one item is rebound, another one needs new indexes.
    other = "fiches/biodechets-restaurateurs-mont-de-marsan.md"
    (demo / SHEET).write_text((demo / SHEET).read_text(encoding="utf-8").replace("titre: Autre titre, ", "titre: ", 1), encoding="utf-8")
    _append(demo / SHEET, "\nCorps modifié.\n")
    after = validator.refresh(before, [demo / SHEET])
    assert planner.rebind(after, next(i for i in after.items if i.source == SHEET))
    _append(demo / other, "\nCorps modifié.\n")
    again = validator.refresh(after, [demo / other])
    assert not planner.rebind(again, next(i for i in again.items if i.source == other))


# --------------------------------------------------------------------------
# The preview server


class Server:
    """``mkdocs serve --dirty`` (as ``make serve``) on a folder, its log collected."""

    def __init__(self, root: Path, tmp: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        tmp.mkdir()
        env = {**os.environ, "PORTAIL_DATE": TODAY.isoformat(), "TMPDIR": str(tmp), "NO_MKDOCS_2_WARNING": "1"}
        self.process = subprocess.Popen(
            [str(MKDOCS), "serve", "--dirty", "-a", f"127.0.0.1:{self.port}"],
            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
        )
        self.tmp = tmp
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.log.append(line.rstrip())

    def wait_for(self, pattern: str, start: int = 0, timeout: float = 240) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for index in range(start, len(self.log)):
                if re.search(pattern, self.log[index]):
                    return index
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"« {pattern} » absent du journal :\n" + "\n".join(self.log[-40:]))

    def built(self, start: int) -> int:
        """The line where the rebuild begun at ``start`` ended without error.
        Not MkDocs' "Documentation built in N seconds": its logger drops a
        message it logged before (``mkdocs.utils.DuplicateFilter``), so a
        rebuild as long as an earlier one, to the hundredth, did not say it
        (the test once failed so). MkDocs' server says "Reloading browsers"
        only after a build that did not raise."""
        end = self.wait_for(r"Reloading browsers", start)
        failed = [entry for entry in self.log[start:end] if "An error happened during the rebuild" in entry]
        assert not failed, "\n".join(self.log[start : end + 1])
        return end

    def get(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=240) as response:
            return response.read().decode("utf-8")

    def site_dir(self) -> Path:
        (found,) = [p for p in self.tmp.iterdir() if p.name.startswith("mkdocs_") and p.is_dir()]
        return found

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # as Ctrl+C: MkDocs shuts down, the plugin stops its background build
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _wait_until(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "délai dépassé"
        time.sleep(0.05)


@pytest.mark.skipif(not MKDOCS.is_file(), reason="mkdocs is not installed beside this Python")
def test_preview_server_shows_a_saved_sheet_at_once_then_the_whole_site(demo: Path, tmp_path: Path):
    server = Server(demo, tmp_path / "tmp")
    try:
        line = server.wait_for(r"Serving on")
        assert "bourse-materiel-ski-chambery/" in server.get(THEME_URL)
        page = server.site_dir() / SHEET_URL.strip("/") / "index.html"

        # 1. A new sentence: only that page is rendered, and served at once.
        _append(demo / SHEET, "\nUne phrase écrite pendant l'aperçu.\n")
        _wait_until(lambda: "Une phrase écrite pendant l'aperçu." in server.get(SHEET_URL))
        line = server.wait_for(r"aperçu rapide : 1 page\(s\) reconstruite\(s\)", line)
        quick = page.read_bytes()
        # An editor's swap file beside the sheet wakes the watcher, but no
        # content changed: nothing is rebuilt, and the full build under way
        # is not cancelled.
        swap = demo / "fiches" / ".bourse-materiel-ski-chambery.md.swp"
        swap.write_bytes(b"b0VIM 9.0")
        idle = server.wait_for(r"aperçu : aucun contenu modifié", line)
        assert not any(re.search(r"pages : \d+ reprise\(s\) du cache", entry) for entry in server.log[line:idle])
        swap.unlink()
        # The full build that follows writes the very same page.
        line = server.wait_for(r"aperçu : listes, pages de thèmes", line)
        assert (server.site_dir() / SHEET_URL.strip("/") / "index.html").read_bytes() == quick

        # 2. A new title: the page at once, then the listing.
        _replace(demo / SHEET, "titre: ", "titre: Titre changé pendant l'aperçu, ")
        _wait_until(lambda: "Titre changé pendant l&#39;aperçu" in server.get(SHEET_URL) or "Titre changé pendant l'aperçu" in server.get(SHEET_URL))
        line = server.wait_for(r"aperçu rapide : 1 page", line)
        line = server.wait_for(r"aperçu : listes, pages de thèmes", line)
        listing = server.get(THEME_URL)
        assert "Titre changé pendant l&#39;aperçu" in listing or "Titre changé pendant l'aperçu" in listing

        # 3. A mistake: the error names the file and the line; the fix is served.
        _replace(demo / SHEET, "date_debut: ", "date_debut: 13/")
        line = server.wait_for(r"bourse-materiel-ski-chambery\.md:\d+", line)
        assert "date_debut" in server.log[line]
        _replace(demo / SHEET, "date_debut: 13/", "date_debut: ")
        _append(demo / SHEET, "\nCorrigé.\n")
        _wait_until(lambda: "Corrigé." in server.get(SHEET_URL))
        line = server.wait_for(r"aperçu rapide : 1 page", line)

        # 4. A new file: a full rebuild, with the new page.
        (demo / "fiches" / "nouvelle-fiche.md").write_text((demo / SHEET).read_text(encoding="utf-8").replace("titre: ", "titre: Copie ", 1), encoding="utf-8")
        start = server.wait_for(r"Detected file changes", line + 1)
        end = server.built(start)
        assert not any("aperçu rapide" in entry for entry in server.log[start:end])
        assert any(re.search(r"pages : \d+ reprise\(s\) du cache", entry) for entry in server.log[start:end])
        assert "Copie " in server.get("/fiches/nouvelle-fiche/")
        # Builds read every content file; reads never wake the server (preview.ContentWatcher).
        time.sleep(2)
        assert not any("Detected file changes" in entry for entry in server.log[end + 1 :]), server.log[end:]

        # 5. A new file with a mistake: the full rebuild fails, after
        # emptying the folder. Once the file is removed, the content is the
        # same as the last build's, yet the site is built again in full.
        faulty = demo / "fiches" / "fiche-fautive.md"
        faulty.write_text((demo / SHEET).read_text(encoding="utf-8").replace("date_debut: ", "date_debut: 13/", 1), encoding="utf-8")
        line = server.wait_for(r"fiche-fautive\.md:\d+", end)
        faulty.unlink()
        start = server.wait_for(r"Detected file changes", line + 1)
        end = server.built(start)
        assert not any("aperçu" in entry for entry in server.log[start:end])
        assert "Titre changé pendant l" in server.get(SHEET_URL)
    finally:
        server.stop()
