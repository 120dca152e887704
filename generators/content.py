"""Load and validate the whole content tree into typed items.

Two phases, as in Pelican: every file is read and validated on its own (one
bad file never stops the others), then the checks that need every file run:
unique slugs and references between items.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .declaration import ContentType, Declaration, FieldSpec
from .fields import TRUE_WORDS, FieldContext, SLUG_RE, closest_key, slugify
from .images import check_entry_images
from .problems import Problem, make_problem, sort_problems
from .schema import CompiledType, compile_declaration
from .source import FieldPath, RawEntry, format_path, read_entry
from .territories import TerritoryIndex
from .values import DateTimeValue, Name, PartialDate, Reference, pickled_by_fields

IGNORED_NAMES = frozenset({"readme.md"})
PARALLEL_THRESHOLD = 1500  # below this, starting workers costs more than it saves
# Files per task handed to a worker. Small, so that the workers finish
# together: with 4 tasks per worker (1,763 files each at 10,000 sheets), one
# worker often checked a whole task alone at the end, about 1 s.
CHUNK_FILES = 100
_WORKER_VALIDATOR: "Validator | None" = None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while content is loaded: it makes
    millions of small objects (results unpickled from the cache, summaries)
    and no cycles worth collecting, yet each full collection walked every
    object the process held. 10,000 sheets: loading from the cache 1.45 ->
    0.85 s; ``portail validate`` without its cache about 3.05 -> 2.8 s."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _start_worker() -> None:
    """A forked worker collects its own garbage (a failed check makes
    cycles), but not the objects it inherited: frozen, they are never walked
    (nor their memory pages copied by touching them)."""
    gc.enable()
    gc.freeze()


def _validate_chunk(paths: list[Path], keep_items: bool, recorded: bool = False) -> list[tuple]:
    """Runs in a forked worker, which inherited the parent's validator."""
    assert _WORKER_VALIDATOR is not None
    if recorded:
        return [_WORKER_VALIDATOR._validate_recorded(path, keep_items) for path in paths]
    return [_WORKER_VALIDATOR._validate_one(path, keep_items) for path in paths]


@pickled_by_fields
@dataclass(slots=True)
class Item:
    """One validated content file."""

    type: str
    slug: str
    source: str  # posix path relative to the repository root
    data: dict  # normalised values by declared field name (absent fields are None / [])
    body: str
    body_line: int
    draft: bool
    title: str

    def get(self, name: str, default: object = None) -> object:
        value = self.data.get(name)
        return default if value is None else value


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Summary:
    """What the checks across files need from one item: small enough to be
    sent back cheaply from a worker process."""

    type: str
    slug: str
    source: str
    slug_position: tuple[int, int]
    references: tuple[tuple[FieldPath, Reference, tuple[int, int]], ...]


@dataclass
class ContentSet:
    """Everything the generators need: the declaration, items and problems."""

    declaration: Declaration
    items: list[Item] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files_read: int = 0
    files_cached: int = 0  # of files_read, those whose results came from a validation cache
    summaries: dict[str, Summary] = field(default_factory=dict, repr=False)  # by source: for refresh()
    _index: dict[tuple[str, str], Item] = field(default_factory=dict, repr=False)

    def of_type(self, name: str, *, drafts: bool = False) -> list[Item]:
        return [i for i in self.items if i.type == name and (drafts or not i.draft)]

    def find(self, type_name: str, slug: str) -> Item | None:
        if len(self._index) != len(self.items):
            self._index = {(i.type, i.slug): i for i in self.items}
        return self._index.get((type_name, slug))


def discover(declaration: Declaration) -> list[Path]:
    """Every content file under the declared folders, sorted.

    Folders and files whose name starts with "." or "_" are skipped, and so
    are README files; symbolic links to folders are not followed.
    """
    found: set[str] = set()
    for folder in declaration.folders():
        base = declaration.root / folder
        if not base.is_dir():
            continue
        for directory, subfolders, names in os.walk(base):
            subfolders[:] = [d for d in subfolders if not d.startswith((".", "_"))]
            for name in names:
                if name.endswith(".md") and not name.startswith((".", "_")) and name.casefold() not in IGNORED_NAMES:
                    found.add(os.path.join(directory, name))
    return [Path(path) for path in sorted(found, key=lambda path: path.split(os.sep))]


