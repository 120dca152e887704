"""Search with Pagefind: what each item tells the index, the search page, and
the indexing run.

- ``search_metadata(item, ctype, declaration, territories, today)`` is pure:
  the filters, metadata, sort keys and weighted texts of one item page,
  derived from the declaration (every ``terme`` field is a filter named after
  its vocabulary, every territory gives its department and region), so a
  field or a vocabulary added to ``config/*.yml`` becomes a facet by itself.
  The template ``portail/components/search_meta.html`` only prints them as
  ``data-pagefind-*`` attributes.
- ``search_page(content)`` plans ``/recherche/``, the page with Pagefind's UI.
- ``index_site(site_dir)`` runs the Pagefind binary (PyPI ``pagefind_bin``)
  over a built site, writing ``pagefind/`` inside it. Only pages carrying
  ``data-pagefind-body`` are indexed: item pages and free pages, never the
  listings, term, territory or home pages. ``stabilise_bundle`` then makes
  the few files Pagefind writes in a random order deterministic.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import subprocess
import time
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .content import ContentSet, Item, iter_values_of_kind
from .declaration import ContentType, Declaration
from .formatting import date_fr
from .pages import PageSpec, listing_url
from .status import aid_status, event_is_past, project_status
from .territories import Territory, TerritoryIndex, TerritoryNotFound
from .values import DateTimeValue, Image, PartialDate

log = logging.getLogger("mkdocs.plugins.portail.search")

SEARCH_URL = "recherche/"
BUNDLE_DIR = "pagefind"

# Filter names that do not come from a vocabulary.
TYPE_FILTER = "Type de contenu"
REGION_FILTER = "Région"
DEPARTEMENT_FILTER = "Département"
STATUS_FILTER = "Statut"
YEAR_FILTER = "Année"

# Weights of the indexed title and summary (Pagefind's body text weighs 1).
TITLE_WEIGHT = 10
SUMMARY_WEIGHT = 5

# What Pagefind must not read inside an item's <article>. The search
# component carries the title and the summary with their weights, so the
# visible ones would count twice; breadcrumbs, field labels and the cards of
# related items are not the item's own text and would make it match the
# words of other items.
EXCLUDED_SELECTORS = (
    ".portail-item > .portail-breadcrumbs",
    ".portail-item > .portail-type",
    ".portail-item > h1",
    ".portail-item > .portail-lead",
    ".portail-panel > h2",
    ".portail-panel dt",
    ".portail-related",
    ".portail-chapters",
    ".portail-prevnext",
)

STATUS_LABELS = {
    "en projet": "En projet",
    "en cours": "En cours",
    "terminé": "Terminé",
    "ouvert": "Ouvert",
    "à venir": "À venir",
    "clos": "Clos",
    "passé": "Passé",
}


# -- what an item tells the index ---------------------------------------------


def search_metadata(item: Item, ctype: ContentType, declaration: Declaration, territories: TerritoryIndex, today: date) -> dict:
    """Filters, metadata, sort keys and weighted texts of an item page.

    Returns ``{"weighted": [(weight, text)], "filters": [(name, value)],
    "meta": [(name, value)], "sort": [(name, value)], "image": Image | None}``,
    every list without duplicates and in a stable order. Metadata keys in
    lower case (``title``, ``resume``, ``image_alt``...) are for scripts;
    capitalised ones are shown under a result as "Name : value".
    """
    summary = str(item.data.get("resume") or "")
    weighted = [(TITLE_WEIGHT, item.title)] + ([(SUMMARY_WEIGHT, summary)] if summary else [])

    places = _territories_of(item, ctype)
    status = item_status(item, today)
    when, when_label = _item_date(item, ctype)

    filters: list[tuple[str, str]] = [(TYPE_FILTER, ctype.label)]
    for _, term in iter_values_of_kind(ctype.fields, item.data, "terme"):
        vocabulary = declaration.vocabularies.get(term.vocabulary)
        filters.append((vocabulary.label if vocabulary else term.vocabulary, term.label))
    regions, departements = _regions_and_departements(places, territories)
    filters += [(REGION_FILTER, region.name) for region in regions]
    filters += [(DEPARTEMENT_FILTER, departement.label) for departement in departements]
    if status:
        filters.append((STATUS_FILTER, STATUS_LABELS.get(status, status)))
    if when is not None:
        filters.append((YEAR_FILTER, str(when.first_day().year)))

    image = item.data.get("image") or item.data.get("logo")
    image = image if isinstance(image, Image) else None
    meta: list[tuple[str, str]] = [("title", item.title), ("Type", ctype.label)]
    if summary:
        meta.append(("resume", summary))
    if places:
        meta.append(("Territoires" if len(places) > 1 else "Territoire", ", ".join(p.name for p in places)))
    if when is not None:
        meta.append((when_label, date_fr(when)))
    if status:
        meta.append(("Statut", STATUS_LABELS.get(status, status)))
    if image is not None:
        meta.append(("image_alt", image.alt or item.title))

    sort = [("date", when.first_day().isoformat())] if when is not None else []
    return {
        "weighted": weighted,
        "filters": _unique(filters),
        "meta": _unique(meta),
        "sort": sort,
        "image": image,
    }


def item_status(item: Item, today: date) -> str | None:
    """The status a reader filters on: a sheet's stage, an aid's window, an event's past."""
    if item.type == "fiche":
        return project_status(item, today)
    if item.type == "dispositif":
        return aid_status(item, today)
    if item.type == "evenement":
        return "passé" if event_is_past(item, today) else "à venir"
    return None


