"""The content-type declaration: which types exist, their fields, vocabularies.

Loaded from the YAML files named in ``mkdocs.yml`` (``config/types.yml`` and
the vocabulary file it names). Nothing about content types is hard-coded in
Python: validators, JSON Schemas and the contributors' guide are all derived
from the objects built here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from .problems import Problem, make_problem
from .source import RawEntry, _parse_front_matter, format_path

FIELD_KINDS = frozenset(
    {
        "texte", "entier", "nombre", "pourcentage", "montant", "booleen", "date", "date_heure",
        "url", "email", "telephone", "siret", "slug", "territoire", "terme", "reference",
        "reference_ou_texte", "fichier", "image", "coordonnees", "objet", "liste",
    }
)
FIELD_OPTIONS = frozenset(
    {
        "type", "obligatoire", "libelle", "aide", "exemple", "min", "max", "max_caracteres",
        "apres", "motif", "vocabulaire", "vers", "champs", "de",
    }
)
TYPE_OPTIONS = frozenset(
    {"libelle", "libelle_pluriel", "titre_liste", "description", "dossier", "url", "champ_titre", "champs", "regles"}
)
TRUE_WORDS = frozenset({"true", "yes", "on", "oui", "vrai", "1"})


class DeclarationError(Exception):
    """The declaration itself is wrong; carries located problems."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(p.format_text() for p in problems))
        self.problems = problems


@dataclass(slots=True)
class Term:
    key: str
    label: str
    description: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(slots=True)
class Vocabulary:
    name: str
    label: str
    description: str
    terms: dict[str, Term]
    url: str = ""  # folder of its term pages; by default the name with hyphens
    _by_folded: dict[str, Term] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_folded = {_fold(t.key): t for t in self.terms.values()}
        self._by_folded.update({_fold(t.label): t for t in self.terms.values()})

    def lookup(self, text: str) -> Term | None:
        """A term by key or label, ignoring case, accents and punctuation."""
        return self.terms.get(text) or self._by_folded.get(_fold(text))

    def closest(self, text: str) -> list[str]:
        folded = _fold(text)
        keys = {_fold(t.key): t.key for t in self.terms.values()}
        keys.update({_fold(t.label): t.key for t in self.terms.values()})
        matches = difflib.get_close_matches(folded, list(keys), n=3, cutoff=0.6)
        return list(dict.fromkeys(keys[m] for m in matches))


@dataclass(slots=True)
class FieldSpec:
    name: str
    kind: str
    required: bool = False
    label: str = ""
    help: str = ""
    example: str | None = None
    vocabulary: str | None = None
    target: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_chars: int | None = None
    after: str | None = None
    pattern: str | None = None
    fields: dict[str, "FieldSpec"] | None = None
    item: "FieldSpec | None" = None


@dataclass(slots=True)
class Rule:
    at_least_one: list[str]
    unless: list[str] = field(default_factory=list)  # "champ" (present) or "champ=valeur"


@dataclass(slots=True)
class ContentType:
    name: str
    label: str
    label_plural: str
    description: str
    folder: str  # posix, relative to the repository root
    url: str
    title_field: str
    fields: dict[str, FieldSpec]
    rules: list[Rule] = field(default_factory=list)
    list_title: str = ""  # title of the type's listing page ("Agenda"); label_plural counts


# Image limits when the declaration does not set them (« images: »).
IMAGE_MAX_MB = 25
IMAGE_MAX_MEGAPIXELS = 50


@dataclass(slots=True)
class Declaration:
    root: Path
    path: Path
    types: dict[str, ContentType]
    vocabularies: dict[str, Vocabulary]
    image_max_bytes: int = IMAGE_MAX_MB * 1_000_000
    image_max_pixels: int = IMAGE_MAX_MEGAPIXELS * 1_000_000

    def type_for(self, rel: str) -> ContentType | None:
        """The type whose folder is the most specific parent of ``rel``."""
        best: ContentType | None = None
        for ctype in self.types.values():
            prefix = ctype.folder + "/"
            if rel.startswith(prefix) and (best is None or len(ctype.folder) > len(best.folder)):
                best = ctype
        return best

    def folders(self) -> list[str]:
        return sorted(t.folder for t in self.types.values())


