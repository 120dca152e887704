"""``portail new``: a new content file with every field, commented in French."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from .declaration import ContentType, Declaration, FieldSpec
from .fields import slugify

KIND_HINTS = {
    "texte": "texte",
    "entier": "nombre entier",
    "nombre": "nombre",
    "pourcentage": "pourcentage, de 0 à 100",
    "montant": "montant en euros, sans espace ni symbole",
    "booleen": "oui ou non",
    "date": "année, mois ou jour : 2015, 2015-03 ou 2015-03-21",
    "date_heure": "jour, avec l'heure si besoin : 2016-03-21 09:30",
    "url": "adresse web commençant par https://",
    "email": "adresse électronique",
    "telephone": "numéro de téléphone, entre guillemets",
    "siret": "14 chiffres",
    "slug": "minuscules sans accent, chiffres et tirets",
    "territoire": "région, département (nom ou numéro) ou commune (nom ou code INSEE)",
    "terme": "un terme du vocabulaire",
    "reference": "identifiant d'un contenu",
    "reference_ou_texte": "identifiant d'un acteur de l'annuaire, ou nom en clair",
    "fichier": "chemin du document, relatif à ce fichier",
    "image": "image : src (chemin relatif à ce fichier) et alt (description)",
    "coordonnees": "latitude et longitude",
    "objet": "groupe de champs",
    "liste": "liste",
}


# Written by `portail importer` only (importer.py): not offered in new files.
IMPORT_FIELDS = frozenset({"a_verifier"})


class NewFileError(Exception):
    pass


def describe_field(spec: FieldSpec, declaration: Declaration) -> str:
    """One French line that says what a field takes."""
    target = spec.item or spec
    kind = KIND_HINTS.get(target.kind, target.kind)
    parts = [spec.label]
    if spec.required:
        parts.append("obligatoire")
    text = ", ".join(parts) + f" — {('liste : ' if spec.item else '')}{kind}"
    if target.kind == "terme" and target.vocabulary:
        vocabulary = declaration.vocabularies[target.vocabulary]
        text += " (" + ", ".join(vocabulary.terms) + ")"
    if target.kind in ("reference", "reference_ou_texte") and target.target:
        text += f" ({declaration.types[target.target].label.lower()})"
    if spec.help:
        text += f". {spec.help}"
    return text


def render_new_file(ctype: ContentType, declaration: Declaration, title: str) -> str:
    env = Environment(
        loader=PackageLoader("generators", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["yaml_quote"] = lambda s: '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'
    template = env.get_template("nouveau.md.j2")
    return template.render(
        ctype=ctype,
        title=title,
        fields=[(spec, describe_field(spec, declaration)) for spec in ctype.fields.values() if spec.name not in IMPORT_FIELDS],
        declaration=declaration,
    )


def create_new_file(declaration: Declaration, type_name: str, title: str, slug: str | None = None) -> Path:
    """Write the file and return its path; never overwrite."""
    ctype = declaration.types.get(type_name)
    if ctype is None:
        raise NewFileError(
            f"type de contenu inconnu « {type_name} » ; types possibles : {', '.join(declaration.types)}"
        )
    slug = slug or slugify(title)
    if not slug:
        raise NewFileError("le titre ne permet pas de former un nom de fichier ; donnez --slug")
    path = declaration.root / ctype.folder / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(render_new_file(ctype, declaration, title))
    except FileExistsError:
        raise NewFileError(f"le fichier {path.relative_to(declaration.root).as_posix()} existe déjà : rien n'a été écrit") from None
    return path