def _territories_of(item: Item, ctype: ContentType) -> list[Territory]:
    """Every territory named by the item (lists, places, addresses), in field order."""
    found: dict[tuple[str, str], Territory] = {}
    for _, place in iter_values_of_kind(ctype.fields, item.data, "territoire"):
        found.setdefault((place.level, place.code), place)
    return list(found.values())


def _regions_and_departements(places: list[Territory], territories: TerritoryIndex) -> tuple[list[Territory], list[Territory]]:
    """The regions and departments the places lie in (a commune counts in both), sorted by code."""
    regions: dict[str, Territory] = {}
    departements: dict[str, Territory] = {}
    for place in places:
        region_code = place.code if place.level == "region" else place.region
        departement_code = place.code if place.level == "departement" else place.departement
        try:
            if region_code:
                regions.setdefault(region_code, territories.region(region_code))
            if departement_code and place.level != "region":
                departements.setdefault(departement_code, territories.departement(departement_code))
        except TerritoryNotFound:  # a code the COG no longer has: no facet rather than a crash
            continue
    return [regions[c] for c in sorted(regions)], [departements[c] for c in sorted(departements)]


def _item_date(item: Item, ctype: ContentType) -> tuple[PartialDate | DateTimeValue | None, str]:
    """The date a reader sorts by (``date``, else ``date_debut``) and its declared label."""
    for name in ("date", "date_debut"):
        value = item.data.get(name)
        if isinstance(value, (PartialDate, DateTimeValue)):
            spec = ctype.fields.get(name)
            return value, (spec.label if spec and spec.label else "Date")
    return None, ""


def _unique(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((pagefind_key(name), value) for name, value in pairs if value))


def pagefind_key(name: str) -> str:
    """A filter, metadata or sort name Pagefind reads back as written.

    Pagefind takes the name in ``data-pagefind-filter="Nom[data-value]"``
    literally (no entity decoding) and splits the attribute on commas and
    brackets: those characters, and the ones HTML would need escaped in an
    attribute, are replaced, and so is ":", which separates a filter's name
    from its value in the search page's address (``filtre=Nom:valeur``).
    Values have no such limits (they are read from ``data-value``, which
    Pagefind decodes).
    """
    for bad, good in (("&", "et"), ('"', "’"), ("<", ""), (">", ""), ("[", "("), ("]", ")"), (",", " "), (":", " ")):
        name = name.replace(bad, good)
    return " ".join(name.split())


# -- a listing's own filters ------------------------------------------------------

# Filters shown first on a listing; vocabularies follow, by name.
LISTING_FACET_ORDER = (STATUS_FILTER, REGION_FILTER, DEPARTEMENT_FILTER, YEAR_FILTER)


