"""The one place that writes generated files other than MkDocs' pages.

Feeds, calendars and open-data exports are built in memory by pure functions
(``feeds.py``, ``opendata.py``...) as ``OutputFile``s; the plugin hands them
here after MkDocs has written the pages.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


@dataclass(frozen=True, slots=True)
class OutputFile:
    """A file to publish: ``path`` is relative to the site root, posix."""

    path: str
    data: bytes


class UnsafeOutputPath(ValueError):
    pass


def write_outputs(site_dir: Path, outputs: list[OutputFile]) -> list[Path]:
    """Write every output under ``site_dir``; refuse any path that leaves it."""
    root = site_dir.resolve()
    written = []
    for output in sorted(outputs, key=lambda o: o.path):
        target = _target(root, output.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(output.data)
        written.append(target)
    return written


def copy_outputs(site_dir: Path, files: list[tuple[str, Path]]) -> list[Path]:
    """Place each (site path, file of the build's cache) under ``site_dir``,
    with the same refusal (``place_cached``); for files too many to hold in
    memory at once (social cards)."""
    root = site_dir.resolve()
    written = []
    for path, source in sorted(files):
        target = _target(root, path)
        place_cached_in_folder(source, target)
        written.append(target)
    return written


# Reads NUL-separated folders on its standard input, parents first.
_MAKE_FOLDERS = """import os, sys
for folder in sys.stdin.buffer.read().split(b"\\0"):
    if folder:
        try:
            os.mkdir(folder)
        except FileExistsError:
            pass
        except OSError:  # no parent (made by a writer meanwhile?), or a file in the way: the writer's to say
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError:
                pass
"""


class FolderMaker:
    """Make a site's folders in a child process, while the build goes on.

    Every page of a site has a folder of its own (``fiches/<slug>/``): 14,700
    at 10,000 sheets. On this project's build machines ``mkdir`` costs about
    0.3 ms of system time, 4 s in all, which the build spent in its main
    thread, one folder at a time, wherever it first wrote a file there. Given
    the list as soon as the pages are planned, a child makes them on the other
    core while the main thread goes on. Best effort: whoever writes a file
    still makes a missing folder itself (``place_cached_in_folder``, MkDocs'
    ``write_file``), and the child only ever adds folders that the build would
    have made: ``folders`` and their parents under ``root``.
    """

    def __init__(self, root: Path | str, folders: Iterable[Path | str]) -> None:
        top = os.path.abspath(root)
        wanted: set[str] = set()
        for folder in folders:
            path = os.path.abspath(folder)
            while path not in wanted and path != top and path.startswith(top + os.sep):
                wanted.add(path)
                path = os.path.dirname(path)
        self.count = len(wanted)
        self._process: subprocess.Popen | None = None
        if not wanted:
            return
        data = b"\0".join(os.fsencode(path) for path in sorted(wanted))  # a parent sorts before its children
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _MAKE_FOLDERS], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            assert self._process.stdin is not None
            self._process.stdin.write(data)  # the child reads it whole before its first mkdir
            self._process.stdin.close()
        except OSError:
            self.stop()

    def wait(self) -> None:
        """Wait for the child (done long before, in a build): nothing may make
        a folder in the site once it is published."""
        if self._process is not None:
            self._process.wait()
            self._process = None

    def stop(self) -> None:
        """A failed build: stop the child before its folder is deleted."""
        if self._process is not None:
            self._process.kill()
            self.wait()


def place_cached_in_folder(source: Path | str, target: Path | str) -> None:
    """``place_cached``, making ``target``'s folder when it does not exist
    yet: one ``makedirs`` per folder, not one per file."""
    try:
        place_cached(source, target)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        place_cached(source, target)


def place_cached(source: Path | str, target: Path | str) -> None:
    """Put a file of the build's own cache (a processed image, a social card)
    into the site: a hard link when both are on one file system, else a copy.
    Linking saves most of the time spent copying thousands of files. Whatever
    ``target`` was is unlinked first, so nothing written there later can reach
    a cache entry; cache entries are only ever replaced by a rename
    (``write_atomically``), which leaves a published link as it was. Never
    used for an editor's file, which the site must not share."""
    try:
        os.unlink(target)
    except FileNotFoundError:
        pass
    try:
        os.link(source, target)
    except FileNotFoundError:
        raise  # no such folder (or no source): the caller creates the folder
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)


def _process_umask() -> int:
    """The umask, read once (setting it to read it is not safe beside other
    threads: read at import, before the build starts any)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# The mode ``open()`` gives a new file. mkstemp makes its files private (0600),
# and cache entries reach the site as hard links: a published page must be
# as readable by a web server as a page MkDocs writes.
_UMASK = _process_umask()
FILE_MODE = 0o666 & ~_UMASK
DIR_MODE = 0o777 & ~_UMASK  # what mkdir gives


def write_atomically(path: Path, data: bytes, prefix: str = ".tmp-", suffix: str = "") -> None:
    """Write ``data`` to ``path`` (whose folder exists) through a temporary
    file beside it and a rename: readers see the old file or the new one,
    never half of one. Caches and their entries are written this way, with
    the mode a plain new file would have (FILE_MODE)."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    try:
        os.fchmod(descriptor, FILE_MODE)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def swap_folder(staging: Path, target: Path, *, wait: bool = False) -> None:
    """Put a finished build (``staging``) in the place of ``target``, by two
    renames on one file system, so readers never see half a site.

    The previous ``target`` is renamed aside (``.NAME.old-XXXXXXXX``) and
    deleted by a detached process: at 10,000 sheets freeing its files takes
    about 10 s, which the command no longer waits for. ``wait=True`` deletes it
    before returning. Folders left aside by an interrupted deletion are
    deleted with the next one.
    """
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{secrets.token_hex(4)}")
        target.rename(old)
    staging.chmod(DIR_MODE)  # mkdtemp makes it private; a web server must read it
    staging.rename(target)
    aside = sorted(target.parent.glob(f".{glob.escape(target.name)}.old-*"))
    if aside:
        discard_folders(aside, wait=wait)


def discard_folders(folders: list[Path], *, wait: bool = False) -> None:
    """Delete ``folders`` (whole trees) in a detached process, or here if it
    cannot start or ``wait`` is set. Errors are ignored: a folder that could
    not be deleted is tried again by the next swap."""
    if not wait:
        command = [sys.executable, "-c", "import shutil, sys\nfor f in sys.argv[1:]: shutil.rmtree(f, ignore_errors=True)"]
        try:
            subprocess.Popen(
                [*command, *map(str, folders)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True,  # not stopped by the Ctrl-C that ends the command
            )
            return
        except OSError:
            pass
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _target(root: Path, path: str) -> Path:
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise UnsafeOutputPath(f"chemin de sortie refusé : {path}")
    target = (root / relative).resolve()
    if root not in target.parents:
        raise UnsafeOutputPath(f"chemin de sortie refusé : {path}")
    return target
