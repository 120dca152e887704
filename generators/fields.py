"""One validator per declared field kind: raw YAML text in, normalised value out.

A validator receives the raw value exactly as the editor wrote it (a string,
``None``, a list or a dict: see ``source.py``), the field's declaration and
the per-file context. It returns the normalised value or raises
``FieldError`` with a catalogue code; ``schema.py`` turns those into located
problems.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, time
from pathlib import Path
from typing import Callable

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import HttpUrl, TypeAdapter, ValidationError

from .declaration import Declaration, FieldSpec, _fold
from .territories import Territory, TerritoryAmbiguous, TerritoryIndex, TerritoryNotFound
from .values import Coordinates, DateTimeValue, FileRef, Name, PartialDate, Phone, Reference, Term

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
YEAR_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
DATETIME_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2})[:hH](\d{2})(?::(\d{2}))?)?$")
TRUE_WORDS = frozenset({"oui", "true", "vrai", "yes", "on", "1"})
FALSE_WORDS = frozenset({"non", "false", "faux", "no", "off", "0"})
PHONE_REGIONS = ("FR", "RE", "GP", "MQ", "GF", "YT", "PM", "NC", "PF")
_URL = TypeAdapter(HttpUrl)


class FieldError(Exception):
    """A value is wrong; ``code`` names the catalogue entry, ``params`` fill it."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(slots=True)
class FieldContext:
    """What a validator may need beyond the value: where the file lives."""

    root: Path
    file_dir: Path
    declaration: Declaration
    territories: TerritoryIndex
    looked_at: list[str] | None = None  # files and folders the checks read (validation_cache.py)


Validator = Callable[[object, FieldSpec, FieldContext], object]


def describe(value: object) -> str:
    """How to name a raw value's shape in a French message."""
    if isinstance(value, list):
        return "une liste"
    if isinstance(value, dict):
        return "un groupe de champs"
    return f"le texte « {value} »"


def _text(value: object, spec: FieldSpec, expected: str = "un texte") -> str:
    if isinstance(value, (list, dict)):
        raise FieldError("wrong_type", expected=expected, got=describe(value))
    return str(value).strip()


def validate_texte(value: object, spec: FieldSpec, ctx: FieldContext) -> str:
    text = _text(value, spec)
    if spec.max_chars and len(text) > spec.max_chars:
        raise FieldError("text_too_long", length=len(text), max=spec.max_chars)
    if spec.pattern and not re.fullmatch(spec.pattern, text):
        raise FieldError("pattern_mismatch", value=text, example=spec.example or spec.pattern)
    return text


def _clean_number(text: str) -> str:
    return text.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace("€", "").replace("%", "")


def _check_range(number: float, spec: FieldSpec, low: float | None = None, high: float | None = None) -> None:
    low = spec.minimum if spec.minimum is not None else low
    high = spec.maximum if spec.maximum is not None else high
    if (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            bounds = f"entre {_num(low)} et {_num(high)}"
        elif low is not None:
            bounds = f"au moins {_num(low)}"
        else:
            bounds = f"au plus {_num(high)}"
        raise FieldError("out_of_range", value=_num(number), bounds=bounds)


def _num(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number).replace(".", ",")


def validate_entier(value: object, spec: FieldSpec, ctx: FieldContext) -> int:
    text = _clean_number(_text(value, spec, "un nombre entier"))
    if not re.fullmatch(r"[-+]?\d+", text):
        raise FieldError("invalid_integer", value=value)
    number = int(text)
    _check_range(number, spec)
    return number


def _parse_number(value: object, spec: FieldSpec) -> float:
    text = _clean_number(_text(value, spec, "un nombre")).replace(",", ".")
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)", text):
        raise FieldError("invalid_number", value=value)
    return float(text)


def _tidy(number: float) -> int | float:
    return int(number) if number.is_integer() else number


def validate_nombre(value: object, spec: FieldSpec, ctx: FieldContext) -> int | float:
    number = _parse_number(value, spec)
    _check_range(number, spec)
    return _tidy(number)


def validate_pourcentage(value: object, spec: FieldSpec, ctx: FieldContext) -> int | float:
    number = _parse_number(value, spec)
    _check_range(number, spec, 0, 100)
    return _tidy(number)


THOUSANDS_WITH_DOTS = re.compile(r"^\d{1,3}(\.\d{3})+$")


