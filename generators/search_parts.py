"""The search index in parts, for large sites (``recherche: {parties: N|auto}``).

Pagefind keeps every page it indexes in memory until it writes its index:
about 0.2 MB per sheet page, some 2.6 GiB for the 14,000 pages of a
10,000-sheet site (benchmarks/search_parts.py). With N parts indexed one
after the other, the peak is one part's, and the reader's browser merges the
parts (Pagefind's ``mergeIndex``; assets/portail/search.js).

- A page belongs to the part given by a hash of its path, so adding or
  removing a page changes one part only.
- Each part's bundle is kept in ``.cache/search/`` under a digest of its
  pages (path, and bytes but for the elements Pagefind leaves out:
  ``index_digest``), of Pagefind's version and of its options: a rebuild
  after one edit indexes one part again and links the others.
- The first non-empty part is the site's ``pagefind/`` (Pagefind's scripts
  and UI come from it); part K is ``pagefind/partie-K/``, and
  ``pagefind/portail-parties.json`` lists them for search.js.
- ``parties: auto`` (the default) takes one part per ``PAGES_PER_PART``
  pages of the site (``resolve_parts``): one index up to that size.

Sorted results (``?tri=date``): Pagefind scores a result sorted by a key
with its rank in its own index's sorted pages, and the browser orders the
merged parts' results by score, so ranks from different parts would
interleave only roughly. ``global_sorts`` rewrites each part's sorted list
(in its metadata file) to the length of the whole site: a page sits at its
rank among all the parts' pages, and the other ranks hold a page number
that does not exist (never a result). Merged results then come in the order
one index gives.

What it costs the reader (measured by benchmarks/search_parts.py, in the
README): a first query loads every part's entry, metadata and filters, so
it is slower and heavier. With one part none of this runs:
``search.Indexing`` indexes the site in one go.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

from .emit import discard_folders, place_cached_in_folder
from .search import (
    BUNDLE_DIR,
    EXCLUDED_SELECTORS,
    ROOT_SELECTOR,
    IndexReport,
    SearchIndexError,
    bundle_sorts,
    indexed_page_count,
    pagefind_command,
    replace_sorts,
    stabilise_bundle,
)

log = logging.getLogger("mkdocs.plugins.portail.search")

MANIFEST = "portail-parties.json"
PART_PREFIX = "partie-"
MAX_PARTS = 64
# Pages Pagefind indexes: the others are left out of every part, as Pagefind
# leaves them out of a whole site that has some of these.
BODY_MARK = b"data-pagefind-body"
FORMAT = b"portail-search-parts/2"
# The pages' identities, digests and sort values of the last indexing, in the cache folder.
PAGES_MEMO = "pages.json"
MEMO_FORMAT = 3
# recherche: {parties: auto}: one part per this many pages. At 10,000 sheets
# (14,700 pages: 8 parts) Pagefind then holds about 320 MiB at a time
# instead of 2.5 GiB, and a one-edit rebuild indexes 1,800 pages again.
AUTO = "auto"
PAGES_PER_PART = 2000
# Pagefind's sort keys: data-pagefind-sort="key[attribute]" (the value is
# that attribute's, on the same element) or "key:value", comma-separated.
# "key" alone (the element's text) is not read here: such a key gets no
# table, and its order across parts is Pagefind's merge of local ranks.
SORT_TAG = re.compile(rb"<[^<>]*\bdata-pagefind-sort=\"([^\"]*)\"[^<>]*>")
SORT_ATTRIBUTE = b"data-pagefind-sort=\""
SORT_SPEC = re.compile(r"^\s*([^\[\]:]+?)\s*(?:\[([^\]]+)\]|:(.*))?\s*$", re.S)
NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


# Elements Pagefind leaves out whole (the EXCLUDED_SELECTORS that are one
# class): nothing inside them reaches the index, so a page's digest leaves
# them out too (``index_digest``). The cards of related items are such
# elements, and they show other items' titles, summaries and pictures:
# without this, editing a sheet's summary changed its actor's page, and
# that page's part was indexed again as well as the sheet's.
SKIPPED_CLASSES = tuple(selector[1:] for selector in EXCLUDED_SELECTORS if re.fullmatch(r"\.[\w-]+", selector))
SKIPPED_START = re.compile(
    rb'<([a-zA-Z][\w-]*)\s[^<>]*?\bclass="(?:[^"]*\s)?(?:'
    + b"|".join(re.escape(name.encode()) for name in SKIPPED_CLASSES)
    + rb')(?:\s[^"]*)?"'
)
# What Pagefind reads even inside a left-out element: its attributes
# (filters, metadata, sort keys), and the h1 and first picture it takes as a
# page's title and image when the page does not give them.
READ_ANYWAY = (b"data-pagefind-", b"<h1")
PICTURE, OWN_PICTURE = b"<img", b'data-pagefind-meta="image['
_SAME_TAGS: dict[bytes, re.Pattern] = {}


def _tags_at(data: bytes, needle: bytes, pattern: re.Pattern):
    """The matches of ``pattern`` (a tag, from its ``<``) that hold ``needle``,
    without overlaps, like ``pattern.finditer(data)`` when every match holds
    it, but faster: a match can only start at the last ``<`` before the
    needle, so the pattern is tried there, not at every tag of the page."""
    end = 0
    at = data.find(needle)
    while at != -1:
        opening = data.rfind(b"<", end, at)  # none after the last match: inside it
        tag = pattern.match(data, opening) if opening != -1 else None
        if tag is not None and tag.end() > at:
            yield tag
            end = tag.end()
        at = data.find(needle, max(at + 1, end))


def _skipped_starts(data: bytes) -> list[re.Match]:
    """``SKIPPED_START.finditer(data)``, faster (``_tags_at``)."""
    found = [start for name in SKIPPED_CLASSES for start in _tags_at(data, name.encode(), SKIPPED_START)]
    return sorted(found, key=lambda match: match.start())


def _element_end(data: bytes, start: re.Match) -> int | None:
    """Where the element opened by ``start`` ends (after its end tag), or
    None if its end tag is not found."""
    name = start.group(1).lower()
    same = _SAME_TAGS.get(name)
    if same is None:
        same = _SAME_TAGS[name] = re.compile(rb"<(/?)" + re.escape(name) + rb"[\s>/]", re.I)
    depth = 0
    for tag in same.finditer(data, start.start()):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            end = data.find(b">", tag.end() - 1)
            return None if end == -1 else end + 1
    return None


def index_digest(data: bytes) -> bytes:
    """The digest of a page for its part's key: its bytes, without the
    elements Pagefind leaves out (``SKIPPED_CLASSES``), which cannot change
    its index. Such an element counts when it holds something Pagefind reads
    anyway (``READ_ANYWAY``; a picture, on a page that does not name its
    own), or when its end is not found."""
    digest = hashlib.blake2b(digest_size=16)
    own_picture = OWN_PICTURE in data
    position = 0
    for start in _skipped_starts(data):
        if start.start() < position:
            continue  # inside the element left out last
        end = _element_end(data, start)
        if end is None:
            continue
        element = data[start.start() : end]
        if any(mark in element for mark in READ_ANYWAY) or (PICTURE in element and not own_picture):
            continue
        digest.update(data[position : start.start()])
        digest.update(b"\0left out\0")
        position = end
    digest.update(data[position:])
    return digest.digest()


def _identity(stat: os.stat_result) -> list[int]:
    """A file's identity in ``pages.json``: inode, size, modification time in nanoseconds."""
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns]