def load_declaration(path: Path, root: Path | None = None) -> Declaration:
    """Read and check the declaration; raise ``DeclarationError`` with every problem."""
    path = path.resolve()
    root = (root or path.parent.parent).resolve()
    problems: list[Problem] = []
    types_entry = _read_yaml(path, root, problems)
    if types_entry is None:
        raise DeclarationError(problems)
    data = types_entry.data or {}

    vocab_name = data.get("vocabulaires")
    vocabularies: dict[str, Vocabulary] = {}
    if isinstance(vocab_name, str):
        vocab_entry = _read_yaml(path.parent / vocab_name, root, problems)
        if vocab_entry is not None:
            vocabularies = _build_vocabularies(vocab_entry, problems)
    else:
        problems.append(_config_problem(types_entry, ("vocabulaires",), "le champ « vocabulaires » doit nommer le fichier des vocabulaires"))

    common = data.get("communs") or {}
    raw_types = data.get("types")
    types: dict[str, ContentType] = {}
    if not isinstance(raw_types, dict) or not raw_types:
        problems.append(_config_problem(types_entry, ("types",), "aucun type de contenu n'est déclaré sous « types »"))
    else:
        for name, raw in raw_types.items():
            ctype = _build_type(name, raw, common, types_entry, problems)
            if ctype is not None:
                types[name] = ctype
    _check_references(types, vocabularies, types_entry, problems)
    max_bytes, max_pixels = _image_limits(data.get("images"), types_entry, problems)
    if problems:
        raise DeclarationError(problems)
    return Declaration(
        root=root, path=path, types=types, vocabularies=vocabularies, image_max_bytes=max_bytes, image_max_pixels=max_pixels
    )


def _image_limits(raw: object, entry: RawEntry, problems: list[Problem]) -> tuple[int, int]:
    """``images: {poids_max_mo: 25, megapixels_max: 50}``: beyond these, an
    image is refused (decompression bombs, forgotten 100 MB scans)."""
    limits = {"poids_max_mo": IMAGE_MAX_MB, "megapixels_max": IMAGE_MAX_MEGAPIXELS}
    if raw is None:
        return IMAGE_MAX_MB * 1_000_000, IMAGE_MAX_MEGAPIXELS * 1_000_000
    if not isinstance(raw, dict):
        problems.append(_config_problem(entry, ("images",), "« images » attend poids_max_mo et megapixels_max"))
        raw = {}
    for key, value in raw.items():
        if key not in limits:
            problems.append(_config_problem(entry, ("images", key), f"option inconnue « {key} » (possibles : poids_max_mo, megapixels_max)"))
            continue
        try:
            number = _number(value)
        except ValueError:
            number = None
        if number is None or not number > 0:
            problems.append(_config_problem(entry, ("images", key), f"« {key} » doit être un nombre positif, pas « {value} »"))
            continue
        limits[key] = number
    return int(limits["poids_max_mo"] * 1_000_000), int(limits["megapixels_max"] * 1_000_000)


def _read_yaml(path: Path, root: Path, problems: list[Problem]) -> RawEntry | None:
    rel = _rel(path, root)
    entry = RawEntry(path=path, rel=rel, data=None, body="", body_line=1)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(make_problem("config_error", file=rel, detail=f"lecture impossible ({error})"))
        return None
    _parse_front_matter(text.replace("\r\n", "\n"), entry, line_offset=0)
    if entry.problems or entry.data is None:
        problems.extend(entry.problems)
        return None
    return entry