def validate_montant(value: object, spec: FieldSpec, ctx: FieldContext) -> int | float:
    text = _clean_number(_text(value, spec, "un montant"))
    if THOUSANDS_WITH_DOTS.fullmatch(text):  # "50.000 €" is fifty thousand euros in French usage
        value = text.replace(".", "")
    number = _parse_number(value, spec)
    _check_range(number, spec, 0, None)
    return _tidy(number)


def validate_booleen(value: object, spec: FieldSpec, ctx: FieldContext) -> bool:
    word = _text(value, spec, "« oui » ou « non »").casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise FieldError("invalid_boolean", value=value)


def parse_partial_date(text: str) -> PartialDate | None:
    match = YEAR_RE.fullmatch(text)
    if not match:
        return None
    year, month, day = (int(g) if g is not None else None for g in match.groups())
    if year < 1000 or month == 0 or day == 0:  # "0000", "2015-00" and "2015-03-00" are typos
        return None
    try:
        if day:
            date(year, month, day)  # type: ignore[arg-type]
        elif month and not 1 <= month <= 12:
            return None
    except ValueError:
        return None
    return PartialDate(year, month, day)


def validate_date(value: object, spec: FieldSpec, ctx: FieldContext) -> PartialDate:
    text = _text(value, spec, "une date")
    parsed = parse_partial_date(text)
    if parsed is None:
        raise FieldError("invalid_date", value=text)
    return parsed


def validate_date_heure(value: object, spec: FieldSpec, ctx: FieldContext) -> DateTimeValue:
    text = _text(value, spec, "une date")
    match = DATETIME_RE.fullmatch(text)
    if not match:
        raise FieldError("invalid_datetime", value=text)
    y, m, d, hh, mm, ss = (int(g) if g else None for g in match.groups())
    try:
        day = date(y, m, d)  # type: ignore[arg-type]
        at = time(hh, mm, ss or 0) if hh is not None else None
    except ValueError:
        raise FieldError("invalid_datetime", value=text) from None
    return DateTimeValue(day, at)


def validate_url(value: object, spec: FieldSpec, ctx: FieldContext) -> str:
    text = _text(value, spec, "une adresse web")
    if " " in text or not text.lower().startswith(("http://", "https://")):
        raise FieldError("invalid_url", value=text)
    try:
        url = _URL.validate_python(text)
    except ValidationError:
        raise FieldError("invalid_url", value=text) from None
    if not url.host or ("." not in url.host and url.host != "localhost"):
        raise FieldError("invalid_url", value=text)
    return str(url)


def validate_email_field(value: object, spec: FieldSpec, ctx: FieldContext) -> str:
    return _email(_text(value, spec, "une adresse électronique"))


# A strict ASCII subset of valid addresses (dot-atom local part, LDH domain
# labels, alphabetic TLD): email-validator accepts all of these unchanged but
# for the domain's case, and costs ~150 µs each; anything else goes to it.
_SIMPLE_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


@lru_cache(maxsize=65536)
def _email(text: str) -> str:
    local, _, domain = text.partition("@")
    # A "--" in the domain (punycode "xn--", or a label RFC 5890 reserves,
    # such as "ab--c") is left to email_validator's full rules.
    if len(text) <= 254 and _SIMPLE_EMAIL_RE.fullmatch(text) and len(local) <= 64 and "--" not in domain:
        return f"{local}@{domain.lower()}"
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise FieldError("invalid_email", value=text, detail=_email_reason(text, error)) from None


def _email_reason(text: str, error: EmailNotValidError) -> str:
    if "@" not in text:
        return "il manque « @ »"
    if text.count("@") > 1:
        return "une adresse ne contient qu'un seul « @ »"
    local, _, domain = text.partition("@")
    if not local:
        return "rien avant « @ »"
    if "." not in domain:
        return "le nom de domaine après « @ » est incomplet"
    if any(re.match(r"(?!xn)..--", label, re.I) for label in domain.split(".")):
        return "un nom de domaine ne peut pas avoir « -- » en 3e et 4e position (réservé aux noms internationalisés « xn-- »)"
    return "caractère ou forme non autorisés"


def validate_telephone(value: object, spec: FieldSpec, ctx: FieldContext) -> Phone:
    return _phone(_text(value, spec, "un numéro de téléphone"))