def _page_digest(data: bytes) -> bytes | None:
    """A page's ``index_digest``, or None for a page Pagefind does not index."""
    return index_digest(data) if BODY_MARK in data else None


def resolve_parts(setting: int | str, pages: int) -> int:
    """The number of parts for ``setting`` (a number, or ``auto``) on a site of ``pages`` pages."""
    if setting == AUTO:
        return max(1, min(MAX_PARTS, math.ceil(pages / PAGES_PER_PART)))
    return int(setting)


def _sort_tags(data: bytes):
    """``SORT_TAG.finditer(data)``, faster (``_tags_at``: 0.02 ms a page, against 0.7 ms)."""
    return _tags_at(data, SORT_ATTRIBUTE, SORT_TAG)


def page_sorts(data: bytes) -> dict[str, str | None]:
    """A page's sort keys and values, as Pagefind reads them (``None``: a value this cannot read)."""
    sorts: dict[str, str | None] = {}
    for tag in _sort_tags(data):
        text = tag.group(0).decode("utf-8", "replace")
        for spec in html.unescape(tag.group(1).decode("utf-8", "replace")).split(","):
            match = SORT_SPEC.match(spec)
            if not match:
                continue
            key, attribute, literal = match.groups()
            if literal is not None:
                sorts[key] = literal.strip()
            elif attribute is not None:
                value = re.search(r"\s" + re.escape(attribute.strip()) + r"=\"([^\"]*)\"", text)
                sorts[key] = html.unescape(value.group(1)) if value else None
            else:
                sorts[key] = None
    return sorts