def _build_vocabularies(entry: RawEntry, problems: list[Problem]) -> dict[str, Vocabulary]:
    result: dict[str, Vocabulary] = {}
    for name, raw in (entry.data or {}).items():
        if not isinstance(raw, dict) or not isinstance(raw.get("termes"), dict):
            problems.append(_config_problem(entry, (name,), f"le vocabulaire « {name} » doit avoir des « termes »"))
            continue
        terms: dict[str, Term] = {}
        for key, term in raw["termes"].items():
            if not isinstance(term, dict) or not isinstance(term.get("libelle"), str):
                problems.append(
                    _config_problem(entry, (name, "termes", key), f"le terme « {key} » doit avoir un « libelle »")
                )
                continue
            extra = {k: v for k, v in term.items() if k not in ("libelle", "description")}
            terms[key] = Term(key=key, label=term["libelle"], description=term.get("description") or "", extra=extra)
        result[name] = Vocabulary(
            name=name,
            label=raw.get("libelle") or name,
            description=raw.get("description") or "",
            terms=terms,
            url=str(raw.get("adresse") or name.replace("_", "-")).strip("/"),
        )
    return result


def _build_type(name: str, raw: object, common: dict, entry: RawEntry, problems: list[Problem]) -> ContentType | None:
    where = ("types", name)
    if not isinstance(raw, dict):
        problems.append(_config_problem(entry, where, f"le type « {name} » doit être décrit par des options"))
        return None
    for key in raw:
        if key not in TYPE_OPTIONS:
            problems.append(_config_problem(entry, where + (key,), f"option de type inconnue « {key} »"))
    for required in ("dossier", "url", "champs"):
        if not raw.get(required):
            problems.append(_config_problem(entry, where, f"le type « {name} » doit avoir « {required} »"))
    if problems and not raw.get("champs"):
        return None
    fields: dict[str, FieldSpec] = {}
    for field_name, field_raw in {**(raw.get("champs") or {}), **common}.items():
        spec = _build_field(field_name, field_raw, entry, where + ("champs", field_name), problems)
        if spec is not None:
            fields[field_name] = spec
    rules = []
    for index, rule in enumerate(raw.get("regles") or []):
        if isinstance(rule, dict) and isinstance(rule.get("au_moins_un"), list):
            unless = rule.get("sauf_si") or []
            rules.append(Rule(at_least_one=rule["au_moins_un"], unless=unless if isinstance(unless, list) else [unless]))
        else:
            problems.append(_config_problem(entry, where + ("regles", index), "règle inconnue (seule « au_moins_un » existe)"))
    title_field = raw.get("champ_titre") or "titre"
    if title_field not in fields:
        problems.append(_config_problem(entry, where, f"le champ titre « {title_field} » n'est pas déclaré"))
    return ContentType(
        name=name,
        label=raw.get("libelle") or name,
        label_plural=raw.get("libelle_pluriel") or raw.get("libelle") or name,
        list_title=raw.get("titre_liste") or raw.get("libelle_pluriel") or raw.get("libelle") or name,
        description=raw.get("description") or "",
        folder=str(raw.get("dossier") or "").strip("/"),
        url=str(raw.get("url") or ""),
        title_field=title_field,
        fields=fields,
        rules=rules,
    )