FRENCH_NATIONAL_RE = re.compile(r"^0([1-79])[ .\-]?(\d{2})[ .\-]?(\d{2})[ .\-]?(\d{2})[ .\-]?(\d{2})$")


@lru_cache(maxsize=65536)
def _phone(text: str) -> Phone:
    """Parse once per distinct text: phonenumbers is the slowest check.

    The usual French way of writing a number ("03 89 35 35 70") is read
    directly; phonenumbers still decides whether the number exists in the
    numbering plan. Every other form goes through its full parser, and so do
    08 numbers, which are written "0 800 …" (tests/test_fastpaths.py).
    """
    match = FRENCH_NATIONAL_RE.fullmatch(text)
    if match:
        nsn = "".join(match.groups())
        if phonenumbers.is_valid_number(phonenumbers.PhoneNumber(country_code=33, national_number=int(nsn))):
            return Phone(national=f"0{nsn[0]} " + " ".join(nsn[i : i + 2] for i in range(1, 9, 2)), e164="+33" + nsn)
    for region in PHONE_REGIONS:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            break
        if phonenumbers.is_valid_number(number):
            national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            if number.country_code != 33 and phonenumbers.region_code_for_number(number) not in PHONE_REGIONS:
                national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return Phone(national=national, e164=e164)
        if text.startswith("+"):
            break
    raise FieldError("invalid_phone", value=text)


def siret_problem(digits: str) -> str | None:
    """Why a SIRET is wrong, or None. Luhn, with La Poste's own rule."""
    if not digits.isdigit() or len(digits) != 14:
        return f"{len(digits)} caractères au lieu de 14 chiffres" if digits.isdigit() else "il ne doit contenir que des chiffres"
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char) * (2 if index % 2 else 1)
        total += number - 9 if number > 9 else number
    if total % 10 == 0:
        return None
    if digits.startswith("356000000") and sum(int(c) for c in digits) % 5 == 0:
        return None  # La Poste's establishments use a sum-of-digits key instead
    return "la clé de contrôle ne correspond pas (faute de frappe ?)"


def validate_siret(value: object, spec: FieldSpec, ctx: FieldContext) -> str:
    text = _text(value, spec, "un SIRET")
    digits = text.replace(" ", "").replace("\u00a0", "")
    problem = siret_problem(digits)
    if problem:
        raise FieldError("invalid_siret", value=text, detail=problem)
    return digits


LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})


def slugify(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(LIGATURES))
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def validate_slug(value: object, spec: FieldSpec, ctx: FieldContext) -> str:
    text = _text(value, spec, "un identifiant")
    if not SLUG_RE.fullmatch(text):
        raise FieldError("invalid_slug", value=text, suggestion=slugify(text) or "mon-contenu")
    return text


def validate_territoire(value: object, spec: FieldSpec, ctx: FieldContext) -> Territory:
    text = _text(value, spec, "un territoire")
    try:
        return ctx.territories.resolve(text)
    except TerritoryAmbiguous as error:
        labels = ", ".join(c.label for c in error.candidates[:8])
        more = f" et {len(error.candidates) - 8} autres" if len(error.candidates) > 8 else ""
        raise FieldError(
            "ambiguous_territory", value=text, candidates=labels + more, example=error.candidates[0].label
        ) from None
    except TerritoryNotFound as error:
        hint = (
            "vouliez-vous dire " + " ou ".join(f"« {s} »" for s in error.suggestions) + " ?"
            if error.suggestions
            else "écrivez une région, un département (nom ou numéro) ou une commune (nom ou code INSEE)"
        )
        raise FieldError("unknown_territory", value=text, hint=hint) from None


def validate_terme(value: object, spec: FieldSpec, ctx: FieldContext) -> Term:
    text = _text(value, spec, "un terme")
    vocabulary = ctx.declaration.vocabularies[spec.vocabulary or ""]
    term = vocabulary.lookup(text)
    if term is None:
        close = vocabulary.closest(text)
        hint = (
            "vouliez-vous dire " + " ou ".join(f"« {c} »" for c in close) + " ?"
            if close
            else "termes possibles : " + ", ".join(sorted(vocabulary.terms))
        )
        raise FieldError("unknown_term", value=text, vocabulary=vocabulary.name, hint=hint)
    return Term(vocabulary=vocabulary.name, key=term.key, label=term.label)