def sort_tables(groups: list[list[dict[str, str | None]]]) -> dict[str, list[list[str]]]:
    """Per sort key, per part, the part's values in Pagefind's order.

    Pagefind sorts a key's values as numbers when all of them (in one index)
    are numbers, else as strings. A key with a value this could not read has
    no table."""
    keys = sorted({key for group in groups for sorts in group for key in sorts})
    tables = {}
    for key in keys:
        columns = []
        for group in groups:
            values = [sorts[key] for sorts in group if key in sorts]
            if any(value is None for value in values):
                break
            columns.append(sorted(values, key=float) if values and all(NUMBER.match(v) for v in values) else sorted(values))
        else:
            tables[key] = columns
    return tables


def global_sorts(tables: dict[str, list[list[str]]], bundles: list[tuple[dict[str, list[int]], int]]) -> list[dict[str, list[int]]]:
    """Per part, its sort lists with every page at its rank among all the parts' pages.

    ``tables`` comes from ``sort_tables``; ``bundles`` holds each part's sort
    lists and page count (``search.bundle_sorts``). A part's list gives page
    numbers in its values' order, so its i-th page has the i-th value of its
    table. The new lists are as long as all the parts' together; the ranks of
    the other parts' pages hold the part's page count, a page number that
    does not exist. A key whose table and list do not match is left out."""
    ranked: list[dict[str, list[int]]] = [{} for _ in bundles]
    for key, columns in tables.items():
        if len(columns) != len(bundles) or any(len(column) != len(sorts.get(key, ())) for column, (sorts, _) in zip(columns, bundles)):
            continue
        entries = [(value, part, position) for part, column in enumerate(columns) for position, value in enumerate(column)]
        if all(NUMBER.match(value) for value, _, _ in entries):
            entries.sort(key=lambda entry: (float(entry[0]), entry[1], entry[2]))
        else:
            entries.sort()
        for part, (sorts, pages) in enumerate(bundles):
            ranked[part][key] = [pages] * len(entries)
        for rank, (_, part, position) in enumerate(entries):
            ranked[part][key][rank] = bundles[part][0][key][position]
    return ranked


def part_of(path: str, parts: int) -> int:
    """The part (1..parts) of the page at ``path`` (relative to the site, with /)."""
    return int.from_bytes(hashlib.blake2b(path.encode("utf-8"), digest_size=8).digest(), "big") % parts + 1


def indexed_pages(site_dir: Path, known: dict | None = None) -> list[tuple[str, bytes]]:
    """``(path, digest)`` of every page of a built site that Pagefind indexes, sorted.

    ``known`` maps a page's path to ``[identity, digest, sorts]`` from an
    earlier call (digest ``None`` for a page without ``BODY_MARK``; sorts from
    ``page_sorts``); it is updated in place.
    A page whose file identity (inode, size and modification time in
    nanoseconds) is the one recorded is not read again. In a warm build, the
    pages taken from the render cache are hard links to the same cache files
    as in the last build, so only the pages rendered anew are read. (Not the
    change time: linking a file changes it.) A page rewritten in place with
    its old size and modification time put back would be missed; the build
    writes new files, and MkDocs writes with the current time.
    """
    site_dir = Path(site_dir)
    known = {} if known is None else known
    seen: set[str] = set()
    pages = []
    for folder, subfolders, names in os.walk(site_dir):
        if folder == str(site_dir):
            subfolders[:] = [name for name in subfolders if name != BUNDLE_DIR]
        for name in names:
            if not name.endswith(".html"):
                continue
            path = os.path.join(folder, name)
            relative = Path(path).relative_to(site_dir).as_posix()
            seen.add(relative)
            identity = _identity(os.stat(path))
            entry = known.get(relative)
            if entry is None or entry[0] != identity:
                data = Path(path).read_bytes()
                digest = _page_digest(data)
                entry = [identity, None, {}] if digest is None else [identity, digest.hex(), page_sorts(data)]
                known[relative] = entry
            if entry[1] is not None:
                pages.append((relative, bytes.fromhex(entry[1])))
    for gone in set(known) - seen:
        del known[gone]
    pages.sort()
    return pages