def listing_facets(metadata: list[dict]) -> list[dict]:
    """The filters a listing can be narrowed by, from its items' search metadata.

    ``metadata`` holds what ``search_metadata`` gave for each item of the
    listing. Returns ``[{"name": filter, "values": [[value, count], ...]}]``
    for every filter (the content type aside) that splits the items, that is
    has at least two values; values in French reading order, years newest
    first. search.js turns them into selects that narrow the listing through
    Pagefind with the same names and values as the search page.
    """
    counts: dict[str, dict[str, int]] = {}
    for entry in metadata:
        for name, value in entry["filters"]:
            if name != TYPE_FILTER:
                values = counts.setdefault(name, {})
                values[value] = values.get(value, 0) + 1
    facets = []
    for name, values in counts.items():
        if len(values) < 2:
            continue
        if name == YEAR_FILTER:
            ordered = sorted(values.items(), reverse=True)
        else:
            ordered = sorted(values.items(), key=lambda v: (_sort_text(v[0]), v[0]))
        facets.append({"name": name, "values": [[value, count] for value, count in ordered]})
    rank = {name: number for number, name in enumerate(LISTING_FACET_ORDER)}
    facets.sort(key=lambda f: (rank.get(f["name"], len(rank)), _sort_text(f["name"])))
    return facets


# -- the search page ----------------------------------------------------------


def search_page(content: ContentSet) -> PageSpec:
    """/recherche/: Pagefind's UI in French, with links to browse without JavaScript."""
    declaration = content.declaration
    sections = [
        {"label": ctype.label_plural, "url": listing_url(ctype)}
        for ctype in declaration.types.values()
        if "{chemin}" not in ctype.url and content.of_type(ctype.name)
    ]
    return PageSpec(
        src_uri="recherche.md",
        url=SEARCH_URL,
        title="Recherche",
        template="portail/recherche.html",
        context={
            "sections": sections,
            "open_filters": [TYPE_FILTER],
        },
        in_nav=True,
        description="Rechercher dans les initiatives, l'agenda, les ressources, les actualités, l'annuaire et les aides, avec des filtres.",
    )


# -- indexing -----------------------------------------------------------------


class SearchIndexError(Exception):
    """Pagefind could not index the site; the message is in French."""


@dataclass(frozen=True, slots=True)
class IndexReport:
    pages: int
    seconds: float
    bytes: int


def pagefind_executable() -> Path:
    """The Pagefind binary shipped by the ``pagefind_bin`` package."""
    try:
        from pagefind_bin import get_executable
    except ImportError:
        raise SearchIndexError("le paquet pagefind_bin n'est pas installé (make build l'installe)") from None
    try:
        return Path(get_executable())
    except FileNotFoundError as error:
        raise SearchIndexError(f"exécutable Pagefind introuvable ({error})") from None


# Where Pagefind starts reading a page: mkdocs-material's content column,
# which holds every data-pagefind-body <article>. It then skips the header,
# the navigation and the footer of every page instead of parsing them and
# finding nothing to index: at 10,000 sheets, 4 s of its 45 s and 10 s of its
# CPU time. The index is the same, byte for byte
# (tests/test_search.py::test_the_root_selector_changes_nothing_in_the_index).
ROOT_SELECTOR = "article.md-content__inner"


def pagefind_command(site_dir: Path, root_selector: str | None = ROOT_SELECTOR, output_path: Path | None = None) -> list[str]:
    """Pagefind's command line for ``site_dir``: the bundle goes to its
    ``pagefind/``, or to ``output_path`` (search_parts.py)."""
    output = ["--output-path", str(output_path)] if output_path is not None else ["--output-subdir", BUNDLE_DIR]
    command = [str(pagefind_executable()), "--site", str(site_dir), *output, "--quiet"]
    if root_selector:
        command += ["--root-selector", root_selector]
    for selector in EXCLUDED_SELECTORS:
        command += ["--exclude-selectors", selector]
    return command


def index_site(site_dir: Path, root_selector: str | None = ROOT_SELECTOR) -> IndexReport:
    """Index the built site in ``site_dir`` into ``site_dir/pagefind/``."""
    return Indexing(site_dir, root_selector).finish()


