"""The preview server's quick rebuilds (``make serve``, ``mkdocs serve --dirty``).

After an editor saves a few content files, and nothing else changed, the
plugin rebuilds only their own pages (plugin.py) and the server shows them at
once. The rest of the site (listings, term pages, feeds, search index) is then
built in full by a child process, into a folder beside the served one, with
the same configuration and address; once it is done the two folders are
swapped. A newer save cancels a full build still running.

This module holds what does not depend on MkDocs' objects: the change
detection (a snapshot of file stamps), the background build, and the watcher
the server uses (``ContentWatcher``): MkDocs polls every watched file twice a
second, which at 10,000 sheets kept half a core busy and slowed the quick
rebuilds; folders are watched through the system's file notifications
instead (inotify on Linux), and only changes wake the server, not reads.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from watchdog import events
from watchdog.observers import Observer

from .emit import swap_folder

log = logging.getLogger("mkdocs.plugins.portail")

PREVIEW_LIMIT = 20  # more files changed at once (a branch switched...): a full rebuild


def snapshot(folders: list[Path]) -> dict[str, tuple[int, int]]:
    """Modification time and size of every file under ``folders``, by path
    (hidden files and editors' backups left out)."""
    stamps: dict[str, tuple[int, int]] = {}
    pending = [str(folder) for folder in folders if folder.is_dir()]
    seen: set[str] = set()
    while pending:
        folder = pending.pop()
        if folder in seen:
            continue
        seen.add(folder)
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith((".", "#")) or entry.name.endswith("~"):
                continue  # an editor's swap, lock or backup file: not content, nor published by MkDocs
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file():
                    stat = entry.stat()
                    stamps[entry.path] = (stat.st_mtime_ns, stat.st_size)
            except OSError:
                continue
    return stamps


@dataclass(frozen=True)
class Changes:
    edited: list[str]  # paths whose stamp changed
    added: list[str]
    removed: list[str]


def compare(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> Changes:
    return Changes(
        edited=sorted(path for path, stamp in after.items() if path in before and before[path] != stamp),
        added=sorted(set(after) - set(before)),
        removed=sorted(set(before) - set(after)),
    )


# What wakes the server: a change, never a read (watchdog also reports
# openings and closings, and every build reads the content files).
CHANGES = [events.FileCreatedEvent, events.FileDeletedEvent, events.FileModifiedEvent, events.FileMovedEvent]


class ContentWatcher:
    """Stands in for the live-reload server's observer (``server.observer``;
    it schedules, starts, stops and joins it). Paths are watched through the
    system's notifications (a single file, such as ``mkdocs.yml``, through
    its folder, so an editor's atomic save is seen too). Should they fail to
    start (a system out of inotify instances...), MkDocs' polling observer
    takes the same watches."""

    def __init__(self, polling) -> None:
        self.polling = polling  # MkDocs' own PollingObserver
        self.native = Observer()
        self.notified = True  # False once the watches fell back to polling
        self._watches: dict[object, tuple[object, str, bool, object]] = {}  # native watch -> (handler, path, recursive, polling watch)

    def schedule(self, handler, path, *, recursive: bool = False, **_):
        watch = self.native.schedule(handler, path, recursive=recursive, event_filter=CHANGES)
        self._watches[watch] = (handler, path, recursive, None)
        return watch

    def unschedule(self, watch) -> None:
        handler, path, recursive, fallback = self._watches.pop(watch)
        if fallback is None:
            self.native.unschedule(watch)
        else:
            self.polling.unschedule(fallback)

    def start(self) -> None:
        try:
            self.native.start()
        except OSError as error:
            self.notified = False
            log.warning(f"aperçu : notifications de fichiers indisponibles ({error}) ; les fichiers sont scrutés deux fois par seconde")
            try:
                self.native.stop()  # the emitters it may have started
            except Exception:  # pragma: no cover - depends on how far it got
                pass
            self.native = Observer()  # never started: stop() and join() skip it
            for watch, (handler, path, recursive, _) in list(self._watches.items()):
                self._watches[watch] = (handler, path, recursive, self.polling.schedule(handler, path, recursive=recursive))
        self.polling.start()

    def stop(self) -> None:
        for observer in (self.native, self.polling):
            if observer.is_alive():
                observer.stop()

    def join(self, timeout: float | None = None) -> None:
        for observer in (self.native, self.polling):
            if observer.is_alive():
                observer.join(timeout)


def watcher_for(polling, environ=os.environ):
    """What the server watches with: ``ContentWatcher``, or MkDocs' own
    polling observer when ``PORTAIL_SCRUTATION=oui`` (folders whose changes
    the system does not notify: some network or virtual machine shares)."""
    if environ.get("PORTAIL_SCRUTATION", "non").strip().lower() == "oui":
        return polling
    return ContentWatcher(polling)


class BackgroundBuild:
    """The whole site, built by a child process, then swapped with the served folder."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._process: subprocess.Popen | None = None

    def start(self, config_file: str, site_dir: str, site_url: str) -> None:
        """Build the site into a new folder beside ``site_dir``; swap them when done."""
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._stop()
            target = Path(site_dir)
            staging = Path(tempfile.mkdtemp(prefix=target.name + "-complet-", dir=target.parent))
            command = [sys.executable, "-m", "generators.preview", config_file, str(staging), site_url]
            self._process = process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True
            )
        threading.Thread(target=self._finish, args=(generation, process, staging, target), daemon=True).start()

    def cancel(self) -> None:
        """Forget the full build under way, if any (a newer build starts)."""
        with self._lock:
            self._generation += 1
            self._stop()

    def _stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
        self._process = None

    def _finish(self, generation: int, process: subprocess.Popen, staging: Path, target: Path) -> None:
        started = time.monotonic()
        output, _ = process.communicate()
        try:
            with self._lock:
                if generation != self._generation:
                    return  # cancelled: a newer build has started
                if process.returncode != 0:
                    lines = [line for line in output.splitlines() if line.strip()]
                    log.warning(
                        "aperçu : la mise à jour complète du site a échoué ; seules les pages modifiées sont à jour.\n"
                        + "\n".join(lines[-15:])
                    )
                    return
                swap_folder(staging, target)
                self._process = None
            log.info(f"aperçu : listes, pages de thèmes et de territoires, flux et recherche à jour ({time.monotonic() - started:.1f} s)")
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _build(config_file: str, site_dir: str, site_url: str) -> None:
    """The child process: the same build as the server's own, into ``site_dir``."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    logging.basicConfig(level=logging.WARNING, format="%(levelname)-7s -  %(message)s")
    config = load_config(config_file=config_file, site_dir=site_dir)
    config.plugins.on_startup(command="build", dirty=False)
    config.site_url = site_url
    try:
        build(config, serve_url=site_url)
    finally:
        config.plugins.on_shutdown()


if __name__ == "__main__":
    _build(*sys.argv[1:4])