def part_key(pages: list[tuple[str, bytes]], root_selector: str | None) -> str:
    """The cache name of a part's bundle: what Pagefind reads and how."""
    digest = hashlib.blake2b(FORMAT, digest_size=16)
    try:
        version = metadata.version("pagefind_bin")
    except metadata.PackageNotFoundError:
        version = "?"
    digest.update(json.dumps([version, root_selector, list(EXCLUDED_SELECTORS)]).encode("utf-8"))
    for path, page_digest in pages:
        digest.update(path.encode("utf-8") + b"\0" + page_digest)
    return digest.hexdigest()


def _link_tree(source: Path, target: Path) -> None:
    """``target`` made a copy of the folder ``source``, by hard links where it can."""
    for folder, _, names in os.walk(source):
        relative = Path(folder).relative_to(source)
        for name in names:
            place_cached_in_folder(Path(folder, name), target / relative / name)


def _trees(plan: list[tuple[int, Path, Path | None]]) -> list[Path]:
    """The temporary trees of a plan (``PartedIndexing._scan``)."""
    return [work for _, _, work in plan if work is not None]


def _remove_trees(plan: list[tuple[int, Path, Path | None]]) -> None:
    """Remove the temporary trees of a plan that are still there."""
    for work in _trees(plan):
        shutil.rmtree(work, ignore_errors=True)