class Indexing:
    """Pagefind running over ``site_dir`` in the background: the build writes
    its feeds and exports meanwhile (Pagefind reads only the HTML pages, all
    written before it starts, and uses little more than one core).
    ``finish()`` waits for it; ``cancel()`` stops it."""

    def __init__(self, site_dir: Path, root_selector: str | None = ROOT_SELECTOR) -> None:
        self.site_dir = Path(site_dir).resolve()
        self.started = time.perf_counter()
        try:
            self.process = subprocess.Popen(
                pagefind_command(self.site_dir, root_selector), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        except OSError as error:
            raise SearchIndexError(f"Pagefind n'a pas pu être lancé ({error})") from None

    def finish(self) -> IndexReport:
        output, _ = self.process.communicate()
        seconds = time.perf_counter() - self.started
        output = (output or "").strip()
        if self.process.returncode != 0:
            raise SearchIndexError(f"Pagefind a échoué (code {self.process.returncode}) : {output[-2000:]}")
        bundle = self.site_dir / BUNDLE_DIR
        stabilise_bundle(bundle)
        pages = indexed_page_count(bundle)
        size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file())
        log.info("Recherche : %d pages indexées par Pagefind en %s s", pages, f"{seconds:.1f}".replace(".", ","))
        return IndexReport(pages=pages, seconds=seconds, bytes=size)

    def cancel(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()


def indexed_page_count(bundle: Path) -> int:
    """Pages in a Pagefind bundle, from its ``pagefind-entry.json``."""
    try:
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SearchIndexError(f"Pagefind n'a pas écrit d'index dans {bundle}") from None
    return sum(int(language.get("page_count", 0)) for language in entry.get("languages", {}).values())


# -- the same site, the same index --------------------------------------------
#
# Pagefind writes its filter indexes from hash maps (its issue #638): the same
# site gives, at each run, filter files whose values come in another order and
# so under other names, and another metadata file. The files are gzip'd CBOR
# behind a signature; stabilise_bundle() rewrites those few files with sorted
# values and names derived from their content. If a Pagefind version writes
# something this code does not read back byte for byte, it leaves the bundle
# as it is: a working index matters more than a stable one.

_SIGNATURE = b"pagefind_dcd"


def stabilise_bundle(bundle: Path) -> bool:
    """Make the filter files and the metadata index of a bundle deterministic; True if done."""
    entry_path = bundle / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    planned: list[tuple[Path, bytes]] = []
    obsolete: list[Path] = []
    languages = entry.get("languages", {})
    for language in sorted(languages):
        meta_path = bundle / f"pagefind.{languages[language]['hash']}.pf_meta"
        meta = _read_packed(meta_path)
        if not (isinstance(meta, list) and len(meta) >= 5 and isinstance(meta[3], list) and isinstance(meta[4], list)):
            return False
        filters = []
        taken: set[str] = set()
        for pair in meta[3]:
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
                return False
            name, old_hash = pair
            path = bundle / "filter" / f"{old_hash}.pf_filter"
            index = _read_packed(path)
            if not (isinstance(index, list) and len(index) == 2 and isinstance(index[1], list)):
                return False
            index[1] = sorted(([value, sorted(pages)] for value, pages in index[1]), key=lambda v: (_sort_text(v[0]), v[0]))
            data = _cbor_encode(index)
            new_hash = _short_hash(language, data, 7, taken)
            planned.append((bundle / "filter" / f"{new_hash}.pf_filter", data))
            obsolete.append(path)
            filters.append([name, new_hash])
        meta[3] = sorted(filters, key=lambda f: (_sort_text(f[0]), f[0]))
        meta[4] = sorted(meta[4], key=lambda sort: str(sort[0]))
        data = _cbor_encode(meta)
        meta_hash = _short_hash(language, data, 10, set())
        planned.append((bundle / f"pagefind.{meta_hash}.pf_meta", data))
        obsolete.append(meta_path)
        languages[language]["hash"] = meta_hash
    for path in obsolete:
        path.unlink(missing_ok=True)
    for path, data in planned:
        _write_packed(path, data)
    entry["languages"] = {language: languages[language] for language in sorted(languages)}
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return True


def bundle_sorts(bundle: Path) -> tuple[dict[str, list[int]], int] | None:
    """The sort lists of a one-language bundle (page numbers in Pagefind's
    order, per sort key) and its page count; None if not one this code reads."""
    try:
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    languages = entry.get("languages", {})
    if len(languages) != 1:
        return None
    meta = _read_packed(bundle / f"pagefind.{next(iter(languages.values()))['hash']}.pf_meta")
    if not (isinstance(meta, list) and len(meta) >= 5 and isinstance(meta[1], list) and isinstance(meta[4], list)):
        return None
    sorts = {}
    for pair in meta[4]:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str) and isinstance(pair[1], list)):
            return None
        sorts[pair[0]] = pair[1]
    return sorts, len(meta[1])


