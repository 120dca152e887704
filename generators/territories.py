"""French territories (regions, departments, communes) from the official COG.

Content editors name territories in YAML the way they would write them by
hand: ``Hauts-de-France``, ``Région Ile de France``, ``80``, ``2A``,
``saint etienne``, ``Saint-Denis (93)``, ``80021``. :class:`TerritoryIndex`
turns such text into a :class:`Territory` carrying the official code and
name, or raises an error that carries what is needed to help the editor:
suggestions (:class:`TerritoryNotFound`) or the list of homonyms
(:class:`TerritoryAmbiguous`).

The data lives in ``generators/data/cog`` (see its ``SOURCE.md``) and is
refreshed with ``python scripts/refresh_cog.py``.

Resolution rules of :meth:`TerritoryIndex.resolve`:

1. Surrounding spaces are ignored. A leading ``Région``, ``Département`` or
   ``Commune`` word (any case, with or without accents, optionally followed
   by ``:``) is dropped and restricts the search to that level; an article
   after it (``Département de la Somme``) is dropped when needed.
2. A 5-character code (digits, or ``2A``/``2B`` and 3 digits) is a commune
   INSEE code. A 4-digit number is taken as a commune code that lost its
   leading zero (YAML reads ``01001`` as the number 1001).
3. A 1- to 3-character code (``80``, ``01``, ``2A``, ``971``) is a department
   code; ``1``-``9`` stand for ``01``-``09``. After ``Région``, such a code
   is a region code instead (``Région 32``).
4. Anything else is a name, compared ignoring case, accents, ligatures
   (``œ``) and the difference between hyphens, apostrophes and spaces, and
   with ``St``/``Ste`` read as ``Saint``/``Sainte``. Regions are searched
   first, then departments, then communes: a region or department name wins
   over a commune of the same name. So ``Paris`` is the department 75 (use
   ``Commune Paris`` or the code ``75056`` for the commune), ``Vienne`` the
   department 86 (``Vienne (38)`` is the commune), and ``Guadeloupe`` the
   region 01 (``Département Guadeloupe`` or ``971`` is the department).
5. ``Name (NN)``, a name followed by a department code in parentheses,
   picks the commune of that name in that department, or else the
   department itself when ``Name`` is its name. Labels therefore resolve
   back to their territory (``resolve(t.label) == t``), except the
   departments named like one of their communes: ``Paris (75)``,
   ``Corrèze (19)``, ``Doubs (25)`` and ``Mayenne (53)`` are the communes
   (write ``Département Paris`` or ``75`` for the department).
6. A commune name shared by several communes raises
   :class:`TerritoryAmbiguous` listing all of them.
7. No match raises :class:`TerritoryNotFound` with up to three suggestions,
   formatted as labels (``Amiens (80)``): for a region that no longer exists
   (``Picardie``) or a region's usual abbreviation (``PACA``), the current
   region; otherwise the closest names.

Loading takes under a tenth of a second and is memoised per data folder;
resolving a name or code is a dictionary lookup. Only the error path runs a
fuzzy search (:mod:`difflib`), restricted to names of a compatible length.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import json
import math
import operator
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .values import pickled_by_fields

__all__ = ["Territory", "TerritoryAmbiguous", "TerritoryIndex", "TerritoryNotFound"]

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data" / "cog"

REGION = "region"
DEPARTEMENT = "departement"
COMMUNE = "commune"
_LEVEL_RANK = {REGION: 0, DEPARTEMENT: 1, COMMUNE: 2}

_SUGGESTIONS = 3
_CUTOFF = 0.75

# Common abbreviations of current regions. Like the names of former regions
# (anciennes_regions.json), they are not resolved but suggest the region.
_REGION_ABBREVIATIONS = {"PACA": "93", "IDF": "11", "AURA": "84", "BFC": "27", "HDF": "32"}


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Territory:
    """A region, a department or a commune, identified by its COG code."""

    level: str
    """``"region"``, ``"departement"`` or ``"commune"``."""
    code: str
    """COG code: ``"32"`` (region), ``"80"``, ``"2A"``, ``"971"`` (department), ``"80021"`` (commune)."""
    name: str
    """Official name, e.g. ``"Hauts-de-France"``, ``"Somme"``, ``"Amiens"``."""
    departement: str | None
    """Department code, for a commune or a department; ``None`` for a region."""
    region: str | None
    """Region code (a region's own code for a region); ``None`` only if unknown."""
    lat: float | None = None
    """Latitude of the commune centre, when the data has it."""
    lon: float | None = None
    """Longitude of the commune centre, when the data has it."""

    @property
    def label(self) -> str:
        """Human label: ``"Amiens (80)"``, ``"Somme (80)"``, ``"Hauts-de-France"``."""
        if self.level == REGION:
            return self.name
        if self.level == DEPARTEMENT:
            return f"{self.name} ({self.code})"
        return f"{self.name} ({self.departement})"


class TerritoryNotFound(LookupError):
    """No territory matches the text.

    ``query`` is the text as given; ``suggestions`` holds up to three labels
    of likely intended territories, best first (empty when nothing is close).
    """

    def __init__(self, query: str, suggestions: Iterable[str] = ()) -> None:
        self.query = query
        self.suggestions: list[str] = list(suggestions)
        message = f"unknown territory {query!r}"
        if self.suggestions:
            message += "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        super().__init__(message)


class TerritoryAmbiguous(LookupError):
    """The text names several communes.

    ``query`` is the text as given; ``candidates`` lists every matching
    territory, sorted by code. Writing ``Name (NN)`` picks one.
    """

    def __init__(self, query: str, candidates: Iterable[Territory]) -> None:
        self.query = query
        self.candidates: list[Territory] = sorted(candidates, key=lambda t: t.code)
        labels = ", ".join(t.label for t in self.candidates)
        super().__init__(f"ambiguous territory {query!r}: {labels}")


# --- Normalisation ---------------------------------------------------------

_COMBINING = re.compile(r"[\u0300-\u036f]+")
_SEPARATORS = re.compile(r"[\W_]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}
# Batch versions of the above, for names joined with "\n" (see _normalize_many).
_SEPARATORS_MANY = re.compile(r"(?:[^\w\n]|_)+")
_SEPARATORS_MANY_ASCII = re.compile(r"[^A-Za-z0-9\n]+")

_LEVEL_WORDS = {"region": REGION, "departement": DEPARTEMENT, "commune": COMMUNE}
_LEVEL_PREFIX = re.compile(r"(\w+)\s*(?::\s*|\s+)(\S.*)", re.DOTALL)
_ARTICLE = re.compile(r"(?:de\s+la|du|des|de)\s+|(?:de\s+l|d)\s*['’]\s*", re.IGNORECASE)
_COMMUNE_CODE = re.compile(r"\d{5}|2[AB]\d{3}")
_SHORT_COMMUNE_CODE = re.compile(r"\d{4}")
_DEPARTEMENT_CODE = re.compile(r"\d{1,3}|2[AB]")
_NAME_WITH_CODE = re.compile(r"(.*?\S)\s*\(\s*(\d{1,3}|2[ABab])\s*\)")


def _normalize(text: str) -> str:
    """Return the comparison key of a name.

    Case, accents and ligatures are ignored, every run of non-alphanumeric
    characters becomes a single space, and ``st``/``ste`` become
    ``saint``/``sainte``: ``"St-Étienne"`` -> ``"saint etienne"``.
    """
    text = unicodedata.normalize("NFKD", _unligature(text.casefold()))
    words = _SEPARATORS.split(_COMBINING.sub("", text))
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words if word)


def _normalize_many(names: list[str]) -> list[str]:
    """``[_normalize(name) for name in names]``, several times faster.

    The names (which must not contain newlines) are processed as one text,
    so that every step runs once in C instead of once per name.
    """
    if not names:
        return []
    text = unicodedata.normalize("NFKD", _unligature("\n".join(names).casefold()))
    text = _COMBINING.sub("", text)
    separators = _SEPARATORS_MANY_ASCII if text.isascii() else _SEPARATORS_MANY
    text = separators.sub(" ", text).replace(" \n", "\n").replace("\n ", "\n").strip(" ")
    # Surround every word with spaces to replace whole words with str.replace.
    padded = " " + text.replace("\n", " \n ") + " "
    for short, full in _ABBREVIATIONS.items():
        while f" {short} " in padded:
            padded = padded.replace(f" {short} ", f" {full} ")
    return padded[1:-1].replace(" \n ", "\n").split("\n")


def _unligature(text: str) -> str:
    """Spell out the ligatures of French: ``œ`` -> ``oe``, ``æ`` -> ``ae``."""
    return text.replace("œ", "oe").replace("æ", "ae")


def _departement_code(code: str) -> str:
    """Canonical form of a department code: ``"1"`` -> ``"01"``, ``"2a"`` -> ``"2A"``."""
    code = code.strip().upper()
    return code.zfill(2) if code.isdigit() else code


# --- Index -----------------------------------------------------------------

# A commune as read from communes.csv: code, name, department, region, then
# optionally lat and lon. Territory objects are only built for the communes
# that are looked up, which keeps load() fast.
_CommuneRow = Sequence[str]
# Fuzzy-search index: (length, position, letter) -> normalised names.
_Buckets = dict[tuple[int, int, str], list[str]]


class TerritoryIndex:
    """Regions, departments and communes with name and code lookups.

    Build it with :meth:`load`; the instance is shared and must be treated
    as read-only. Every lookup raises :class:`TerritoryNotFound` on an
    unknown code or name.
    """

    def __init__(
        self,
        regions: Iterable[Territory],
        departements: Iterable[Territory],
        communes: Iterable[_CommuneRow],
        former_regions: Mapping[str, str] | None = None,
    ) -> None:
        """Index the data (use :meth:`load` rather than calling this directly).

        *communes* are rows ``(code, name, departement, region[, lat, lon])``;
        *former_regions* maps names of regions abolished in 2016 to the code
        of the current region.
        """
        self._regions = {t.code: t for t in sorted(regions, key=lambda t: t.code)}
        self._departements = {t.code: t for t in sorted(departements, key=lambda t: t.code)}
        rows = sorted(communes, key=operator.itemgetter(0))
        self._commune_rows: dict[str, _CommuneRow] = {row[0]: row for row in rows}
        self._commune_cache: dict[str, Territory] = {}

        self._region_names = _by_name(self._regions.values())
        self._departement_names = _by_name(self._departements.values())
        commune_names: dict[str, list[str]] = {}
        for key, row in zip(_normalize_many([row[1] for row in rows]), rows, strict=True):
            codes = commune_names.get(key)
            if codes is None:
                commune_names[key] = [row[0]]
            else:
                codes.append(row[0])
        self._commune_names = commune_names  # key -> commune codes, sorted
        # Former region names and abbreviations -> the current region to suggest.
        self._region_hints = {
            _normalize(name): self._regions[code]
            for name, code in {**_REGION_ABBREVIATIONS, **(former_regions or {})}.items()
            if code in self._regions
        }
        self._by_region: dict[str, list[Territory]] = {code: [] for code in self._regions}
        for departement in self._departements.values():
            if departement.region in self._by_region:
                self._by_region[departement.region].append(departement)
        # Built on the first failed lookup: key -> [(level, code)], and its buckets.
        self._pool: dict[str, list[tuple[str, str]]] | None = None
        self._pool_buckets: _Buckets = {}

    # -- construction --------------------------------------------------------

    @classmethod
    def load(cls, data_dir: Path | None = None) -> TerritoryIndex:
        """Load the index from *data_dir* (default: ``generators/data/cog``).

        The result is memoised per folder: later calls return the same object.
        """
        folder = (Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR).resolve()
        index = _LOADED.get((cls, folder))
        if index is None:
            index = _LOADED.setdefault((cls, folder), cls._read(folder))
        return index

    @classmethod
    def _read(cls, data_dir: Path) -> TerritoryIndex:
        """Read the COG files of *data_dir* (uncached)."""
        if not (data_dir / "regions.json").is_file():
            raise FileNotFoundError(
                f"no COG data in {data_dir}; run `python scripts/refresh_cog.py` to create it"
            )
        regions = [
            Territory(REGION, r["code"], r["nom"], None, r["code"])
            for r in _read_json(data_dir / "regions.json")
        ]
        departements = [
            Territory(DEPARTEMENT, d["code"], d["nom"], d["code"], d.get("region") or None)
            for d in _read_json(data_dir / "departements.json")
        ]
        former_path = data_dir / "anciennes_regions.json"
        former = _read_json(former_path) if former_path.is_file() else {}
        return cls(regions, departements, _read_communes(data_dir), former)

    # -- lookups by code ---------------------------------------------------------

    def region(self, code: str) -> Territory:
        """Return the region of INSEE code *code* (``"32"``)."""
        found = self._regions.get(_departement_code(str(code)))
        if found is None:
            raise TerritoryNotFound(str(code))
        return found

    def departement(self, code: str) -> Territory:
        """Return the department of code *code* (``"80"``, ``"2A"``, ``"971"``; ``"1"`` is ``"01"``)."""
        found = self._departements.get(_departement_code(str(code)))
        if found is None:
            raise TerritoryNotFound(str(code), self._code_suggestions(str(code)))
        return found

    def commune(self, code: str) -> Territory:
        """Return the commune of INSEE code *code* (``"80021"``, ``"2A004"``)."""
        found = self._commune(str(code).strip().upper())
        if found is None:
            raise TerritoryNotFound(str(code))
        return found

    def regions(self) -> list[Territory]:
        """All current regions, sorted by code."""
        return list(self._regions.values())

    def departements(self) -> list[Territory]:
        """All departments, sorted by code (as strings: ``29``, ``2A``, ``2B``, ``30``)."""
        return list(self._departements.values())

    def departements_of(self, region_code: str) -> list[Territory]:
        """The departments of the region *region_code*, sorted by code."""
        return list(self._by_region[self.region(region_code).code])

    def _commune(self, code: str) -> Territory | None:
        """The commune of code *code*, built on first use; ``None`` if unknown."""
        found = self._commune_cache.get(code)
        if found is None:
            row = self._commune_rows.get(code)
            if row is None:
                return None
            lat = float(row[4]) if len(row) > 4 and row[4] else None
            lon = float(row[5]) if len(row) > 5 and row[5] else None
            found = Territory(COMMUNE, row[0], row[1], row[2] or None, row[3] or None, lat, lon)
            self._commune_cache[code] = found
        return found

    def _communes_named(self, key: str) -> list[Territory]:
        """The communes whose normalised name is *key*, sorted by code."""
        return [self._commune(code) for code in self._commune_names.get(key, ())]  # type: ignore[misc]

    # -- resolution --------------------------------------------------------------

    def resolve(self, text: str) -> Territory:
        """Return the territory that *text* designates (see the module docstring for the rules).

        Raises :class:`TerritoryNotFound` or :class:`TerritoryAmbiguous`.
        """
        query = text
        if isinstance(text, int) and not isinstance(text, bool):  # a bare number read from YAML
            text = query = str(text)
        if not isinstance(text, str):
            raise TypeError(f"territory must be text, not {type(text).__name__}")
        text = text.strip()
        level: str | None = None
        match = _LEVEL_PREFIX.fullmatch(text)
        if match and _normalize(match[1]) in _LEVEL_WORDS:
            level, text = _LEVEL_WORDS[_normalize(match[1])], match[2].strip()
        if not text:
            raise TerritoryNotFound(query)

        compact = text.replace(" ", "").upper()
        if _COMMUNE_CODE.fullmatch(compact) or _SHORT_COMMUNE_CODE.fullmatch(compact):
            return self._by_commune_code(query, compact.zfill(5), level)
        if _DEPARTEMENT_CODE.fullmatch(compact):
            return self._by_short_code(query, _departement_code(compact), level)

        names = [text]
        if level is not None:
            stripped = _ARTICLE.sub("", text, count=1) if _ARTICLE.match(text) else text
            if stripped and stripped != text:
                names.append(stripped)
        for name in names:
            found = self._by_name(query, name, level)
            if found is not None:
                return found
        raise TerritoryNotFound(query, self._suggest(_normalize(names[-1]), level))

    def _by_commune_code(self, query: str, code: str, level: str | None) -> Territory:
        """Resolve a commune INSEE code."""
        found = self._commune(code) if level in (None, COMMUNE) else None
        if found is None:
            raise TerritoryNotFound(query)
        return found

    def _by_short_code(self, query: str, code: str, level: str | None) -> Territory:
        """Resolve a department code, or a region code after ``Région``."""
        if level == REGION:
            found = self._regions.get(code)
        elif level in (None, DEPARTEMENT):
            found = self._departements.get(code)
        else:
            found = None
        if found is None:
            raise TerritoryNotFound(query, self._code_suggestions(code))
        return found

    def _by_name(self, query: str, text: str, level: str | None) -> Territory | None:
        """Resolve a name, possibly followed by ``(NN)``; ``None`` when nothing matches."""
        match = _NAME_WITH_CODE.fullmatch(text)
        if match and level != REGION:
            key, code = _normalize(match[1]), _departement_code(match[2])
            departement = self._departements.get(code)
            if departement is None:
                homonyms = [t.label for t in self._communes_named(key)]
                raise TerritoryNotFound(query, homonyms[:_SUGGESTIONS] or self._code_suggestions(code))
            if level != DEPARTEMENT:
                found = [t for t in self._communes_named(key) if t.departement == code]
                if len(found) > 1:
                    raise TerritoryAmbiguous(query, found)
                if found:
                    return found[0]
            if level != COMMUNE and self._departement_names.get(key) is departement:
                return departement
            if level == DEPARTEMENT:
                return None
            raise TerritoryNotFound(query, self._suggest_in_departement(key, code))

        key = _normalize(text)
        if level in (None, REGION) and key in self._region_names:
            return self._region_names[key]
        if level in (None, DEPARTEMENT) and key in self._departement_names:
            return self._departement_names[key]
        if level in (None, COMMUNE) and key in self._commune_names:
            communes = self._communes_named(key)
            if len(communes) > 1:
                raise TerritoryAmbiguous(query, communes)
            return communes[0]
        return None

    # -- suggestions (error path only) ---------------------------------------

    def _suggest(self, key: str, level: str | None) -> list[str]:
        """Labels of up to three territories the editor probably meant."""
        if key in self._region_hints:
            return [self._region_hints[key].label]
        labels: list[str] = []
        if level is not None:  # the right name at the wrong level
            labels += [t.label for t in self._exact(key)]
        pool, buckets = self._fuzzy_pool()
        for name in _close_names(key, pool, buckets):
            labels += [self._territory(level_, code).label for level_, code in pool[name]]
        return _first_unique(labels, _SUGGESTIONS)

    def _suggest_in_departement(self, key: str, code: str) -> list[str]:
        """Suggestions for ``Name (NN)`` when no commune of that name is in NN."""
        pool: dict[str, list[tuple[str, str]]] = {}
        for name, codes in self._commune_names.items():
            for commune in codes:
                if self._commune_rows[commune][2] == code:
                    pool.setdefault(name, []).append((COMMUNE, commune))
        labels = [t.label for t in self._communes_named(key)]
        for name in _close_names(key, pool, _buckets(pool)):
            labels += [self._territory(level, commune).label for level, commune in pool[name]]
        if not labels:
            return self._suggest(key, COMMUNE)
        return _first_unique(labels, _SUGGESTIONS)

    def _code_suggestions(self, code: str) -> list[str]:
        """Suggestions for an unknown department code (``20`` is Corsica's former code)."""
        if _departement_code(code) == "20":
            return [self._departements[c].label for c in ("2A", "2B") if c in self._departements]
        return []

    def _territory(self, level: str, code: str) -> Territory:
        """The territory of a level and a code known to exist."""
        if level == REGION:
            return self._regions[code]
        if level == DEPARTEMENT:
            return self._departements[code]
        return self._commune(code)  # type: ignore[return-value]

    def _exact(self, key: str) -> list[Territory]:
        """Every territory whose normalised name is *key*, regions first."""
        found = [names[key] for names in (self._region_names, self._departement_names) if key in names]
        return found + self._communes_named(key)

    def _fuzzy_pool(self) -> tuple[dict[str, list[tuple[str, str]]], _Buckets]:
        """Normalised name -> [(level, code)] over every level and the former regions, built once."""
        if self._pool is None:
            pool: dict[str, list[tuple[str, str]]] = {}
            for key, region in self._region_hints.items():
                pool.setdefault(key, []).append((REGION, region.code))
            for key, region in self._region_names.items():
                pool.setdefault(key, []).append((REGION, region.code))
            for key, departement in self._departement_names.items():
                pool.setdefault(key, []).append((DEPARTEMENT, departement.code))
            for key, codes in self._commune_names.items():
                pool.setdefault(key, []).extend((COMMUNE, code) for code in codes)
            self._pool_buckets = _buckets(pool)
            self._pool = pool
        return self._pool, self._pool_buckets


# Memo of TerritoryIndex.load(): (class, absolute data folder) -> index.
_LOADED: dict[tuple[type[TerritoryIndex], Path], TerritoryIndex] = {}


def _by_name(found: Iterable[Territory]) -> dict[str, Territory]:
    """Index territories by normalised name."""
    found = list(found)
    return dict(zip(_normalize_many([t.name for t in found]), found, strict=True))


def _read_json(path: Path) -> Any:
    """Read one JSON data file (a list, or a mapping for former regions)."""
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _read_communes(data_dir: Path) -> list[list[str]]:
    """Rows of ``communes.csv`` (or ``communes.csv.gz``), reordered as code, name, department, region[, lat, lon]."""
    path = data_dir / "communes.csv"
    if path.is_file():
        text = path.read_text(encoding="utf-8")
    elif (packed := data_dir / "communes.csv.gz").is_file():
        text = gzip.decompress(packed.read_bytes()).decode("utf-8")
    else:
        raise FileNotFoundError(f"no communes.csv in {data_dir}")
    rows = list(csv.reader(io.StringIO(text)))
    header, rows = rows[0], rows[1:]
    columns = ["code", "nom", "departement", "region"]
    if "lat" in header and "lon" in header:
        columns += ["lat", "lon"]
    if header[: len(columns)] == columns:
        return rows
    order = [header.index(column) for column in columns]
    return [[row[i] for i in order] for row in rows]


def _signature(key: str) -> tuple[tuple[int, str], ...]:
    """What a name is filed under for the fuzzy search: its first, second and last letters."""
    return ((0, key[:1]), (1, key[1:2]), (2, key[-1:]))


def _buckets(pool: Mapping[str, object]) -> _Buckets:
    """File the keys of *pool* by (length, position, letter) for :func:`_close_names`."""
    buckets: _Buckets = {}
    for key in pool:
        size = len(key)
        for position, letter in _signature(key):
            buckets.setdefault((size, position, letter), []).append(key)
    return buckets


def _close_names(key: str, pool: Mapping[str, list[tuple[str, str]]], buckets: _Buckets) -> list[str]:
    """Up to three keys of *pool* closest to *key* (difflib ratio >= 0.75), best first.

    Only keys whose length allows that ratio and that share the first, the
    second or the last letter of *key* are compared: a typo rarely hits all
    three. Ties are broken by level (regions first), then alphabetically.
    """
    if not key:
        return []
    size = len(key)
    shortest = math.ceil(size * _CUTOFF / (2 - _CUTOFF))
    longest = math.floor(size * (2 - _CUTOFF) / _CUTOFF)
    candidates: set[str] = set()
    for length in range(shortest, longest + 1):
        for position, letter in _signature(key):
            candidates.update(buckets.get((length, position, letter), ()))
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(key)
    scored: list[tuple[float, int, str]] = []
    for name in candidates:
        matcher.set_seq1(name)
        if matcher.quick_ratio() >= _CUTOFF:
            ratio = matcher.ratio()
            if ratio >= _CUTOFF:
                rank = min(_LEVEL_RANK[level] for level, _ in pool[name])
                scored.append((-ratio, rank, name))
    scored.sort()
    return [name for _, _, name in scored[:_SUGGESTIONS]]


def _first_unique(items: Iterable[str], limit: int) -> list[str]:
    """The first *limit* distinct items, in order."""
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
        if len(seen) == limit:
            break
    return list(seen)