class Validator:
    """Validates files against a declaration; reusable across builds."""

    def __init__(self, declaration: Declaration, territories: TerritoryIndex | None = None) -> None:
        self.declaration = declaration
        self.territories = territories or TerritoryIndex.load()
        self.compiled: dict[str, CompiledType] = compile_declaration(declaration)

    def load(self, paths: list[Path] | None = None, *, keep_items: bool = True, cache: Path | None = None) -> ContentSet:
        """Validate every content file; keep the problems of ``paths`` only, if given.

        With ``keep_items=False`` (``portail validate``), only problems are
        wanted: typed items are dropped as soon as they are checked. Results
        are kept in the file ``cache``, if given, and taken from it for the
        files that did not change (validation_cache.py); with items, the
        build's cache file, without, ``portail validate``'s.
        """
        with _collector_paused():
            return self._load(paths, keep_items, cache)

    def _load(self, paths: list[Path] | None, keep_items: bool, cache: Path | None) -> ContentSet:
        content = ContentSet(self.declaration)
        files = discover(self.declaration)
        extra = [p for p in (paths or []) if p.is_file() and p.resolve() not in set(files)]
        summaries: list[Summary] = []
        every = files + [p.resolve() for p in extra]
        if cache is not None:
            results, content.files_cached = self._validate_cached(every, cache, keep_items)
        else:
            results = self._validate_all(every, keep_items)
        for item, summary, problems in results:
            content.files_read += 1
            content.problems.extend(problems)
            if summary is not None:
                summaries.append(summary)
                content.summaries[summary.source] = summary
            if item is not None:
                content.items.append(item)
        content.problems.extend(self.check_across_files(summaries))
        if paths:
            wanted = [_rel(p.resolve(), self.declaration.root) for p in paths]
            content.problems = [
                p for p in content.problems if any(p.file == w or p.file.startswith(w.rstrip("/") + "/") for w in wanted)
            ]
        content.problems = sort_problems(content.problems)
        return content

    def refresh(self, previous: ContentSet, paths: list[Path]) -> ContentSet:
        """``previous`` (a set without problems, from ``load``) after ``paths``,
        files it already holds, were edited: only they are read again, then the
        checks across files run over every file. Same result as ``load`` when
        no file was added or removed; a preview server's quick rebuild."""
        root = self.declaration.root
        fresh: dict[str, tuple[Item | None, Summary | None, list[Problem]]] = {}
        for path in paths:
            fresh[_rel(path.resolve(), root)] = self._validate_one(path.resolve(), True)
        content = ContentSet(self.declaration, files_read=previous.files_read)
        for item in previous.items:
            if item.source in fresh:
                continue
            content.items.append(item)
        content.summaries = dict(previous.summaries)
        for source, (item, summary, problems) in fresh.items():
            content.problems.extend(problems)
            content.summaries.pop(source, None)
            if summary is not None:
                content.summaries[source] = summary
            if item is not None:
                content.items.append(item)
        order = {source: index for index, source in enumerate(sorted(content.summaries, key=lambda s: tuple(s.split("/"))))}
        content.items.sort(key=lambda i: order.get(i.source, -1))
        content.problems.extend(self.check_across_files(list(content.summaries.values())))
        content.problems = sort_problems(content.problems)
        return content

    def _validate_cached(self, files: list[Path], cache: Path, keep_items: bool) -> tuple[list[tuple[Item | None, Summary | None, list[Problem]]], int]:
        """``_validate_all`` through the cache file ``cache``; and how many
        results came from it."""
        from .validation_cache import ValidationCache, cache_key

        key = cache_key(self.declaration.path.parent, self.declaration.root) + (b"items" if keep_items else b"")
        store = ValidationCache(cache, key)
        kept = {path: store.get(path) for path in files}
        todo = [path for path, found in kept.items() if found is None]
        for path, (result, own, own_digest, seen) in zip(todo, self._validate_all(todo, keep_items, recorded=True)):
            store.put(path, own, own_digest, seen, result)
            kept[path] = result
        store.keep_only(files)
        store.save()
        return [pickle.loads(kept[path]) for path in files], len(files) - len(todo)

    def _validate_all(self, files: list[Path], keep_items: bool, recorded: bool = False) -> Iterator[tuple]:
        """Each file on its own; on large trees, split over the machine's cores.
        With ``recorded``, each result is pickled, with the file's stamp and
        what its checks looked at (``_validate_recorded``).

        Workers are forked so they inherit the compiled models; results come
        back in file order, so the outcome does not depend on the split.
        """
        workers = min(os.cpu_count() or 1, 8)
        if len(files) < PARALLEL_THRESHOLD or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
            for path in files:
                yield self._validate_recorded(path, keep_items) if recorded else self._validate_one(path, keep_items)
            return
        global _WORKER_VALIDATOR
        _WORKER_VALIDATOR = self
        chunks = [files[i : i + CHUNK_FILES] for i in range(0, len(files), CHUNK_FILES)]
        try:
            with ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("fork"), initializer=_start_worker
            ) as pool:
                for results in pool.map(_validate_chunk, chunks, [keep_items] * len(chunks), [recorded] * len(chunks)):
                    yield from results
        finally:
            _WORKER_VALIDATOR = None

    def _validate_recorded(self, path: Path, keep_item: bool = False) -> tuple[bytes, object, bytes, list]:
        """``_validate_one``'s (item, summary, problems) pickled, as the cache
        keeps it (a worker's result then crosses to the parent as bytes, with
        no second pickling); the file's stamp (taken before reading it, None
        if it changed while read) and the digest of the bytes checked; and
        the stamps and digests of the files and folders its checks looked at
        (validation_cache.py)."""
        from .validation_cache import digest, fingerprints, stamp

        name, looked_at = str(path), []
        own = stamp(name)
        try:
            raw = path.read_bytes()
        except OSError:
            raw = None
        result = self._validate_one(path, keep_item, looked_at, raw=raw)
        if stamp(name) != own:
            own = None
        return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL), own, digest(raw or b""), fingerprints(looked_at)

    def validate_file(self, path: Path) -> tuple[Item | None, list[Problem]]:
        """One file on its own: its item (None if unreadable) and its problems."""
        item, _, problems = self._validate_one(path, True)
        return item, problems

    def _validate_one(
        self, path: Path, keep_item: bool, looked_at: list[str] | None = None, raw: bytes | None = None
    ) -> tuple[Item | None, Summary | None, list[Problem]]:
        entry = read_entry(path, self.declaration.root, raw)
        problems = list(entry.problems)
        if entry.data is None:
            return None, None, problems
        ctype = self.declaration.type_for(entry.rel)
        if ctype is None:
            problems.append(make_problem("unknown_type", file=entry.rel, folders=", ".join(self.declaration.folders())))
            return None, None, problems
        compiled = self.compiled[ctype.name]
        ctx = FieldContext(
            root=self.declaration.root, file_dir=path.parent, declaration=self.declaration, territories=self.territories,
            looked_at=looked_at,
        )
        values, errors = compiled.validate(entry.data, ctx)
        for error in errors:
            problems.append(self._problem_from_error(entry, compiled, error))
        if values is None:
            values = self._partial_values(entry, compiled, ctx, errors)
        problems.extend(self._check_rules(entry, ctype, values))
        problems.extend(check_entry_images(entry, iter_values_of_kind(ctype.fields, values, "image"), ctx))
        slug = str(values.get("slug") or slugify(path.stem))
        summary = Summary(
            type=ctype.name,
            slug=slug,
            source=entry.rel,
            slug_position=entry.position(("slug",)) if values.get("slug") else (1, 1),
            references=tuple((p, ref, entry.position(p)) for p, ref in iter_references(ctype.fields, values)),
        )
        if not keep_item:
            return None, summary, problems
        item = Item(
            type=ctype.name,
            slug=slug,
            source=entry.rel,
            data=values,
            body=entry.body,
            body_line=entry.body_line,
            draft=bool(values.get("brouillon")),
            title=str(values.get(ctype.title_field) or path.stem),
        )
        return item, summary, problems

    def _partial_values(self, entry: RawEntry, compiled: CompiledType, ctx: FieldContext, errors: list[dict]) -> dict:
        """Field-by-field values when the whole model failed, for later checks."""
        failed = {e["loc"][0] for e in errors if e.get("loc")}
        values: dict[str, object] = {}
        for name in compiled.ctype.fields:
            raw = (entry.data or {}).get(name)
            if name in failed or raw is None:
                values[name] = None
                continue
            values[name] = compiled.validate_field(name, raw, ctx)
        return values

    def _problem_from_error(self, entry: RawEntry, compiled: CompiledType, error: dict) -> Problem:
        loc: FieldPath = tuple(error.get("loc") or ())
        kind = error.get("type", "")
        params = dict(error.get("ctx") or {})
        path_text = format_path(loc)
        if kind == "missing":
            line, column = entry.position(loc[:-1]) if len(loc) > 1 else (1, 1)
            key = str(loc[-1])
            spec = self._spec_at(compiled.ctype, loc)
            hint = f"{spec.label} : {spec.help}" if spec and spec.help else (f"ajoutez la ligne « {key}: … »")
            return make_problem("missing_field", file=entry.rel, line=line, column=column, path=path_text, key=key, hint=hint)
        line, column = entry.position(loc)
        if kind == "extra_forbidden":
            key = str(loc[-1])
            known = compiled.known_keys(loc[:-1])
            title_fields = {t.title_field for t in self.declaration.types.values()}
            if len(loc) == 1 and key in title_fields and key != compiled.ctype.title_field:
                guess = compiled.ctype.title_field  # "titre" on an actor means its "nom"
            else:
                guess = closest_key(key, known)
            hint = f"vouliez-vous dire « {guess} » ?" if guess else "champs possibles : " + ", ".join(known)
            return make_problem("unknown_field", file=entry.rel, line=line, column=column, path=path_text, key=key, hint=hint)
        if kind in ("list_type", "model_type", "dict_type", "model_attributes_type"):
            expected = "une liste" if kind == "list_type" else "un groupe de champs"
            got = _describe_input(error.get("input"))
            return make_problem("wrong_type", file=entry.rel, line=line, column=column, path=path_text, expected=expected, got=got)
        if kind in _CATALOGUE_CODES:
            try:
                return make_problem(kind, file=entry.rel, line=line, column=column, path=path_text, **params)
            except (KeyError, IndexError):
                pass
        return make_problem("invalid_value", file=entry.rel, line=line, column=column, path=path_text, detail=error.get("msg", kind))

    @staticmethod
    def _spec_at(ctype: ContentType, loc: FieldPath) -> FieldSpec | None:
        fields = ctype.fields
        spec = None
        for part in loc:
            if isinstance(part, int):
                continue
            spec = fields.get(part)
            if spec is None:
                return None
            fields = (spec.item or spec).fields or {}
        return spec

    def _check_rules(self, entry: RawEntry, ctype: ContentType, values: dict) -> list[Problem]:
        problems: list[Problem] = []
        for name, spec in ctype.fields.items():
            if not spec.after:
                continue
            end, start = values.get(name), values.get(spec.after)
            if end is None or start is None or not _before(end, start):
                continue
            line, column = entry.position((name,))
            problems.append(
                make_problem(
                    "date_order", file=entry.rel, line=line, column=column, path=name,
                    key=name, value=str(end), other=spec.after, other_value=str(start),
                )
            )
        for path, raw in _raw_values_of_kind(ctype.fields, entry.data or {}, "image"):
            if isinstance(raw, str):
                raw = {"src": raw}
            if not isinstance(raw, dict) or str(raw.get("decoratif") or "").strip().casefold() in TRUE_WORDS:
                continue
            if not isinstance(raw.get("alt"), str) or not raw["alt"].strip():
                line, column = entry.position(path)
                problems.append(
                    make_problem("missing_alt", file=entry.rel, line=line, column=column, path=format_path(path), src=raw.get("src") or "?")
                )
        for rule in ctype.rules:
            if any(values.get(f) not in (None, []) for f in rule.at_least_one):
                continue
            if any(_condition_holds(values, condition) for condition in rule.unless):
                continue
            fields_text = " ou ".join(f"« {f} »" for f in rule.at_least_one)
            problems.append(make_problem("rule_one_of", file=entry.rel, path=rule.at_least_one[0], fields=fields_text))
        return problems

    def check_across_files(self, summaries: list[Summary]) -> list[Problem]:
        """Unique slugs per type, and every reference pointing at an item."""
        problems: list[Problem] = []
        seen: dict[tuple[str, str], Summary] = {}
        sharing: dict[tuple[str, str], list[Summary]] = {}
        for summary in sorted(summaries, key=lambda s: s.source):
            key = (summary.type, summary.slug)
            sharing.setdefault(key, []).append(summary)
            seen.setdefault(key, summary)
        for key, group in sharing.items():
            # Reported on every file involved: either may be the one to rename.
            for summary in group if len(group) > 1 else []:
                others = ", ".join(o.source for o in group if o is not summary)
                line, column = summary.slug_position
                problems.append(
                    make_problem(
                        "duplicate_slug", file=summary.source, line=line, column=column, path="slug",
                        slug=summary.slug, other=others,
                    )
                )
        for summary in summaries:
            if not SLUG_RE.fullmatch(summary.slug):  # a file name that makes no valid slug
                problems.append(
                    make_problem("invalid_slug", file=summary.source, path="slug", value=summary.slug, suggestion=slugify(summary.slug))
                )
        slugs_by_type: dict[str, list[str]] = {}
        for type_name, slug in seen:
            slugs_by_type.setdefault(type_name, []).append(slug)
        for summary in summaries:
            ctype = self.declaration.types[summary.type]
            for path, ref, (line, column) in summary.references:
                if (ref.type, ref.slug) in seen:
                    continue
                problems.append(
                    make_problem(
                        "unknown_reference", file=summary.source, line=line, column=column, path=format_path(path),
                        type=ref.type, value=ref.slug, hint=_reference_hint(ref, slugs_by_type.get(ref.type, []), path, ctype),
                    )
                )
        return problems