def _build_field(name: str, raw: object, entry: RawEntry, where: tuple, problems: list[Problem]) -> FieldSpec | None:
    if not isinstance(raw, dict):
        problems.append(_config_problem(entry, where, f"le champ « {name} » doit être décrit par des options (type, libelle...)"))
        return None
    for key in raw:
        if key not in FIELD_OPTIONS:
            hint = difflib.get_close_matches(key, sorted(FIELD_OPTIONS), n=1)
            extra = f" (vouliez-vous dire « {hint[0]} » ?)" if hint else ""
            problems.append(_config_problem(entry, where + (key,), f"option de champ inconnue « {key} »{extra}"))
    kind = raw.get("type")
    if kind not in FIELD_KINDS:
        hint = difflib.get_close_matches(str(kind), sorted(FIELD_KINDS), n=1)
        extra = f" (vouliez-vous dire « {hint[0]} » ?)" if hint else ""
        problems.append(_config_problem(entry, where + ("type",), f"type de champ inconnu « {kind} »{extra}"))
        return None
    try:
        spec = FieldSpec(
            name=name,
            kind=kind,
            required=str(raw.get("obligatoire", "")).lower() in TRUE_WORDS,
            label=raw.get("libelle") or name,
            help=raw.get("aide") or "",
            example=raw.get("exemple"),
            minimum=_number(raw.get("min")),
            maximum=_number(raw.get("max")),
            max_chars=int(raw["max_caracteres"]) if raw.get("max_caracteres") else None,
            after=raw.get("apres"),
            pattern=raw.get("motif"),
        )
    except ValueError as error:
        problems.append(_config_problem(entry, where, f"valeur d'option invalide ({error})"))
        return None
    if kind == "liste":
        item_kind = raw.get("de")
        item_raw = {k: v for k, v in raw.items() if k in ("vocabulaire", "vers", "champs", "motif", "max_caracteres", "min", "max")}
        item_raw["type"] = item_kind
        item_raw["libelle"] = spec.label
        spec.item = _build_field(name, item_raw, entry, where, problems)
        if spec.item is not None:
            spec.item.required = True  # a list element written but left empty is a mistake
        spec.pattern = spec.max_chars = spec.minimum = spec.maximum = None  # they belong to items
        return spec if spec.item else None
    if kind == "objet":
        subfields = raw.get("champs")
        if not isinstance(subfields, dict):
            problems.append(_config_problem(entry, where, f"le champ objet « {name} » doit avoir des « champs »"))
            return None
        spec.fields = {}
        for sub_name, sub_raw in subfields.items():
            sub = _build_field(sub_name, sub_raw, entry, where + ("champs", sub_name), problems)
            if sub is not None:
                spec.fields[sub_name] = sub
    if kind == "terme":
        spec.vocabulary = raw.get("vocabulaire")
    if kind in ("reference", "reference_ou_texte"):
        spec.target = raw.get("vers")
    return spec


def _check_references(types: dict[str, ContentType], vocabularies: dict[str, Vocabulary], entry: RawEntry, problems: list[Problem]) -> None:
    """Every vocabulary and target type named by a field must exist."""

    def walk(spec: FieldSpec, where: tuple) -> None:
        if spec.item:
            walk(spec.item, where)
        for sub in (spec.fields or {}).values():
            walk(sub, where + ("champs", sub.name))
        if spec.kind == "terme" and spec.vocabulary not in vocabularies:
            problems.append(_config_problem(entry, where, f"vocabulaire inconnu « {spec.vocabulary} » pour le champ « {spec.name} »"))
        if spec.kind in ("reference", "reference_ou_texte") and spec.target not in types:
            problems.append(_config_problem(entry, where, f"type cible inconnu « {spec.target} » pour le champ « {spec.name} »"))

    for ctype in types.values():
        for spec in ctype.fields.values():
            walk(spec, ("types", ctype.name, "champs", spec.name))
            if spec.after and spec.after not in ctype.fields:
                problems.append(_config_problem(entry, ("types", ctype.name, "champs", spec.name), f"« apres: {spec.after} » nomme un champ inconnu"))


def _config_problem(entry: RawEntry, path: tuple, detail: str) -> Problem:
    line, column = entry.position(path)
    return make_problem("config_error", file=entry.rel, line=line, column=column, path=format_path(path), detail=detail)


def _number(value: object) -> float | None:
    if value is None:
        return None
    return float(str(value).replace(",", "."))


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _fold(text: str) -> str:
    """Lower case, no accents, words separated by single spaces."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in stripped).split())
