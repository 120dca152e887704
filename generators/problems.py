"""Problems found in content, and the catalogue of their French messages.

Every problem has a stable name (``code``) so that tests, editors' tools and
the documentation can refer to it, a message in French built from the
catalogue, and, where one helps, a hint. Problems are collected, never raised:
the validator reports all of them at once.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Iterable

# code -> (message template, hint template or None). Templates use str.format.
CATALOGUE: dict[str, tuple[str, str | None]] = {
    # Reading the file
    "not_utf8": (
        "le fichier n'est pas encodé en UTF-8 (octet invalide en position {position})",
        "enregistrez le fichier en UTF-8 depuis votre éditeur de texte",
    ),
    "empty_file": ("le fichier est vide", "un contenu commence par un bloc d'en-tête entre deux lignes « --- »"),
    "no_frontmatter": (
        "le fichier ne commence pas par un bloc d'en-tête « --- »",
        "la première ligne du fichier doit être « --- », suivie des champs puis d'une autre ligne « --- »",
    ),
    "unclosed_frontmatter": (
        "le bloc d'en-tête ouvert ligne 1 n'est jamais fermé",
        "ajoutez une ligne « --- » après le dernier champ",
    ),
    "yaml_syntax": ("erreur de syntaxe YAML : {detail}", "{hint}"),
    "not_a_mapping": (
        "l'en-tête doit être une liste de champs « nom: valeur »",
        None,
    ),
    "duplicate_key": (
        "le champ « {key} » est écrit deux fois (première fois ligne {first_line})",
        "gardez une seule ligne « {key}: » : la seconde effacerait la première",
    ),
    "non_string_key": ("le nom de champ « {key} » n'est pas un nom simple", None),
    "unknown_type": (
        "ce fichier n'appartient à aucun type de contenu",
        "rangez-le dans l'un des dossiers déclarés : {folders}",
    ),
    # Fields
    "unknown_field": ("champ inconnu « {key} »", "{hint}"),
    "missing_field": ("champ obligatoire manquant « {key} »", "{hint}"),
    "empty_value": ("le champ « {key} » est vide", "donnez-lui une valeur ou supprimez la ligne"),
    "wrong_type": ("{expected} attendu, et non {got}", None),
    "text_too_long": (
        "texte trop long ({length} caractères, {max} au plus)",
        "raccourcissez-le : il s'affiche dans les listes et les aperçus",
    ),
    "pattern_mismatch": ("valeur « {value} » mal formée", "exemple de valeur attendue : « {example} »"),
    "invalid_integer": ("« {value} » n'est pas un nombre entier", None),
    "invalid_number": ("« {value} » n'est pas un nombre", "écrivez les décimales avec une virgule ou un point : 12,5"),
    "out_of_range": ("{value} est hors des limites ({bounds})", None),
    "invalid_boolean": ("« {value} » n'est pas « oui » ou « non »", "écrivez « oui » ou « non »"),
    "invalid_date": ("date invalide « {value} »", "écrivez une année (2015), un mois (2015-03) ou un jour (2015-03-21)"),
    "invalid_datetime": (
        "date ou heure invalide « {value} »",
        "écrivez un jour (2016-03-21) ou un jour et une heure (2016-03-21 09:30)",
    ),
    "date_order": (
        "« {key} » ({value}) est antérieur à « {other} » ({other_value})",
        "vérifiez les deux dates : la fin ne peut pas précéder le début",
    ),
    "invalid_url": (
        "adresse web invalide « {value} »",
        "une adresse web commence par https:// ou http://, par exemple https://www.exemple.fr",
    ),
    "invalid_email": ("adresse électronique invalide « {value} » : {detail}", None),
    "invalid_phone": (
        "numéro de téléphone invalide « {value} »",
        "écrivez un numéro français à 10 chiffres (03 89 35 35 70) ou international (+33 3 89 35 35 70), entre guillemets",
    ),
    "invalid_siret": ("SIRET invalide « {value} » : {detail}", "un SIRET compte 14 chiffres ; vérifiez-le sur l'annuaire des entreprises"),
    "invalid_slug": (
        "identifiant invalide « {value} »",
        "n'utilisez que des minuscules sans accent, des chiffres et des tirets : « {suggestion} »",
    ),
    "unknown_term": ("« {value} » n'est pas un terme du vocabulaire « {vocabulary} »", "{hint}"),
    "unknown_territory": ("territoire inconnu « {value} »", "{hint}"),
    "ambiguous_territory": (
        "la commune « {value} » existe plusieurs fois : {candidates}",
        "précisez le département entre parenthèses (« {example} ») ou donnez le code INSEE",
    ),
    "wrong_territory_level": ("« {value} » est {got} ; une {expected} est attendue ici", None),
    "invalid_coordinates": ("coordonnées invalides : {detail}", "exemple : « coordonnees: {{lat: 49.894, lon: 2.295}} »"),
    "missing_alt": (
        "l'image « {src} » n'a pas de texte alternatif (alt)",
        "décrivez ce que montre l'image dans « alt », ou écrivez « decoratif: oui » si elle est purement décorative",
    ),
    "absolute_path": (
        "chemin absolu interdit « {value} »",
        "donnez un chemin relatif au fichier, par exemple « images/photo.jpg »",
    ),
    "path_outside_repo": ("le chemin « {value} » sort du dépôt", "placez le fichier dans le dépôt et donnez un chemin relatif"),
    "missing_file": ("fichier introuvable « {value} »", "{hint}"),
    # Images (images.py): headers checked while validating, decoded in full while building
    "not_an_image": (
        "le fichier « {value} » n'est pas une image lisible",
        "enregistrez-la en JPEG, PNG ou WebP (une photo HEIC d'iPhone s'exporte en JPEG depuis l'application Photos)",
    ),
    "unsupported_image_format": (
        "le format {format} de l'image « {value} » n'est pas pris en charge",
        "enregistrez-la en JPEG, PNG, WebP, GIF ou SVG",
    ),
    "corrupt_image": (
        "l'image « {value} » est tronquée ou abîmée",
        "le fichier semble incomplet : ré-exportez-le depuis l'original ou copiez-le de nouveau",
    ),
    "image_too_heavy": (
        "l'image « {value} » pèse {size}, plus que la limite de {max}",
        "réduisez-la avant de l'ajouter : 2 000 pixels de large suffisent pour le web",
    ),
    "image_too_many_pixels": (
        "l'image « {value} » est trop grande ({pixels}, {max} au plus)",
        "réduisez-la avant de l'ajouter : 2 000 pixels de large suffisent pour le web",
    ),
    "invalid_svg": (
        "l'image SVG « {value} » est illisible : {detail}",
        "ré-exportez-la depuis votre logiciel de dessin, ou fournissez-la en PNG",
    ),
    "unsafe_svg": (
        "l'image SVG « {value} » contient {detail}, refusé pour la sécurité des lecteurs",
        "ré-exportez-la en « SVG simple », sans script ni interactivité, ou fournissez-la en PNG",
    ),
    "svg_external_reference": (
        "l'image SVG « {value} » fait appel à une ressource extérieure « {target} »",
        "une image publiée ne doit rien charger d'ailleurs : incorporez l'élément dans le SVG ou fournissez-la en PNG",
    ),
    "missing_body_alt": (
        "l'image « {src} » du texte n'a pas de texte alternatif",
        "décrivez ce qu'elle montre entre les crochets : ![description]({src}) ; "
        "si elle est purement décorative, écrivez {{: .decoratif }} juste après",
    ),
    "invalid_value": ("valeur invalide : {detail}", None),
    "rule_one_of": ("renseignez au moins l'un des champs {fields}", None),
    # Across files
    "unknown_reference": ("aucun contenu de type « {type} » n'a l'identifiant « {value} »", "{hint}"),
    "duplicate_slug": (
        "l'identifiant « {slug} » est déjà utilisé par {other}",
        "changez le nom du fichier ou ajoutez un champ « slug » différent",
    ),
    # Configuration
    "config_error": ("configuration invalide : {detail}", None),
    # Redirections of old addresses (config/redirections.yml)
    "redirect_unknown_target": (
        "la redirection de « {old} » mène à « {target} », qui n'existe pas",
        "donnez le fichier de contenu (« fiches/mon-initiative.md ») ou l'adresse d'une page du site (« agenda/ »)",
    ),
    "redirect_collision": (
        "l'ancienne adresse « {old} » est celle d'une page du site ({page})",
        "supprimez cette ligne : la page existe déjà à cette adresse",
    ),
    "redirect_bad_path": ("ancienne adresse invalide « {old} » : {detail}", "écrivez un chemin qui part de la racine : « /initiatives/fiche.php?id=12 »"),
    "redirect_duplicate": ("l'ancienne adresse « {old} » est déjà redirigée ligne {other}", "gardez une seule ligne par ancienne adresse"),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one file, located as precisely as the file allows."""

    file: str
    line: int
    column: int
    path: str
    code: str
    message: str
    hint: str | None = None
    severity: str = "error"

    def format_text(self) -> str:
        """``file:line:column: path: message [code]`` then the hint, for terminals."""
        where = f"{self.file}:{self.line}:{self.column}"
        field_part = f" {self.path}:" if self.path else ""
        text = f"{where}:{field_part} {self.message} [{self.code}]"
        if self.hint:
            text += f"\n    → {self.hint}"
        return text

    def format_github(self) -> str:
        """A GitHub Actions workflow command, shown as an annotation on the line."""
        title = f"portail : {self.path}" if self.path else "portail"
        message = self.message + (f" — {self.hint}" if self.hint else "")
        return (
            f"::{self.severity} file={_gh_escape_property(self.file)},line={self.line},"
            f"col={self.column},title={_gh_escape_property(title)}::{_gh_escape_data(message)} [{self.code}]"
        )

    def as_dict(self) -> dict:
        return asdict(self)


def make_problem(
    code: str, *, file: str, line: int = 1, column: int = 1, path: str = "", **params: object
) -> Problem:
    """Build a problem from the catalogue; unknown codes are a programming error."""
    template, hint_template = CATALOGUE[code]
    message = template.format(**params)
    hint = hint_template.format(**params) if hint_template else None
    return Problem(file=file, line=line, column=column, path=path, code=code, message=message, hint=hint or None)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file, p.line, p.column, p.path, p.code))


def to_json(problems: Iterable[Problem]) -> str:
    return json.dumps([p.as_dict() for p in problems], ensure_ascii=False, indent=2)


def _gh_escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_escape_property(text: str) -> str:
    return _gh_escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass
class ProblemList:
    """A collector handed down through validation."""

    items: list[Problem] = field(default_factory=list)

    def add(self, code: str, **kwargs: object) -> None:
        self.items.append(make_problem(code, **kwargs))  # type: ignore[arg-type]

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)
