"""Open-data exports under ``donnees/`` and the page that documents them.

Pure functions. ``build_outputs(content, today, site_url)`` returns, for each
exported type (fiches, acteurs, événements, dispositifs), published items only,
sorted by slug:

    donnees/<type>s.json      one record per item: every declared field
    donnees/<type>s.csv       the same, flattened to one column per value
    donnees/<type>s.geojson   the items that have coordinates (types declaring them)

and ``donnees/schemas/<type>.schema.json`` for every declared type: the JSON
Schema of the content files' front matter. ``data_page(content)`` plans the
``/donnees/`` page from the same column lists, so the documentation cannot
drift from the files.

Formats: JSON is UTF-8, indented by two spaces, key order as declared, with a
trailing newline. CSV is UTF-8 without BOM, comma separated, CRLF line ends
(RFC 4180), a header row; list values are joined with " | " (lists of objects
give one column per sub-field, positions aligned, an absent value left empty);
a territory gives two columns, names and official codes; booleans are "oui" /
"non"; decimals use a point. URLs are absolute when ``site_url`` is known,
otherwise relative to the file that holds them (see ``feeds.public_link``).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date

from .content import ContentSet, Item
from .declaration import ContentType, Declaration, FieldSpec
from .emit import OutputFile
from .feeds import FEEDS, agenda_path, feed_paths, public_link
from .geo import Geography, coordinates_field, place_of
from .schema import compile_declaration
from .pages import PageSpec, item_url
from .values import Coordinates, Image, to_plain

EXPORTED_TYPES = ("fiche", "acteur", "evenement", "dispositif")
FOLDER = "donnees"
LIST_SEPARATOR = " | "
SKIPPED_FIELDS = frozenset({"brouillon", "slug", "a_verifier"})  # always false / already the first column
# Kinds whose declared help tells editors how to write a value, not what it means.
WRITING_HELP_KINDS = frozenset({"territoire", "terme", "reference", "reference_ou_texte", "fichier", "image", "coordonnees"})

LICENCE = {
    "name": "Licence Ouverte / Open Licence version 2.0",
    "short": "Licence Ouverte 2.0 (Etalab)",
    "spdx": "etalab-2.0",
    "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}

# What a value holds in the exports (``newfile.KIND_HINTS`` says how to write it).
JSON_MEANINGS = {
    "texte": "texte",
    "entier": "nombre entier",
    "nombre": "nombre",
    "pourcentage": "pourcentage, de 0 à 100",
    "montant": "montant en euros",
    "booleen": "booléen (true ou false)",
    "date": "date ISO 8601 à l'année, au mois ou au jour : AAAA, AAAA-MM ou AAAA-MM-JJ",
    "date_heure": "date ISO 8601, avec l'heure de Paris si elle est connue : AAAA-MM-JJ ou AAAA-MM-JJTHH:MM",
    "url": "adresse web",
    "email": "adresse électronique",
    "telephone": "numéro national, chiffres groupés par deux (03 89 35 35 70)",
    "siret": "numéro SIRET, 14 chiffres",
    "slug": "identifiant",
    "territoire": "objet {code, nom, niveau} : code officiel géographique de l'Insee, nom officiel, niveau (region, departement ou commune)",
    "terme": "identifiant d'un terme du vocabulaire",
    "reference": "identifiant (slug) d'un contenu",
    "reference_ou_texte": "identifiant (slug) d'un acteur de l'annuaire, ou nom en clair",
    "fichier": "chemin du document dans le dépôt des contenus",
    "image": "objet {src, alt} : chemin de l'image dans le dépôt des contenus et texte alternatif",
    "coordonnees": "objet {lat, lon} : latitude et longitude en degrés décimaux (WGS 84)",
    "objet": "objet",
}
CSV_MEANINGS = {
    **JSON_MEANINGS,
    "booleen": "« oui » ou « non »",
    "image": "chemin de l'image dans le dépôt des contenus",
}


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a CSV file, a key of a JSON record or a GeoJSON property.

    ``path`` leads from the item's data to the value, through objects and
    lists; ``part`` says which piece of the value the column holds.
    """

    name: str
    label: str
    meaning: str
    path: tuple[str, ...] = ()
    part: str = "value"  # value, name, code, lat, lon, src; slug and url are computed


