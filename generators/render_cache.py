"""A persistent cache of rendered pages, so a rebuild re-renders only what changed.

No MkDocs here: the plugin asks for a page's entry before rendering it and
stores what it rendered. An entry is valid when two things still hold:

- its **key**: a digest of everything the page is made from that is known
  before rendering: the build's inputs (code, theme, configuration, data,
  package versions, the build date, the navigation) and the page's own
  (address, Markdown, template, and the data planned for it, items included);
- its **trace**: the calls the templates made on the shared indexes they query
  while rendering (``links.url(ref)``, ``images.thumbnail(image)``...), each
  with the answer it got. Those indexes span the whole site, so they are not
  hashed into every key: instead each recorded call is asked again of this
  build's index, and an entry whose answers changed is rendered again. That is
  how a sheet's page notices that an actor it links to was renamed, without
  every page depending on every item.

The output of a hit is the exact text stored by the build that rendered it
from the same inputs, so a warm build writes the same bytes as a cold one
(``tests/test_render_cache.py`` checks it after edits, template and
configuration changes and deletions). An entry is two files under
``.cache/pages/``, each written atomically: its head (key and trace) and its
HTML, named after the key, so a head always designates the HTML rendered for
it. A damaged or unreadable entry is a miss. A hit's HTML is put into the site
by a hard link (``place``), like the image variants: not read, not written.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import marshal
import pickle
import types
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path, PurePath
from typing import Any, Callable, Iterable

from .emit import place_cached_in_folder, write_atomically

FORMAT = b"portail-render-cache-3"
LAST_BUILD = "last-build-key"  # beside the entries' folders
PAGE_KEYS = "page-keys"  # the last build's page keys (RenderCache.last_keys), beside them too
PAGE_KEYS_FORMAT = "portail-page-keys-2"
OUTPUTS = "outputs"  # the last build's feeds, calendars and exports (RenderCache.last_outputs)
OUTPUTS_FORMAT = "portail-outputs-1"


class Untraceable(Exception):
    """A value the fingerprint cannot describe: the page is then not cached."""


class Fingerprinter:
    """Digests of plain data, dataclasses and objects, stable across processes.

    Sets are hashed in a sorted order (their iteration order changes with
    Python's hash seed). Objects of the ``opaque`` types stand for themselves
    by a label only: they are the shared indexes whose use is traced instead.
    Attributes named in ``skip`` are left out of their type's digest.
    Digests of objects seen before in this build are remembered (the items
    listed on many pages are hashed once); the objects are kept alive so their
    ids are not reused.

    Objects of the ``pickled`` types are digested from one pickle of their
    attributes, five times faster than walking them. That suits types that
    hold plain data and value objects only (no sets, no shared index): the
    pickle of equal values built the same way is the same in every process,
    and a value built differently (another sharing of its parts) only makes
    its page render again, since different values never pickle alike.
    """

    def __init__(
        self,
        opaque: dict[type, Callable[[Any], str]] | None = None,
        skip: dict[type, frozenset[str]] | None = None,
        pickled: frozenset[type] = frozenset(),
    ) -> None:
        self.opaque = dict(opaque or {})
        self.skip = dict(skip or {})  # attributes left out of a type's digest
        self.pickled = pickled
        self._memo: dict[int, tuple[object, bytes]] = {}
        self._fields: dict[type, tuple[str, ...]] = {}  # a dataclass's fields, minus the skipped ones
        self._objects: set[type] = set()  # types found to take the last branch of _feed

    def digest(self, value: object) -> bytes:
        h = hashlib.blake2b(digest_size=20)
        self._feed(h, value, 0)
        return h.digest()

    def digest_parts(self, *parts: object) -> bytes:
        """``digest(parts)`` when ``parts`` cannot be marshalled whole (it
        holds an object), without trying: a page's key is a tuple of its
        Markdown, its context and more, and marshal copied the Markdown and
        half the context before failing on the first object (0.6 s of a
        warm build at 10,000 sheets)."""
        h = hashlib.blake2b(digest_size=20)
        h.update(b"t%d[" % len(parts))
        for part in parts:
            self._feed(h, part, 1)
        h.update(b"]")
        return h.digest()

    def _feed(self, h, value: object, depth: int) -> None:  # noqa: C901 - one branch per kind of value
        if depth > 60:
            raise Untraceable("structure trop profonde")
        kind = type(value)
        # The two commonest cases first, each feeding the same bytes as its
        # general branch below: plain strings, and objects (dataclasses...)
        # whose type was found earlier to take none of the other branches.
        if kind is str:
            data = value.encode("utf-8", "surrogatepass")
            h.update(b"s%d:" % len(data))
            h.update(data)
            return
        if kind in self._objects:
            # Most are objects met before on another page (items, terms...):
            # their remembered digest, without the call (_object_digest's memo).
            remembered = self._memo.get(id(value))
            h.update(remembered[1] if remembered is not None and remembered[0] is value else self._object_digest(value, depth))
            return
        if value is None or kind is bool:
            h.update(b"N" if value is None else (b"T" if value else b"F"))
        elif isinstance(value, str):  # a subclass: plain strings took the short way above
            data = value.encode("utf-8", "surrogatepass")
            h.update(b"s%s:%d:" % (kind.__qualname__.encode(), len(data)))
            h.update(data)
        elif kind is int or kind is float or isinstance(value, (Decimal, datetime, date, time)):
            text = repr(value).encode()
            h.update(b"n%d:" % len(text))
            h.update(text)
        elif isinstance(value, bytes):
            h.update(b"b%d:" % len(value))
            h.update(value)
        elif isinstance(value, PurePath):
            self._feed(h, ("path", value.as_posix()), depth + 1)
        elif isinstance(value, enum.Enum):
            self._feed(h, ("enum", kind.__qualname__, value.name), depth + 1)
        elif (kind is list or kind is tuple or kind is dict) and (data := _marshalled(value)) is not None:
            h.update(b"m%d:" % len(data))
            h.update(data)
        elif isinstance(value, (list, tuple)):
            h.update(b"l%d[" % len(value) if isinstance(value, list) else b"t%d[" % len(value))
            for element in value:
                self._feed(h, element, depth + 1)
            h.update(b"]")
        elif isinstance(value, dict):
            h.update(b"d%d{" % len(value))
            for key, element in value.items():
                self._feed(h, key, depth + 1)
                self._feed(h, element, depth + 1)
            h.update(b"}")
        elif isinstance(value, (set, frozenset)):
            h.update(b"S%d{" % len(value))
            for part in sorted(self.digest(element) for element in value):
                h.update(part)
            h.update(b"}")
        elif kind in self.opaque:
            self._feed(h, ("opaque", kind.__qualname__, self.opaque[kind](value)), depth + 1)
        elif isinstance(value, types.MethodType):
            self._feed(h, ("method", value.__func__.__qualname__, value.__self__), depth + 1)
        elif isinstance(value, (types.FunctionType, types.BuiltinFunctionType)):
            # Functions handed to templates: their code is part of the build's key.
            self._feed(h, ("function", value.__module__, value.__qualname__), depth + 1)
        else:
            self._objects.add(kind)
            h.update(self._object_digest(value, depth))

    def _object_digest(self, value: object, depth: int) -> bytes:
        remembered = self._memo.get(id(value))
        if remembered is not None and remembered[0] is value:
            return remembered[1]
        kind = type(value)
        names = self._fields.get(kind)
        if names is None and dataclasses.is_dataclass(value):
            skipped = self.skip.get(kind, frozenset())
            names = self._fields[kind] = tuple(f.name for f in dataclasses.fields(value) if f.name not in skipped)
        if names is not None:
            state = [(name, getattr(value, name)) for name in names]
        elif hasattr(value, "__dict__") or hasattr(kind, "__slots__"):
            state = sorted(vars(value).items()) if hasattr(value, "__dict__") else []
            for name in _slot_names(kind):
                if hasattr(value, name):
                    state.append((name, getattr(value, name)))
            skipped = self.skip.get(kind)
            if skipped:
                state = [(name, element) for name, element in state if name not in skipped]
        else:
            raise Untraceable(f"valeur de type {kind.__qualname__}")
        h = hashlib.blake2b(digest_size=20)
        if kind in self.pickled and (data := _pickled((kind.__module__, kind.__qualname__, state))) is not None:
            h.update(b"P%d:" % len(data))
            h.update(data)
            digest = h.digest()
            self._memo[id(value)] = (value, digest)
            return digest
        h.update(b"o")
        self._feed(h, (kind.__module__, kind.__qualname__), depth + 1)
        for name, element in state:
            self._feed(h, name, depth + 1)
            self._feed(h, element, depth + 1)
        digest = h.digest()
        self._memo[id(value)] = (value, digest)
        return digest


def _marshalled(value: object) -> bytes | None:
    """Plain data (strings, numbers, lists, dicts...) in one C call, or None
    when it holds anything else. Version 2 writes no back-references, so the
    bytes depend on the value only (a set's order may differ between runs:
    then the page is only rendered again, never wrongly reused)."""
    try:
        return marshal.dumps(value, 2)
    except ValueError:
        return None


def _pickled(value: object) -> bytes | None:
    """``value`` pickled, or None when some part of it cannot be."""
    try:
        return pickle.dumps(value, protocol=5)
    except Exception:
        return None


def _slot_names(kind: type) -> list[str]:
    names: list[str] = []
    for klass in kind.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names.extend([slots] if isinstance(slots, str) else slots)
    return [name for name in names if name not in ("__dict__", "__weakref__")]


def files_digest(paths: Iterable[Path]) -> bytes:
    """Digest of files and folder trees (names and bytes), in a stable order;
    ``__pycache__`` and dotted names are skipped."""
    h = hashlib.blake2b(digest_size=20)
    for root in sorted(Path(p) for p in paths):
        if root.is_file():
            found = [root]
        elif root.is_dir():
            found = sorted(
                p for p in root.rglob("*")
                if p.is_file() and not any(part == "__pycache__" or part.startswith(".") for part in p.relative_to(root).parts)
            )
        else:
            h.update(b"missing:" + str(root).encode())
            continue
        for path in found:
            h.update(str(path).encode("utf-8", "surrogateescape") + b"\0")
            h.update(hashlib.blake2b(path.read_bytes(), digest_size=20).digest())
    return h.digest()


class Recorder:
    """Stands for a shared index in a template and records each method call
    with its answer (``calls`` is the page's trace).

    Reading a plain value (a flag, a number, a text) is recorded too. Anything
    else cannot be replayed: the recorder is then marked broken and its page is
    not stored.
    """

    __slots__ = ("_target", "_name", "_calls", "_state", "_canonical")

    def __init__(self, target: object, name: str, calls: list, state: dict, canonical: Canonical | None = None) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_calls", calls)
        object.__setattr__(self, "_state", state)
        object.__setattr__(self, "_canonical", canonical)

    def __getattr__(self, attribute: str) -> object:
        if attribute.startswith("__") or attribute == "jinja_pass_arg":
            raise AttributeError(attribute)
        value = getattr(self._target, attribute)
        if not callable(value):
            if value is None or isinstance(value, (bool, int, float, str)):
                self._calls.append((self._name, attribute, None, value))  # a plain value read: replayed by reading it
            else:
                self._state["broken"] = f"{self._name}.{attribute} lu directement"
            return value
        name, calls, state, canonical = self._name, self._calls, self._state, self._canonical

        def recorded(*args: object, **kwargs: object) -> object:
            result = value(*args, **kwargs)
            arguments = (args, kwargs) if canonical is None else canonical(attribute, args, kwargs)
            if arguments is None:
                return result  # an answer that follows from the arguments alone
            try:
                calls.append((name, attribute, pickle.dumps(arguments, protocol=5), result))
            except Exception as error:  # an argument that cannot be kept: no entry for this page
                state["broken"] = f"{name}.{attribute} : {error}"
            return result

        return recorded

    def __bool__(self) -> bool:
        return bool(self._target)


Canonical = Callable[[str, tuple, dict], "tuple[tuple, dict] | None"]
"""``canonical(method, args, kwargs)``: the arguments to record for a call, in
the smallest form that gets the same answer (an item by its type and slug),
or None when the answer follows from the arguments alone."""

_MISSING = object()


def replay(calls: list, targets: dict[str, object], memo: dict | None = None, shared: Iterable[str] = ()) -> bool:
    """True when every recorded call gets the same answer from ``targets``.

    The answers of the ``shared`` targets (the same object for every page of
    a build) are remembered in ``memo``: pages asking the same question of the
    site's index replay it once.
    """
    for name, attribute, arguments, result in calls:
        target = targets.get(name)
        if target is None:
            return False
        remembered = name in shared and memo is not None
        answer = memo.get((name, attribute, arguments), _MISSING) if remembered else _MISSING
        if answer is _MISSING:
            try:
                if arguments is None:
                    answer = getattr(target, attribute)
                else:
                    args, kwargs = pickle.loads(arguments)
                    answer = getattr(target, attribute)(*args, **kwargs)
            except Exception:
                return False
            if remembered:
                memo[(name, attribute, arguments)] = answer
        if answer != result or type(answer) is not type(result):
            return False
    return True


@dataclasses.dataclass(slots=True)
class Entry:
    key: bytes
    calls: list
    html: str


class RenderCache:
    """One entry per page source URI, under ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0
        self.stored = 0
        self._folders: set[Path] = set()
        # (key, HTML size) of the heads load_head read, until place() uses
        # them: a cached page's head is then read and unpickled once per
        # build, not twice (1.2 s of a warm build at 10,000 sheets).
        self._checked: dict[str, tuple[bytes, int]] = {}

    def _name(self, src_uri: str) -> str:
        return hashlib.blake2b(src_uri.encode("utf-8"), digest_size=16).hexdigest()

    def _path(self, src_uri: str) -> Path:
        name = self._name(src_uri)
        return self.folder / name[:2] / f"{name}.pickle"

    def html_path(self, src_uri: str, key: bytes) -> Path:
        """Where the HTML rendered for ``key`` is kept: one file per key, so a
        head never designates the HTML of another key."""
        name = self._name(src_uri)
        return self.folder / name[:2] / f"{name}.{key.hex()}.html"

    # An entry's head: FORMAT, then a pickle of (source URI, key, calls, the
    # HTML's length in bytes). Checking a page needs its key and calls only;
    # its HTML (about 45 KB) is linked into the site, or read by ``load``.

    def load_head(self, src_uri: str) -> Entry | None:
        """The entry without its HTML (``html`` is empty)."""
        head = self._head(src_uri)
        if head is None:
            self._checked.pop(src_uri, None)
            return None
        self._checked[src_uri] = (head[0], head[2])
        return Entry(key=head[0], calls=head[1], html="")

    def checked_size(self, src_uri: str) -> int | None:
        """The HTML size of the head ``load_head`` last read for ``src_uri``."""
        checked = self._checked.get(src_uri)
        return checked[1] if checked is not None else None

    def trust(self, src_uri: str, key: bytes, size: int) -> None:
        """Take ``src_uri``'s entry as checked by another process (a fork of
        this one) that read its head: key and HTML size, for ``place``."""
        self._checked[src_uri] = (key, size)

    def load(self, src_uri: str) -> Entry | None:
        head = self._head(src_uri)
        if head is None:
            return None
        key, calls, size = head
        try:
            data = self.html_path(src_uri, key).read_bytes()
            html = data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        return Entry(key=key, calls=calls, html=html) if len(data) == size else None

    def place(self, src_uri: str, key: bytes, target: Path | str) -> bool:
        """Put the HTML stored for ``key`` at ``target`` (emit.place_cached:
        a hard link, else a copy); False when the entry no longer has it."""
        checked = self._checked.pop(src_uri, None)
        head = checked if checked is not None and checked[0] == key else self._head(src_uri)
        if head is None or head[0] != key:
            return False
        # The HTML file is named by the key: the same name and size is the same page.
        if not self.holds(src_uri, key, head[-1]):
            return False
        try:
            place_cached_in_folder(self.html_path(src_uri, key), target)
        except OSError:
            return False
        return True

    def _head(self, src_uri: str) -> tuple[bytes, list, int] | None:
        try:
            with open(self._path(src_uri), "rb") as handle:
                data = handle.read()
            if not data.startswith(FORMAT):
                return None
            source, key, calls, size = pickle.loads(data[len(FORMAT):])
        except Exception:  # absent, damaged, or written by another version
            return None
        return (key, calls, size) if source == src_uri else None

    def store(self, src_uri: str, entry: Entry) -> bool:
        """Keep ``entry``; True when it was written, and ``place`` can then put
        its HTML into the site without reading its head again."""
        path = self._path(src_uri)
        try:
            # The bytes MkDocs writes for this text (mkdocs.commands.build._build_page).
            html = entry.html.encode("utf-8", errors="xmlcharrefreplace")
            head = FORMAT + pickle.dumps((src_uri, entry.key, entry.calls, len(html)), protocol=5)
        except Exception:  # an answer that cannot be kept: the page is rendered again next time
            return False
        try:
            if path.parent not in self._folders:  # 256 folders, asked once each
                path.parent.mkdir(parents=True, exist_ok=True)
                self._folders.add(path.parent)
            # The HTML first: a head is never read before the HTML it names.
            # A site file linked to an older HTML file keeps it (a rename).
            write_atomically(self.html_path(src_uri, entry.key), html)
            write_atomically(path, head)  # readers never see half an entry
            self.stored += 1
        except OSError:
            return False  # a cache that cannot be written only makes the next build slower
        self._checked[src_uri] = (entry.key, len(html))
        return True

    def last_build_key(self) -> bytes | None:
        """The build-wide key of the last build that finished (``remember``)."""
        try:
            return (self.folder / LAST_BUILD).read_bytes()
        except OSError:
            return None

    def remember(self, build_key: bytes) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomically(self.folder / LAST_BUILD, build_key)
        except OSError:
            pass

    def last_keys(self, inputs: bytes) -> dict[str, tuple[bytes, bytes, int]] | None:
        """The page keys the last build recorded (``remember_keys``), by
        source URI: (digest of the page's Markdown, key, HTML size); None
        unless that build had the same ``inputs``."""
        try:
            data = pickle.loads((self.folder / PAGE_KEYS).read_bytes())
        except Exception:  # noqa: BLE001 - absent, cut short, another format: no memo
            return None
        if not (isinstance(data, tuple) and len(data) == 3 and data[0] == PAGE_KEYS_FORMAT and data[1] == inputs):
            return None
        return data[2] if isinstance(data[2], dict) else None

    def holds(self, src_uri: str, key: bytes, size: int | None) -> bool:
        """Whether the HTML stored for ``key`` is there with ``size`` bytes (one
        stat; its head is not read: the file is named by the key)."""
        try:
            return self.html_path(src_uri, key).stat().st_size == size
        except OSError:
            return False

    def remember_keys(self, inputs: bytes, keys: dict[str, tuple[bytes, bytes, int]]) -> None:
        self._keep(PAGE_KEYS, (PAGE_KEYS_FORMAT, inputs, keys))

    def _keep(self, name: str, *parts: object) -> None:
        """Write ``parts``, pickled one after the other, as the file ``name``
        beside the entries (atomically; a memo that cannot be written is none)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomically(self.folder / name, b"".join(pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL) for part in parts))
        except OSError:
            pass

    def last_outputs(self, inputs: bytes) -> list[tuple[str, bytes]] | None:
        """The feeds, calendars and exports the last build made
        (``remember_outputs``), as (site path, bytes); None unless that
        build had the same ``inputs``. They are made of the items without
        their bodies and of what the build-wide key holds (code, data,
        configuration, date), all in ``inputs``: after a body edit they are
        the same bytes. The inputs are read first: the files (30 MB at
        10,000 sheets) only when they match."""
        try:
            with open(self.folder / OUTPUTS, "rb") as stream:
                if pickle.load(stream) != (OUTPUTS_FORMAT, inputs):
                    return None
                outputs = pickle.load(stream)
        except Exception:  # noqa: BLE001 - absent, cut short, another format: made again
            return None
        if not (isinstance(outputs, list) and all(
            isinstance(o, tuple) and len(o) == 2 and isinstance(o[0], str) and isinstance(o[1], bytes) for o in outputs
        )):
            return None
        return outputs

    def remember_outputs(self, inputs: bytes, outputs: list[tuple[str, bytes]]) -> None:
        self._keep(OUTPUTS, (OUTPUTS_FORMAT, inputs), outputs)

    def prune(self, kept: Iterable[str]) -> int:
        """Delete the entries of pages that are no longer built, and the HTML
        of earlier keys of the others (cache files only)."""
        if not self.folder.is_dir():
            return 0
        wanted = {self._name(uri): uri for uri in kept}
        removed = 0
        html: dict[str, list[Path]] = {}
        for path in self.folder.glob("*/*.html"):
            html.setdefault(path.name.split(".", 1)[0], []).append(path)
        silent = [*self.folder.glob("*/.tmp-*"), *self.folder.glob(".tmp-*")]  # half-written by a stopped process
        counted = [path for path in self.folder.glob("*/*.pickle") if path.stem not in wanted]
        for name, paths in html.items():
            if name not in wanted:
                silent += paths  # counted with their head
            elif len(paths) > 1:  # the page was rendered again: keep its head's HTML only
                head = self._head(wanted[name])
                current = self.html_path(wanted[name], head[0]) if head is not None else None
                counted += [path for path in paths if path != current]
        for paths, weight in ((silent, 0), (counted, 1)):
            for path in paths:
                try:
                    path.unlink()
                    removed += weight
                except OSError:
                    pass
        return removed