class PartedIndexing:
    """The site in ``site_dir`` indexed in ``parts`` parts, one after the other,
    in a background thread (the build writes its feeds and exports meanwhile),
    reusing the bundles kept in ``cache_dir``. Same interface as
    ``search.Indexing``: ``finish()`` waits and reports, ``cancel()`` stops."""

    def __init__(
        self,
        site_dir: Path,
        parts: int,
        cache_dir: Path,
        root_selector: str | None = ROOT_SELECTOR,
        *,
        temporary: bool = False,
        early: EarlyParts | None = None,
    ) -> None:
        if not 1 <= parts <= MAX_PARTS:
            raise SearchIndexError(f"le nombre de parties de l'index doit être compris entre 1 et {MAX_PARTS} (ici {parts})")
        self.site_dir = Path(site_dir).resolve()
        self.parts = parts
        self.cache_dir = Path(cache_dir)
        self.root_selector = root_selector
        self.temporary = temporary  # cache_dir is this build's own: removed at the end
        self.early = early  # the parts being indexed since the page loop (EarlyParts)
        self.started = time.perf_counter()
        self.indexed: list[int] = []  # the parts Pagefind indexed (the others came from the cache)
        self.indexed_early: list[int] = []  # of which, by EarlyParts during the page loop
        self._runs = _PagefindRuns(root_selector)
        self._result: IndexReport | BaseException | None = None
        self._scanned = self._scan()
        self._thread = threading.Thread(target=self._run, name="portail-search-parts", daemon=True)
        self._thread.start()

    def _scan(self) -> tuple[dict, dict[int, list[tuple[str, bytes]]], list[tuple[int, Path, Path | None]]]:
        """The memo of the last indexing, the site's pages by part, and for
        each part its cache entry and, when Pagefind must index it, the
        temporary tree of its pages (``_tree``).

        Done in the caller's thread, before it goes on: walking the site and
        linking a part's pages make a few system calls per page, and in a
        thread beside the build's Python work each of them waited for the
        interpreter's lock. In a warm build at 10,000 sheets, the walk took
        8 s there against 0.75 s here, and linking one part's pages 6 s
        against 0.25 s."""
        plan: list[tuple[int, Path, Path | None]] = []
        try:
            known = load_pages_memo(self.cache_dir)
            groups: dict[int, list[tuple[str, bytes]]] = {}
            for path, digest in indexed_pages(self.site_dir, known):
                groups.setdefault(part_of(path, self.parts), []).append((path, digest))
            if not groups:
                raise SearchIndexError("aucune page à indexer (aucune ne porte data-pagefind-body)")
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            for number in sorted(groups):
                key = part_key(groups[number], self.root_selector)
                entry = self.cache_dir / key
                if (entry / "pagefind-entry.json").is_file() or (self.early is not None and key in self.early.keys):
                    work = None  # in the cache, or soon (_index waits for it)
                else:
                    work = Path(tempfile.mkdtemp(prefix="tmp-", dir=self.cache_dir))
                plan.append((number, entry, work))  # before linking: removed if that fails
                if work is not None:
                    self._tree(groups[number], work)
        except BaseException:
            _remove_trees(plan)
            if self.temporary:
                shutil.rmtree(self.cache_dir, ignore_errors=True)
            raise
        return known, groups, plan

    def _tree(self, pages: list[tuple[str, bytes]], work: Path) -> None:
        """Link ``pages`` into ``work/site``, the folder Pagefind indexes for their part."""
        for path, _ in pages:
            place_cached_in_folder(self.site_dir / path, work / "site" / path)

    def finish(self) -> IndexReport:
        self._thread.join()
        if isinstance(self._result, BaseException):
            raise self._result
        assert self._result is not None
        return self._result

    def cancel(self) -> None:
        self._runs.cancel()
        if self.early is not None:
            self.early.cancel()
        self._thread.join()

    def _run(self) -> None:
        try:
            self._result = self._index()
        except BaseException as error:  # noqa: BLE001 - handed to finish()
            self._result = error
        finally:
            if self.temporary:
                shutil.rmtree(self.cache_dir, ignore_errors=True)
            elif isinstance(self._result, BaseException):
                _remove_trees(self._scanned[2])  # cancelled or failed: gone before finish() returns
            else:
                # Each tree links every page of its part into as many folders:
                # deleting one took 0.3 s at 2,000 pages, before the next part
                # could start. A detached process deletes them all at the end
                # (emit.discard_folders); the next build's _prune takes what it left.
                discard_folders(_trees(self._scanned[2]))

    def _index(self) -> IndexReport:
        known, groups, plan = self._scanned
        bundles: list[tuple[int, Path]] = []
        if self.early is not None:
            self.early.wait()
        for position, (number, entry, work) in enumerate(plan):
            if self._runs.stop.is_set():
                raise SearchIndexError("indexation interrompue")
            if work is None and not (entry / "pagefind-entry.json").is_file():  # EarlyParts failed on it
                work = Path(tempfile.mkdtemp(prefix="tmp-", dir=self.cache_dir))
                plan[position] = (number, entry, work)
                self._tree(groups[number], work)
            if work is not None:
                self._runs.index(work, entry)  # work stays: _run deletes the trees
                self.indexed.append(number)
            elif self.early is not None and entry.name in self.early.keys:
                self.indexed.append(number)
                self.indexed_early.append(number)
            bundles.append((number, entry))
        pages = self._place(bundles, sort_tables([[known[path][2] for path, _ in groups[number]] for number in sorted(groups)]))
        early = {tree.name for tree in self.early.trees} if self.early is not None else set()
        self._prune({entry.name for _, entry in bundles} | {PAGES_MEMO} | {work.name for work in _trees(plan)} | early)
        self._save_pages(known)
        seconds = time.perf_counter() - self.started
        bundle = self.site_dir / BUNDLE_DIR
        size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file())
        log.info(
            "Recherche : %d pages indexées par Pagefind en %s s, en %d parties (%d indexée(s)%s, les autres reprises du cache)",
            pages, f"{seconds:.1f}".replace(".", ","), len(bundles), len(self.indexed),
            f" dont {len(self.indexed_early)} pendant l'écriture des pages" if self.indexed_early else "",
        )
        return IndexReport(pages=pages, seconds=seconds, bytes=size)

    def _save_pages(self, known: dict) -> None:
        memo = self.cache_dir / PAGES_MEMO
        work = memo.with_name(memo.name + ".tmp")
        work.write_text(json.dumps({"format": MEMO_FORMAT, "pages": known}, separators=(",", ":")), encoding="utf-8")
        work.replace(memo)

    def _place(self, bundles: list[tuple[int, Path]], tables: dict[str, list[list[str]]]) -> int:
        """Link the bundles into the site, give them global sort lists
        (``global_sorts``) and write the list of the merged ones."""
        primary = self.site_dir / BUNDLE_DIR
        shutil.rmtree(primary, ignore_errors=True)
        merged = []
        pages = 0
        for position, (number, entry) in enumerate(bundles):
            target = primary if position == 0 else primary / f"{PART_PREFIX}{number}"
            _link_tree(entry, target)
            if position:
                merged.append(f"{PART_PREFIX}{number}/")
            pages += indexed_page_count(target)
        targets = [primary, *(primary / part for part in merged)]
        found = [bundle_sorts(target) for target in targets]
        if len(targets) > 1 and all(found):
            for target, sorts in zip(targets, global_sorts(tables, found)):
                if sorts:
                    replace_sorts(target, sorts)
        (primary / MANIFEST).write_text(json.dumps({"parties": merged}, separators=(",", ":")), encoding="utf-8")
        return pages

    def _prune(self, kept: set[str]) -> None:
        """Remove the cache entries this build did not use (and leftovers of interrupted runs)."""
        for path in self.cache_dir.iterdir():
            if path.name not in kept:
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