@dataclass(frozen=True, slots=True)
class DataFile:
    """One published data file, as documented on the /donnees/ page."""

    path: str
    format: str
    media_type: str
    description: str
    columns: tuple[Column, ...] = ()


def exported_types(declaration: Declaration) -> list[ContentType]:
    return [declaration.types[name] for name in EXPORTED_TYPES if name in declaration.types]


def file_stem(ctype: ContentType) -> str:
    return f"{FOLDER}/{ctype.name}s"


def schema_path(ctype: ContentType) -> str:
    return f"{FOLDER}/schemas/{ctype.name}.schema.json"


# A person's e-mail and phone inside a group (a sheet's referent, an aid's
# contacts) stay on the page, where the address is not harvestable; open data
# keeps the structure's own contact details only.
PERSONAL_KINDS = frozenset({"email", "telephone"})


def _without_personal(spec: FieldSpec, value: object) -> object:
    target = spec.item or spec
    if target.kind != "objet":
        return value
    hidden = {name for name, sub in (target.fields or {}).items() if sub.kind in PERSONAL_KINDS}
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in hidden}
    if isinstance(value, list):
        return [{k: v for k, v in v.items() if k not in hidden} if isinstance(v, dict) else v for v in value]
    return value


def exported_fields(ctype: ContentType) -> list[FieldSpec]:
    return [spec for name, spec in ctype.fields.items() if name not in SKIPPED_FIELDS]


# -- column plans -------------------------------------------------------------


def _meaning(spec: FieldSpec, declaration: Declaration, meanings: dict[str, str]) -> str:
    target = spec.item or spec
    text = meanings.get(target.kind, target.kind)
    if target.kind == "terme" and target.vocabulary:
        text += f" « {declaration.vocabularies[target.vocabulary].label} »"
    if target.kind == "reference" and target.target:
        text += f" de type « {declaration.types[target.target].label} »"
    if target.kind == "objet" and target.fields:
        text += " {" + ", ".join(target.fields) + "}"
    if spec.item is not None:
        text = "liste : " + text
    return text + _help(spec)


def _help(spec: FieldSpec) -> str:
    """The declared help, where it says what the value means rather than how to write it."""
    if not spec.help or (spec.item or spec).kind in WRITING_HELP_KINDS:
        return ""
    return f". {spec.help}"


def _key_columns() -> list[Column]:
    return [
        Column("slug", "Identifiant", "identifiant du contenu, stable (nom de son fichier)"),
        Column("url", "Adresse de la page", "adresse de la page du contenu sur le portail"),
    ]


def json_columns(ctype: ContentType, declaration: Declaration) -> list[Column]:
    """The keys of a JSON record, in order."""
    return _key_columns() + [
        Column(spec.name, spec.label, _meaning(spec, declaration, JSON_MEANINGS), (spec.name,)) for spec in exported_fields(ctype)
    ]


def csv_columns(ctype: ContentType, declaration: Declaration) -> list[Column]:
    """The CSV header, one column per value reached through objects and lists."""
    columns = _key_columns()
    for spec in exported_fields(ctype):
        columns.extend(_csv_field_columns(spec, declaration, (spec.name,), spec.label, in_list=False))
    return columns


def _csv_field_columns(spec: FieldSpec, declaration: Declaration, path: tuple[str, ...], label: str, in_list: bool) -> list[Column]:
    target = spec.item or spec
    in_list = in_list or spec.item is not None
    name = "_".join(path)
    listed = f" ; valeurs séparées par « {LIST_SEPARATOR.strip()} »" if in_list else ""
    if target.kind == "objet":
        columns = []
        for sub in (target.fields or {}).values():
            if sub.kind in PERSONAL_KINDS:
                continue
            columns.extend(_csv_field_columns(sub, declaration, path + (sub.name,), f"{label} — {sub.label}", in_list))
        return columns
    if target.kind == "territoire":
        return [
            Column(name, label, f"nom officiel du territoire (région, département ou commune){listed}", path, "name"),
            Column(f"{name}_codes", f"{label} (codes)", f"code officiel géographique de l'Insee, dans le même ordre{listed}", path, "code"),
        ]
    if target.kind == "coordonnees":
        return [
            Column(f"{name}_lat", f"{label} — latitude", f"latitude en degrés décimaux (WGS 84){listed}", path, "lat"),
            Column(f"{name}_lon", f"{label} — longitude", f"longitude en degrés décimaux (WGS 84){listed}", path, "lon"),
        ]
    # The element's meaning without "liste :": ``listed`` says how the values are joined.
    element = FieldSpec(name=spec.name, kind=target.kind, vocabulary=target.vocabulary, target=target.target, fields=target.fields)
    meaning = _meaning(element, declaration, CSV_MEANINGS)
    return [Column(name, label, meaning + listed + _help(spec), path, "src" if target.kind == "image" else "value")]