_CATALOGUE_CODES = frozenset(__import__("generators.problems", fromlist=["CATALOGUE"]).CATALOGUE)


def iter_values_of_kind(fields: dict[str, FieldSpec], data: dict, kind: str, prefix: FieldPath = ()) -> Iterator[tuple[FieldPath, object]]:
    """Every validated value of a field kind ("terme", "territoire"...) with its path."""
    for name, spec, target in _fields_holding(fields, kind):
        value = data.get(name)
        if value is None:
            continue
        if spec.item and isinstance(value, list):
            for index, element in enumerate(value):
                if element is None:
                    continue
                if target.kind == kind:
                    yield prefix + (name, index), element
                elif isinstance(element, dict):
                    yield from iter_values_of_kind(target.fields or {}, element, kind, prefix + (name, index))
        elif target.kind == kind:
            yield prefix + (name,), value
        elif isinstance(value, dict):
            yield from iter_values_of_kind(target.fields or {}, value, kind, prefix + (name,))


# (id of a fields mapping, kind) -> (the mapping, kept alive so its id stays
# its own, and its fields that hold that kind or objects that may): the
# indexes of a build ask this of every item, and most fields hold no such value.
_HOLDING: dict[tuple[int, str], tuple[dict, list[tuple[str, FieldSpec, FieldSpec]]]] = {}


