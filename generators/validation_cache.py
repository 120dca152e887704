"""A cache of the per-file results of validation: ``portail validate``'s in
``.cache/validation``, the build's (with the typed items) in
``.cache/validation-items``.

Each content file's own checks (its YAML, its fields, its images and
attachments) give a summary, a list of problems and, for the build, the
file's typed item. They are kept with the
file's stamp (size and modification time) and digest (of the very bytes
checked), and the stamps and digests of every file and folder its checks
looked at: the images and attachments it names, and the folder of a missing
one (whose listing gives the "attention aux majuscules" hint). An entry is
used again when all those stamps are unchanged; when some differ (a fresh
checkout, as in CI, dates every file anew) it is used again if the contents
are the same, by their digests, and its stamps are brought up to date. The
cache's key must hold too: the code of ``generators/`` with its data, the
declaration folder, and the versions of Python and of the libraries that
check values, all by content. The checks across files (unique slugs,
references) always run again, over every summary. ``portail validate
--sans-cache`` ignores it.
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

FORMAT = b"portail-validation-cache-3\n"
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


def digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def content_digest(path: str) -> bytes | None:
    """What ``path`` holds: a file's bytes, a folder's names; None if absent."""
    try:
        if os.path.isdir(path):
            return digest("\0".join(sorted(os.listdir(path))).encode("utf-8", "surrogateescape"))
        with open(path, "rb") as handle:
            return digest(handle.read())
    except OSError:
        return None


Seen = list[tuple[str, Stamp, bytes | None]]  # (path, stamp, digest) of what a file's checks looked at


# Digests already taken, with the stamp the path had: many sheets look at the
# same folder of images, whose listing is then read once.
_DIGESTS: dict[str, tuple[Stamp, bytes | None]] = {}


def fingerprint(path: str) -> tuple[Stamp, bytes | None]:
    """The stamp and digest of ``path``. The digest is taken first: a change
    made in between leaves a recent stamp, and an entry with a recent stamp
    is not kept (RACY_NS)."""
    now = stamp(path)
    known = _DIGESTS.get(path)
    if known is not None and now is not None and known[0] == now:
        return known
    content = content_digest(path)
    found = (stamp(path), content)
    if found[0] == now and now is not None:  # unchanged while read
        _DIGESTS[path] = found
    return found


def fingerprints(looked_at: list[str]) -> Seen:
    """``fingerprint()`` of each path, taken just after the checks that looked at it."""
    return [(path, *fingerprint(path)) for path in dict.fromkeys(looked_at)]


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
    for folder in (code, declaration_folder.resolve()):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path).encode("utf-8", "surrogateescape") + b"\0")
            # By content, so that a fresh checkout of the same code (CI) keeps the cache.
            h.update(hashlib.blake2b(path.read_bytes(), digest_size=20).digest())
    return h.digest()


class ValidationCache:
    """Entries by absolute path: (stamp, digest, [(looked-at path, stamp, digest)...],
    pickled (item, summary, problems)).

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
        name = str(path)
        entry = self.entries.get(name)
        if entry is None:
            return None
        own, own_digest, seen, result = entry
        now = stamp(name)
        if now == own and all(stamp(other) == then for other, then, _ in seen):
            return result
        # Dated anew (a checkout): the same contents are the same result.
        if now is None or now[0] != own[0] or content_digest(name) != own_digest:
            return None
        refreshed = [(other, *fingerprint(other)) for other, _, _ in seen]
        if any(now_content != content for (_, _, now_content), (_, _, content) in zip(refreshed, seen)):
            return None
        if not _racy([stamp(name), *(s for _, s, _ in refreshed)]):
            self.entries[name] = (now, own_digest, refreshed, result)
            self.changed = True
        return result

    def put(self, path: Path, own: Stamp, own_digest: bytes, seen: Seen, result: bytes) -> None:
        """Keep the result of checking ``path`` (``own``: its stamp before it
        was read, None if it changed while read; ``own_digest``: the digest
        of the bytes checked; ``seen``: ``fingerprints()`` of what the checks
        looked at)."""
        if own is None or _racy([own, *(s for _, s, _ in seen)]):
            self.entries.pop(str(path), None)  # checked again next time
        else:
            self.entries[str(path)] = (own, own_digest, seen, result)
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


def _racy(stamps: list[Stamp]) -> bool:
    """Whether any of these files changed too recently to be trusted by its stamp."""
    recent = time.time_ns() - RACY_NS
    return any(found is not None and found[1] > recent for found in stamps)