GEOJSON_COLUMNS = (
    Column("slug", "Identifiant", "identifiant du contenu, stable (nom de son fichier)"),
    Column("titre", "Titre", "titre ou nom du contenu"),
    Column("url", "Adresse de la page", "adresse de la page du contenu sur le portail"),
    Column("type", "Type de contenu", "type de contenu (fiche, acteur, evenement ou dispositif)"),
    Column(
        "localisation", "Précision du point",
        "« exacte » (coordonnées données par le contenu) ou « centre de la commune » (centre officiel de sa commune)",
    ),
)


def data_files(declaration: Declaration) -> list[DataFile]:
    """Every file ``build_outputs`` writes, with its documentation."""
    files: list[DataFile] = []
    for ctype in exported_types(declaration):
        stem, label = file_stem(ctype), ctype.label_plural
        files.append(
            DataFile(
                f"{stem}.json", "JSON", "application/json",
                f"{label} : un enregistrement par contenu, tous les champs, listes et objets imbriqués.",
                tuple(json_columns(ctype, declaration)),
            )
        )
        files.append(
            DataFile(
                f"{stem}.csv", "CSV", "text/csv",
                f"{label} : une ligne par contenu, pour un tableur.",
                tuple(csv_columns(ctype, declaration)),
            )
        )
        if coordinates_field(ctype):
            files.append(
                DataFile(
                    f"{stem}.geojson", "GeoJSON", "application/geo+json",
                    f"{label} : un point (longitude, latitude) par contenu localisé, pour une carte : ses coordonnées, "
                    "sinon le centre de sa commune ; les contenus connus seulement à l'échelle d'un département "
                    "ou d'une région n'y figurent pas. La carte du portail lit les mêmes points.",
                    GEOJSON_COLUMNS,
                )
            )
    for ctype in declaration.types.values():
        files.append(
            DataFile(
                schema_path(ctype), "JSON Schema", "application/schema+json",
                f"Schéma des fichiers de contenu de type « {ctype.label} » : champs, types de valeurs et vocabulaires.",
            )
        )
    return files


# -- values -------------------------------------------------------------------


def _leaves(value: object, path: tuple[str, ...]) -> list[object]:
    """The values at ``path``, one per list element crossed (None where absent)."""
    if not path:
        return list(value) if isinstance(value, list) else [value]
    if isinstance(value, list):
        return [leaf for element in value for leaf in _leaves(element, path)]
    if not isinstance(value, dict):
        return [None]
    return _leaves(value.get(path[0]), path[1:])


def _cell_part(value: object, part: str) -> str:
    if value is None:
        return ""
    if part == "name":
        return str(getattr(value, "name", value))
    if part == "code":
        return str(getattr(value, "code", ""))
    if isinstance(value, Coordinates):
        return repr(value.lat if part == "lat" else value.lon)
    if isinstance(value, Image):
        return value.src.path
    plain = to_plain(value)
    if isinstance(plain, bool):
        return "oui" if plain else "non"
    return "" if plain is None else str(plain)


def csv_cell(item: Item, column: Column) -> str:
    leaves = _leaves(item.data, column.path)
    if leaves == [None]:
        return ""
    return LIST_SEPARATOR.join(_cell_part(leaf, column.part) for leaf in leaves)


def json_value(spec: FieldSpec, value: object) -> object:
    """``to_plain`` (territories become {code, nom, niveau}); absent lists are []."""
    if value is None:
        return [] if spec.item is not None else None
    return to_plain(value)


def items_by_slug(content: ContentSet, ctype: ContentType) -> list[Item]:
    return sorted(content.of_type(ctype.name), key=lambda i: i.slug)


def record(item: Item, ctype: ContentType, url: str) -> dict:
    data = {"slug": item.slug, "url": url}
    for spec in exported_fields(ctype):
        data[spec.name] = _without_personal(spec, json_value(spec, item.data.get(spec.name)))
    return data