def validate_reference(value: object, spec: FieldSpec, ctx: FieldContext) -> Reference:
    text = _text(value, spec, "un identifiant")
    if not SLUG_RE.fullmatch(text):
        raise FieldError("invalid_slug", value=text, suggestion=slugify(text) or "mon-contenu")
    return Reference(type=spec.target or "", slug=text)


def validate_reference_ou_texte(value: object, spec: FieldSpec, ctx: FieldContext) -> Reference | Name:
    text = _text(value, spec, "un identifiant ou un nom")
    if SLUG_RE.fullmatch(text):
        return Reference(type=spec.target or "", slug=text)
    return Name(text)


@lru_cache(maxsize=8)
def _real_path(path: Path) -> Path:
    return Path(os.path.realpath(path))


def resolve_repo_file(text: str, ctx: FieldContext) -> FileRef:
    """A path written relative to the content file, kept inside the repository."""
    if text.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", text) or "://" in text:
        raise FieldError("absolute_path", value=text)
    candidate = ctx.file_dir / text
    resolved = Path(os.path.realpath(candidate))
    root = _real_path(ctx.root)
    if resolved != root and root not in resolved.parents:
        raise FieldError("path_outside_repo", value=text)
    if ctx.looked_at is not None:  # the file, and the folder whose listing gives the hint below
        ctx.looked_at += [str(resolved), str(resolved.parent)]
    if not resolved.is_file():
        hint = "vérifiez le nom et le dossier ; le chemin part du dossier du fichier de contenu"
        if resolved.parent.is_dir():
            names = {p.name.casefold(): p.name for p in resolved.parent.iterdir()}
            if resolved.name.casefold() in names:
                hint = f"attention aux majuscules : le fichier s'appelle « {names[resolved.name.casefold()]} »"
        raise FieldError("missing_file", value=text, hint=hint)
    return FileRef(path=resolved.relative_to(root).as_posix(), size=resolved.stat().st_size)


def validate_fichier(value: object, spec: FieldSpec, ctx: FieldContext) -> FileRef:
    return resolve_repo_file(_text(value, spec, "un chemin de fichier"), ctx)


COORDINATES_TEXT = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*[,; ]\s*(-?\d+(?:[.,]\d+)?)\s*$")


def validate_coordonnees(value: object, spec: FieldSpec, ctx: FieldContext) -> Coordinates:
    if isinstance(value, str):
        match = COORDINATES_TEXT.fullmatch(value)
        if not match:
            raise FieldError("invalid_coordinates", detail=f"« {value} » n'est pas « latitude, longitude »")
        value = {"lat": match.group(1), "lon": match.group(2)}
    if not isinstance(value, dict):
        raise FieldError("invalid_coordinates", detail=f"{describe(value)} au lieu de lat et lon")
    extra = sorted(set(value) - {"lat", "lon"})
    if extra:
        raise FieldError("invalid_coordinates", detail=f"champ inconnu « {extra[0]} » (seuls lat et lon existent)")
    try:
        lat = float(str(value.get("lat")).replace(",", "."))
        lon = float(str(value.get("lon")).replace(",", "."))
    except ValueError:
        raise FieldError("invalid_coordinates", detail="lat et lon doivent être des nombres") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise FieldError("invalid_coordinates", detail="latitude entre -90 et 90, longitude entre -180 et 180")
    return Coordinates(lat=round(lat, 6), lon=round(lon, 6))


SCALAR_VALIDATORS: dict[str, Validator] = {
    "texte": validate_texte,
    "entier": validate_entier,
    "nombre": validate_nombre,
    "pourcentage": validate_pourcentage,
    "montant": validate_montant,
    "booleen": validate_booleen,
    "date": validate_date,
    "date_heure": validate_date_heure,
    "url": validate_url,
    "email": validate_email_field,
    "telephone": validate_telephone,
    "siret": validate_siret,
    "slug": validate_slug,
    "territoire": validate_territoire,
    "terme": validate_terme,
    "reference": validate_reference,
    "reference_ou_texte": validate_reference_ou_texte,
    "fichier": validate_fichier,
    "coordonnees": validate_coordonnees,
}


def closest_key(key: str, known: list[str]) -> str | None:
    """The declared field an unknown key most likely meant."""
    import difflib

    folded = {_fold(k): k for k in known}
    match = difflib.get_close_matches(_fold(key), list(folded), n=1, cutoff=0.6)
    return folded[match[0]] if match else None
