"""A cache of the per-file results of validation: ``portail validate``'s in
``.cache/validation``, the build's (with the typed items) in
``.cache/validation-items``.

Each content file's own checks (its YAML, its fields, its images and
attachments) give a summary, a list of problems and, for the build, the
file's typed item. They are kept with the
file's stamp (size and modification time) and the stamps of every file and
folder its checks looked at: the images and attachments it names, and the
folder of a missing one (whose listing gives the "attention aux majuscules"
hint). An entry is used again only when all those stamps are unchanged and
the cache's key holds: the code of ``generators/`` with its data, the
declaration folder, and the versions of Python and of the libraries that
check values. The checks across files (unique slugs, references) always run
again, over every summary. ``portail validate --sans-cache`` ignores it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import time
from importlib import metadata
from pathlib import Path

from .emit import write_atomically

FORMAT = b"portail-validation-cache-2\n"
LIBRARIES = ("pydantic", "pydantic-core", "PyYAML", "phonenumbers", "email-validator", "pillow", "Babel")

Stamp = tuple[int, int] | None  # (size, modification time in ns); None: absent
# A file changed less than this before its check is not trusted to the cache:
# file systems date changes with a coarse clock, so a second edit within the
# same tick, of the same size, would keep the stamp (git's "racy" entries).
RACY_NS = 2_000_000_000


def stamp(path: str) -> Stamp:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_size, found.st_mtime_ns)


def cache_key(declaration_folder: Path, root: Path) -> bytes:
    """What every entry depends on besides its own files."""
    h = hashlib.blake2b(digest_size=20)
    h.update(FORMAT + sys.version.encode() + str(root.resolve()).encode())
    for name in LIBRARIES:
        try:
            h.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=;".encode())
    code = Path(__file__).resolve().parent
    for folder, exact in ((code, False), (declaration_folder.resolve(), True)):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path).encode("utf-8", "surrogateescape") + b"\0")
            # The declaration is hashed by its bytes; the code by its stamps
            # (a checkout or an edit changes them), which is much cheaper.
            h.update(hashlib.blake2b(path.read_bytes(), digest_size=20).digest() if exact else repr(stamp(str(path))).encode())
    return h.digest()


class ValidationCache:
    """Entries by absolute path: (stamp, [(looked-at path, stamp)...], pickled (item, summary, problems)).

    Results stay pickled in memory: saving the cache writes their bytes as
    they are, and only the results used are unpickled."""

    def __init__(self, file: Path, key: bytes) -> None:
        self.file, self.key = file, key
        self.entries: dict[str, tuple] = {}
        self.changed = False
        try:
            with open(file, "rb") as handle:
                if handle.read(len(FORMAT)) == FORMAT and handle.read(len(key)) == key:
                    self.entries = pickle.load(handle)
        except Exception:  # absent, damaged, or from another version: an empty cache
            self.entries = {}

    def get(self, path: Path) -> bytes | None:
        """The pickled (item, summary, problems) of ``path`` if nothing it depends on changed."""
        entry = self.entries.get(str(path))
        if entry is None:
            return None
        own, looked_at, result = entry
        if own is None or stamp(str(path)) != own or any(stamp(seen) != then for seen, then in looked_at):
            return None
        return result

    def put(self, path: Path, own: Stamp, looked_at: list[str], result: bytes) -> None:
        stamps = [(seen, stamp(seen)) for seen in dict.fromkeys(looked_at)]
        recent = time.time_ns() - RACY_NS
        if own is None or any(found is not None and found[1] > recent for found in [own, *(s for _, s in stamps)]):
            self.entries.pop(str(path), None)  # checked again next time
        else:
            self.entries[str(path)] = (own, stamps, result)
        self.changed = True

    def keep_only(self, paths: list[Path]) -> None:
        wanted = {str(p) for p in paths}
        if any(name not in wanted for name in self.entries):
            self.entries = {name: entry for name, entry in self.entries.items() if name in wanted}
            self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.file, FORMAT + self.key + pickle.dumps(self.entries, protocol=5))
        except OSError:
            pass  # a cache that cannot be written only makes the next run slower