class _PagefindRuns:
    """Pagefind runs over temporary trees, one at a time, which ``cancel``
    stops (the one running is killed, later ones refused)."""

    def __init__(self, root_selector: str | None) -> None:
        self.root_selector = root_selector
        self.stop = threading.Event()
        self.process: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def index(self, work: Path, entry: Path) -> None:
        """Index the pages of ``work/site`` into the cache entry ``entry``
        (Pagefind writes ``work/bundle``, made deterministic, then renamed)."""
        tree, output = work / "site", work / "bundle"
        command = pagefind_command(tree, self.root_selector, output_path=output)
        with self._lock:
            if self.stop.is_set():
                raise SearchIndexError("indexation interrompue")
            try:
                self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            except OSError as error:
                raise SearchIndexError(f"Pagefind n'a pas pu être lancé ({error})") from None
        text, _ = self.process.communicate()
        if self.process.returncode != 0:
            raise SearchIndexError(f"Pagefind a échoué (code {self.process.returncode}) : {(text or '').strip()[-2000:]}")
        stabilise_bundle(output)
        shutil.rmtree(entry, ignore_errors=True)
        output.rename(entry)

    def cancel(self) -> None:
        self.stop.set()
        with self._lock:
            if self.process is not None and self.process.poll() is None:
                self.process.kill()