def _fields_holding(fields: dict[str, FieldSpec], kind: str | tuple[str, ...]) -> list[tuple[str, FieldSpec, FieldSpec]]:
    cached = _HOLDING.get((id(fields), kind))
    if cached is not None and cached[0] is fields:
        return cached[1]
    kinds = (kind,) if isinstance(kind, str) else kind
    found = []
    for name, spec in fields.items():
        target = spec.item or spec
        if target.kind in kinds or (target.kind == "objet" and _holds(target.fields or {}, kinds)):
            found.append((name, spec, target))
    _HOLDING[(id(fields), kind)] = (fields, found)
    return found


def _holds(fields: dict[str, FieldSpec], kinds: tuple[str, ...]) -> bool:
    return any((s.item or s).kind in kinds or ((s.item or s).kind == "objet" and _holds((s.item or s).fields or {}, kinds)) for s in fields.values())


REFERENCE_KINDS = ("reference", "reference_ou_texte")


def iter_references(fields: dict[str, FieldSpec], data: dict, prefix: FieldPath = ()) -> Iterator[tuple[FieldPath, Reference]]:
    """Every reference value with its path, following the declaration."""
    for name, spec, _ in _fields_holding(fields, REFERENCE_KINDS):
        value = data.get(name)
        if value is None:
            continue
        yield from _references_in(spec, value, prefix + (name,))