def replace_sorts(bundle: Path, sorts: dict[str, list[int]]) -> None:
    """Give a bundle read by ``bundle_sorts`` these sort lists. Its metadata
    file and entry are written as new files (a bundle linked from a cache
    keeps its own)."""
    entry_path = bundle / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    (language, details), = entry["languages"].items()
    meta_path = bundle / f"pagefind.{details['hash']}.pf_meta"
    meta = _read_packed(meta_path)
    assert isinstance(meta, list)
    meta[4] = [[key, sorts.get(key, pages)] for key, pages in meta[4]]
    data = _cbor_encode(meta)
    details["hash"] = _short_hash(language, data, 10, set())
    meta_path.unlink()
    _write_packed(bundle / f"pagefind.{details['hash']}.pf_meta", data)
    entry_path.unlink()
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _read_packed(path: Path) -> object:
    """A Pagefind CBOR file, or None if it is not one this code reads back exactly."""
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, gzip.BadGzipFile):
        return None
    if not raw.startswith(_SIGNATURE):
        return None
    data = raw[len(_SIGNATURE):]
    try:
        value, end = _cbor_decode(data, 0)
    except (ValueError, IndexError, UnicodeDecodeError):
        return None
    if end != len(data) or _cbor_encode(value) != data:
        return None
    return value


def _write_packed(path: Path, data: bytes) -> None:
    """Write CBOR ``data`` as Pagefind packs it (behind its signature, gzip'd)."""
    path.write_bytes(gzip.compress(_SIGNATURE + data, compresslevel=9, mtime=0))


def _short_hash(language: str, data: bytes, length: int, taken: set[str]) -> str:
    digest = hashlib.sha256(data).hexdigest()
    while f"{language}_{digest[:length]}" in taken:
        length += 1
    name = f"{language}_{digest[:length]}"
    taken.add(name)
    return name


def _sort_text(text: object) -> str:
    """French reading order: "Écoconception" among the E's."""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# The CBOR subset Pagefind writes: integers, byte and text strings, arrays.


def _cbor_decode(data: bytes, at: int) -> tuple[object, int]:
    head = data[at]
    major, info = head >> 5, head & 31
    at += 1
    if info < 24:
        number = info
    elif info in (24, 25, 26, 27):
        size = 1 << (info - 24)
        number = int.from_bytes(data[at : at + size], "big")
        at += size
    else:
        raise ValueError(f"CBOR non pris en charge (octet {head:#x})")
    if major == 0:
        return number, at
    if major == 1:
        return -1 - number, at
    if major == 2:
        return bytes(data[at : at + number]), at + number
    if major == 3:
        return data[at : at + number].decode("utf-8"), at + number
    if major == 4:
        items = []
        for _ in range(number):
            item, at = _cbor_decode(data, at)
            items.append(item)
        return items, at
    raise ValueError(f"CBOR non pris en charge (type {major})")


def _cbor_head(major: int, number: int) -> bytes:
    if number < 24:
        return bytes([major << 5 | number])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if number < 1 << (8 * size):
            return bytes([major << 5 | info]) + number.to_bytes(size, "big")
    raise ValueError("entier trop grand pour CBOR")


def _cbor_encode(value: object) -> bytes:
    if isinstance(value, bool) or value is None:
        raise ValueError("CBOR non pris en charge")
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        encoded = value.encode("utf-8")
        return _cbor_head(3, len(encoded)) + encoded
    if isinstance(value, list):
        return _cbor_head(4, len(value)) + b"".join(_cbor_encode(item) for item in value)
    raise ValueError(f"CBOR non pris en charge ({type(value).__name__})")