def load_pages_memo(cache_dir: Path) -> dict:
    """The pages' identities and digests from the last indexing (``indexed_pages``)."""
    try:
        known = json.loads((Path(cache_dir) / PAGES_MEMO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not (isinstance(known, dict) and known.get("format") == MEMO_FORMAT and isinstance(known.get("pages"), dict)):
        return {}
    return known["pages"]


class EarlyParts:
    """The parts of a warm build's search index that a page rendered anew
    changes, indexed while the build goes on.

    After one body edit, the one part that changes was indexed once every
    page was written (3 s at 10,000 sheets, at the end of the build). The
    plugin knows before writing any page which ones it takes from the
    render cache (``expect`` with their cache file) and which it renders
    (``expect`` without); once the last page of a part is rendered
    (``rendered``), that part's cache key is known: if the cache lacks it,
    its pages are linked into a tree (here, in the caller's thread: see
    ``PartedIndexing._scan``) and Pagefind indexes it in a background
    thread while the remaining pages are written.

    Nothing of this is trusted: ``PartedIndexing`` computes every part's
    key from the written site as before, and takes an entry made here only
    under that key (the cache is named by the pages' digests, so the same
    key means the same pages). A part mispredicted is indexed again there.
    """

    def __init__(self, cache_dir: Path, parts: int, root_selector: str | None = ROOT_SELECTOR) -> None:
        self.cache_dir = Path(cache_dir)
        self.parts = parts
        self.root_selector = root_selector
        self.known = load_pages_memo(self.cache_dir)
        self.keys: set[str] = set()  # the entries being made here
        self.trees: list[Path] = []
        self._digests: dict[int, dict[str, bytes | None]] = {}  # per part, each page's digest (None: not indexed)
        self._sources: dict[str, Path | bytes] = {}  # a page's cache file, or its HTML once rendered
        self._waiting: dict[int, set[str]] = {}  # per part, its pages not rendered yet
        self._runs = _PagefindRuns(root_selector)
        self._lock = threading.Lock()  # the jobs and the thread that runs them
        self._jobs: list[tuple[Path, Path]] = []
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def expect(self, path: str, cached: Path | None) -> None:
        """A page of the site at ``path`` (relative, with /): linked from the
        cache file ``cached``, or rendered by this build (``None``)."""
        number = part_of(path, self.parts)
        self._digests.setdefault(number, {})
        self._waiting.setdefault(number, set())
        if cached is None:
            self._waiting[number].add(path)
            return
        try:
            self._digests[number][path] = self._cached_digest(path, cached)
        except OSError:  # gone from the cache: the build stops when it places the page
            self._waiting[number].add(path)
            return
        self._sources[path] = cached

    def _cached_digest(self, path: str, cached: Path) -> bytes | None:
        """The digest of a page linked from ``cached``: the last indexing's
        when it read that same file (its identity, as ``indexed_pages``)."""
        entry = self.known.get(path)
        if entry is not None and entry[0] == _identity(os.stat(cached)):
            return None if entry[1] is None else bytes.fromhex(entry[1])
        return _page_digest(cached.read_bytes())

    def ready(self) -> None:
        """Every page is expected: start the parts with none to render."""
        for number in sorted(self._waiting):
            if not self._waiting[number]:
                self._complete(number)

    def rendered(self, path: str, data: bytes) -> None:
        """The page at ``path`` was rendered: these are the bytes written."""
        number = part_of(path, self.parts)
        waiting = self._waiting.get(number)
        if waiting is None or path not in waiting:
            return
        waiting.discard(path)
        self._sources[path] = data
        self._digests[number][path] = _page_digest(data)
        if not waiting:
            self._complete(number)

    def _complete(self, number: int) -> None:
        pages = sorted((path, digest) for path, digest in self._digests[number].items() if digest is not None)
        if not pages or self._runs.stop.is_set():
            return
        key = part_key(pages, self.root_selector)
        entry = self.cache_dir / key
        if key in self.keys or (entry / "pagefind-entry.json").is_file():
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="tmp-", dir=self.cache_dir))
        self.trees.append(work)
        for path, _ in pages:  # in the order of PartedIndexing._tree: the same folders read alike
            source = self._sources[path]
            target = work / "site" / path
            if isinstance(source, Path):
                place_cached_in_folder(source, target)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source)
        self.keys.add(key)
        with self._lock:
            self._jobs.append((work, entry))
            thread = None
            if self._thread is None:
                thread = self._thread = threading.Thread(target=self._run, name="portail-search-early", daemon=True)
        if thread is not None:
            thread.start()

    def _run(self) -> None:
        done = 0
        try:
            while True:
                with self._lock:
                    if done == len(self._jobs) or self._runs.stop.is_set():
                        self._thread = None
                        return
                    work, entry = self._jobs[done]
                self._runs.index(work, entry)
                done += 1
        except BaseException as error:  # noqa: BLE001 - PartedIndexing indexes the part again
            with self._lock:
                self._error = error
                self._thread = None

    def wait(self) -> None:
        """Wait for the parts started here; a failure is left for
        ``PartedIndexing`` to find (the entry is missing: it indexes the part)."""
        while True:
            with self._lock:
                thread = self._thread
            if thread is None:
                break
            thread.join()
        if self._error is not None:
            log.debug("index de recherche anticipé : %s", self._error)
        discard_folders(self.trees)

    def cancel(self) -> None:
        self._runs.cancel()
        self.wait()


def make_indexing(site_dir: Path, parts: int, cache_dir: Path | None, early: EarlyParts | None = None):
    """The indexing for ``parts`` (``search.Indexing`` for one part)."""
    from .search import Indexing

    if parts <= 1:
        return Indexing(site_dir)
    if cache_dir is None:  # without the build's cache, the bundles live for this build only
        return PartedIndexing(site_dir, parts, Path(tempfile.mkdtemp(prefix="portail-recherche-")), temporary=True)
    return PartedIndexing(site_dir, parts, cache_dir, early=early)