def _references_in(spec: FieldSpec, value: object, path: FieldPath) -> Iterator[tuple[FieldPath, Reference]]:
    if spec.kind == "liste" and isinstance(value, list) and spec.item:
        for index, element in enumerate(value):
            if element is not None:
                yield from _references_in(spec.item, element, path + (index,))
    elif spec.kind == "objet" and isinstance(value, dict):
        yield from iter_references(spec.fields or {}, value, path)
    elif isinstance(value, Reference):
        yield path, value


def _raw_values_of_kind(fields: dict[str, FieldSpec], data: dict, kind: str, prefix: FieldPath = ()) -> Iterator[tuple[FieldPath, object]]:
    """Raw values of every field of ``kind``, with their paths, before typing."""
    if not isinstance(data, dict):
        return
    for name, spec, target in _fields_holding(fields, kind):
        value = data.get(name)
        if value is None:
            continue
        path = prefix + (name,)
        elements = enumerate(value) if spec.item and isinstance(value, list) else ((None, value),)
        for index, element in elements:
            here = path if index is None else path + (index,)
            if target.kind == kind:
                yield here, element
            elif isinstance(element, dict):
                yield from _raw_values_of_kind(target.fields or {}, element, kind, here)


def _reference_hint(ref: Reference, known: list[str], path: FieldPath, ctype: ContentType) -> str:
    guess = closest_key(ref.slug, known)
    if guess:
        return f"vouliez-vous dire « {guess} » ?"
    spec = Validator._spec_at(ctype, path)
    if spec and (spec.item or spec).kind == "reference_ou_texte":
        return "s'il ne figure pas dans l'annuaire, écrivez son nom en clair, avec majuscules et espaces"
    return f"vérifiez l'identifiant (nom du fichier sans « .md ») du contenu de type « {ref.type} »"


def _before(end: object, start: object) -> bool:
    """True if ``end`` is strictly before ``start`` at the precision both have."""
    if isinstance(end, DateTimeValue) and isinstance(start, DateTimeValue):
        if end.at is not None and start.at is not None:
            return end.start() < start.start()
        return end.day < start.day
    if isinstance(end, (PartialDate, DateTimeValue)) and isinstance(start, (PartialDate, DateTimeValue)):
        return end.last_day() < start.first_day()
    return False


def _condition_holds(values: dict, condition: str) -> bool:
    name, _, expected = condition.partition("=")
    value = values.get(name.strip())
    if not expected:
        return value not in (None, [])
    return str(value) == expected.strip()


def _describe_input(value: object) -> str:
    from .fields import describe

    return describe(value)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


__all__ = ["ContentSet", "Item", "Validator", "discover", "iter_references", "Name"]