# -- files --------------------------------------------------------------------


def json_bytes(data: object) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


def json_file(content: ContentSet, ctype: ContentType, site_url: str) -> OutputFile:
    path = f"{file_stem(ctype)}.json"
    records = [record(i, ctype, public_link(site_url, item_url(ctype, i), path)) for i in items_by_slug(content, ctype)]
    return OutputFile(path, json_bytes(records))


def csv_file(content: ContentSet, ctype: ContentType, site_url: str) -> OutputFile:
    path = f"{file_stem(ctype)}.csv"
    columns = csv_columns(ctype, content.declaration)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    for item in items_by_slug(content, ctype):
        url = public_link(site_url, item_url(ctype, item), path)
        keys = {"slug": item.slug, "url": url}
        writer.writerow([csv_cell(item, c) if c.path else keys[c.name] for c in columns])
    return OutputFile(path, buffer.getvalue().encode("utf-8"))


def geojson_file(content: ContentSet, ctype: ContentType, site_url: str) -> OutputFile | None:
    field = coordinates_field(ctype)
    if field is None:
        return None
    path = f"{file_stem(ctype)}.geojson"
    features = []
    geography = Geography.load()
    for item in items_by_slug(content, ctype):
        place = place_of(item, ctype, geography)  # the map's own rule (geo.py)
        point = place.point
        if point is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [point.lon, point.lat]},  # GeoJSON order (RFC 7946)
                "properties": {
                    "slug": item.slug,
                    "titre": item.title,
                    "url": public_link(site_url, item_url(ctype, item), path),
                    "type": ctype.name,
                    "localisation": place.precision,
                },
            }
        )
    return OutputFile(path, json_bytes({"type": "FeatureCollection", "features": features}))


def schema_files(declaration: Declaration) -> list[OutputFile]:
    compiled = compile_declaration(declaration)
    return [OutputFile(schema_path(ctype), json_bytes(compiled[name].json_schema())) for name, ctype in declaration.types.items()]


def build_outputs(content: ContentSet, today: date, site_url: str) -> list[OutputFile]:
    """Every file under donnees/. ``today`` is unused: exports do not depend on the date."""
    outputs: list[OutputFile] = []
    for ctype in exported_types(content.declaration):
        outputs.append(json_file(content, ctype, site_url))
        outputs.append(csv_file(content, ctype, site_url))
        geojson = geojson_file(content, ctype, site_url)
        if geojson is not None:
            outputs.append(geojson)
    outputs.extend(schema_files(content.declaration))
    return outputs


# -- the /donnees/ page -------------------------------------------------------


def data_page(content: ContentSet) -> PageSpec:
    """/donnees/: every file with its format, its columns and the licence."""
    declaration = content.declaration
    files = data_files(declaration)
    datasets = []
    for ctype in exported_types(declaration):
        stem = file_stem(ctype) + "."
        datasets.append(
            {
                "ctype": ctype,
                "count": len(content.of_type(ctype.name)),
                "files": [f for f in files if f.path.startswith(stem)],
            }
        )
    feeds = []
    for spec in FEEDS:
        if spec.type in declaration.types:
            label = declaration.types[spec.type].label_plural
            paths = feed_paths(spec)
            feeds.append({"path": paths["rss"], "format": "RSS 2.0", "title": label, "description": spec.description})
            feeds.append({"path": paths["atom"], "format": "Atom", "title": label, "description": spec.description})
    if "evenement" in declaration.types:
        feeds.append(
            {
                "path": agenda_path(content),
                "format": "iCalendar",
                "title": declaration.types["evenement"].label_plural,
                "description": "Tous les événements, à ajouter à un agenda (Google Agenda, Outlook, Thunderbird) par son adresse.",
            }
        )
    return PageSpec(
        src_uri="donnees.md",
        url="donnees/",
        title="Données ouvertes",
        template="portail/donnees.html",
        context={
            "licence": LICENCE,
            "datasets": datasets,
            "schemas": [f for f in files if f.format == "JSON Schema"],
            "feeds": feeds,
            "list_separator": LIST_SEPARATOR.strip(),
        },
        in_nav=True,
        description="Les fiches, acteurs, événements et aides du réseau en fichiers ouverts (JSON, CSV, GeoJSON), sous Licence Ouverte 2.0.",
    )
