"""The preview server's quick rebuilds (``make serve``, ``mkdocs serve --dirty``).

After an editor saves a few content files, and nothing else changed, the
plugin rebuilds only their own pages (plugin.py) and the server shows them at
once. The rest of the site (listings, term pages, feeds, search index) is then
built in full by a child process, into a folder beside the served one, with
the same configuration and address; once it is done the two folders are
swapped. A newer save cancels a full build still running.

This module holds what does not depend on MkDocs' objects: the change
detection (a snapshot of file stamps) and the background build.
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
