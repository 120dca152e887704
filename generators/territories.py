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
   picks the commune of that name in that department -- or the department
   itself when ``Name`` is its name, so that every label round-trips:
   ``resolve(t.label) == t``.
6. A commune name shared by several communes raises
   :class:`TerritoryAmbiguous` listing all of them.
7. No match raises :class:`TerritoryNotFound` with up to three suggestions,
   formatted as labels (``Amiens (80)``): for a region that no longer exists
   (``Picardie``), the region that replaced it; otherwise the closest names.

Loading takes a few tens of milliseconds and is memoised per data folder;
resolving a name or code is a dictionary lookup. Only the error path runs a
fuzzy search (:mod:`difflib`), restricted to names of a compatible length.
"""

from __future__ import annotations

import csv
import difflib
import functools
import gzip
import io
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

__all__ = ["Territory", "TerritoryAmbiguous", "TerritoryIndex", "TerritoryNotFound"]

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data" / "cog"

REGION = "region"
DEPARTEMENT = "departement"
COMMUNE = "commune"
_LEVEL_RANK = {REGION: 0, DEPARTEMENT: 1, COMMUNE: 2}

_SUGGESTIONS = 3
_CUTOFF = 0.75


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

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
_COMBINING = re.compile(r"[\u0300-\u036f]+")
_SEPARATORS = re.compile(r"[\W_]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}

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
    text = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    words = _SEPARATORS.split(_COMBINING.sub("", text))
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words if word)


def _departement_code(code: str) -> str:
    """Canonical form of a department code: ``"1"`` -> ``"01"``, ``"2a"`` -> ``"2A"``."""
    code = code.strip().upper()
    return code.zfill(2) if code.isdigit() else code


# --- Index -----------------------------------------------------------------


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
        communes: Iterable[Territory],
        former_regions: dict[str, str] | None = None,
    ) -> None:
        """Index the given territories; *former_regions* maps old region names to current codes."""
        self._regions = {t.code: t for t in regions}
        self._departements = {t.code: t for t in departements}
        self._communes = {t.code: t for t in communes}

        self._region_names = {_normalize(t.name): t for t in self._regions.values()}
        self._departement_names = {_normalize(t.name): t for t in self._departements.values()}
        commune_names: dict[str, list[Territory]] = {}
        for commune in self._communes.values():
            commune_names.setdefault(_normalize(commune.name), []).append(commune)
        self._commune_names = {
            key: tuple(sorted(found, key=lambda t: t.code)) for key, found in commune_names.items()
        }
        self._former_regions = {
            _normalize(name): self._regions[code]
            for name, code in (former_regions or {}).items()
            if code in self._regions
        }
        self._by_region: dict[str, list[Territory]] = {code: [] for code in self._regions}
        for departement in sorted(self._departements.values(), key=lambda t: t.code):
            if departement.region in self._by_region:
                self._by_region[departement.region].append(departement)

    # -- construction --------------------------------------------------------

    @classmethod
    def load(cls, data_dir: Path | None = None) -> TerritoryIndex:
        """Load the index from *data_dir* (default: ``generators/data/cog``).

        The result is memoised per folder: later calls return the same object.
        """
        folder = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
        return _load(cls, folder.resolve())

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
        communes = list(_read_communes(data_dir))
        former_path = data_dir / "anciennes_regions.json"
        former = _read_json(former_path) if former_path.is_file() else {}
        return cls(regions, departements, communes, former)

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
        found = self._communes.get(str(code).strip().upper())
        if found is None:
            raise TerritoryNotFound(str(code))
        return found

    def regions(self) -> list[Territory]:
        """All current regions, sorted by code."""
        return sorted(self._regions.values(), key=lambda t: t.code)

    def departements(self) -> list[Territory]:
        """All departments, sorted by code (``2A`` and ``2B`` between ``19`` and ``21``)."""
        return sorted(self._departements.values(), key=lambda t: t.code)

    def departements_of(self, region_code: str) -> list[Territory]:
        """The departments of the region *region_code*, sorted by code."""
        return list(self._by_region[self.region(region_code).code])

    # -- resolution --------------------------------------------------------------

    def resolve(self, text: str) -> Territory:
        """Return the territory that *text* designates (see the module docstring for the rules).

        Raises :class:`TerritoryNotFound` or :class:`TerritoryAmbiguous`.
        """
        query = text
        if isinstance(text, int) and not isinstance(text, bool):  # a bare number read from YAML
            text = str(text)
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
        found = self._communes.get(code) if level in (None, COMMUNE) else None
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
                raise TerritoryNotFound(query, self._code_suggestions(code))
            if level != COMMUNE and self._departement_names.get(key) is departement:
                return departement
            if level == DEPARTEMENT:
                return None
            found = [t for t in self._commune_names.get(key, ()) if t.departement == code]
            if len(found) > 1:
                raise TerritoryAmbiguous(query, found)
            if found:
                return found[0]
            raise TerritoryNotFound(query, self._suggest_in_departement(key, code))

        key = _normalize(text)
        if level in (None, REGION) and key in self._region_names:
            return self._region_names[key]
        if level in (None, DEPARTEMENT) and key in self._departement_names:
            return self._departement_names[key]
        if level in (None, COMMUNE) and key in self._commune_names:
            communes = self._commune_names[key]
            if len(communes) > 1:
                raise TerritoryAmbiguous(query, communes)
            return communes[0]
        return None

    # -- suggestions (error path only) ---------------------------------------

    def _suggest(self, key: str, level: str | None) -> list[str]:
        """Labels of up to three territories the editor probably meant."""
        if key in self._former_regions:
            return [self._former_regions[key].label]
        labels: list[str] = []
        if level is not None:  # the right name at the wrong level
            labels += [t.label for t in self._exact(key)]
        pool = self._fuzzy_pool()
        for name in self._close_names(key, pool):
            labels += [t.label for t in pool[name]]
        return _first_unique(labels, _SUGGESTIONS)

    def _suggest_in_departement(self, key: str, code: str) -> list[str]:
        """Suggestions for ``Name (NN)`` when no commune of that name is in NN."""
        pool: dict[str, list[Territory]] = {}
        for commune in self._communes.values():
            if commune.departement == code:
                pool.setdefault(_normalize(commune.name), []).append(commune)
        labels = [t.label for t in self._commune_names.get(key, ())]
        for name in self._close_names(key, pool):
            labels += [t.label for t in pool[name]]
        if not labels:
            return self._suggest(key, COMMUNE)
        return _first_unique(labels, _SUGGESTIONS)

    def _code_suggestions(self, code: str) -> list[str]:
        """Suggestions for an unknown department code (``20`` is Corsica's former code)."""
        if _departement_code(code) == "20":
            return [self._departements[c].label for c in ("2A", "2B") if c in self._departements]
        return []

    def _exact(self, key: str) -> list[Territory]:
        """Every territory whose normalised name is *key*, regions first."""
        found: list[Territory] = []
        for names in (self._region_names, self._departement_names):
            if key in names:
                found.append(names[key])
        found += self._commune_names.get(key, ())
        return found

    def _fuzzy_pool(self) -> dict[str, list[Territory]]:
        """Normalised name -> territories, over every level and former regions (built once)."""
        pool = getattr(self, "_pool", None)
        if pool is None:
            pool = {}
            for key, region in self._former_regions.items():
                pool.setdefault(key, []).append(region)
            for key in {*self._region_names, *self._departement_names, *self._commune_names}:
                pool.setdefault(key, []).extend(self._exact(key))
            self._pool = pool
            self._pool_by_length: dict[int, list[str]] = {}
            for key in sorted(pool):
                self._pool_by_length.setdefault(len(key), []).append(key)
        return pool

    def _close_names(self, key: str, pool: dict[str, list[Territory]]) -> list[str]:
        """Keys of *pool* closest to *key* (ratio >= 0.75), best first.

        Only keys whose length allows the cutoff are compared; ties are
        broken by level (regions first) then alphabetically.
        """
        if not key:
            return []
        if pool is getattr(self, "_pool", None):
            by_length = self._pool_by_length
        else:
            by_length = {}
            for name in sorted(pool):
                by_length.setdefault(len(name), []).append(name)
        size = len(key)
        shortest = math.ceil(size * _CUTOFF / (2 - _CUTOFF))
        longest = math.floor(size * (2 - _CUTOFF) / _CUTOFF)
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(key)
        scored: list[tuple[float, int, str]] = []
        for length in range(shortest, longest + 1):
            for name in by_length.get(length, ()):
                matcher.set_seq1(name)
                if matcher.quick_ratio() >= _CUTOFF:
                    ratio = matcher.ratio()
                    if ratio >= _CUTOFF:
                        rank = min(_LEVEL_RANK[t.level] for t in pool[name])
                        scored.append((-ratio, rank, name))
        scored.sort()
        return [name for _, _, name in scored[:_SUGGESTIONS]]


@functools.lru_cache(maxsize=None)
def _load(cls: type[TerritoryIndex], data_dir: Path) -> TerritoryIndex:
    """Memoised loader behind :meth:`TerritoryIndex.load`."""
    return cls._read(data_dir)


def _read_json(path: Path):  # noqa: ANN202 - a list or a mapping, depending on the file
    """Read one JSON data file."""
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _read_communes(data_dir: Path) -> Iterable[Territory]:
    """Yield the communes of ``communes.csv`` (or ``communes.csv.gz``)."""
    path = data_dir / "communes.csv"
    if path.is_file():
        text = path.read_text(encoding="utf-8")
    elif (packed := data_dir / "communes.csv.gz").is_file():
        text = gzip.decompress(packed.read_bytes()).decode("utf-8")
    else:
        raise FileNotFoundError(f"no communes.csv in {data_dir}")
    rows = csv.reader(io.StringIO(text))
    header = next(rows)
    has_coordinates = "lat" in header and "lon" in header
    code_i, name_i, dep_i, reg_i = (header.index(c) for c in ("code", "nom", "departement", "region"))
    if not has_coordinates:
        for row in rows:
            yield Territory(COMMUNE, row[code_i], row[name_i], row[dep_i], row[reg_i] or None)
        return
    lat_i, lon_i = header.index("lat"), header.index("lon")
    for row in rows:
        lat, lon = row[lat_i], row[lon_i]
        yield Territory(
            COMMUNE, row[code_i], row[name_i], row[dep_i], row[reg_i] or None,
            float(lat) if lat else None, float(lon) if lon else None,
        )


def _first_unique(items: Iterable[str], limit: int) -> list[str]:
    """The first *limit* distinct items, in order."""
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
        if len(seen) == limit:
            break
    return list(seen)
