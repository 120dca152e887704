"""The web editor at ``/admin/``: Decap CMS, configured from the declaration.

``decap_config`` turns the content-type declaration into Decap's
``config.yml``: one folder collection per type, one form field per declared
field (kinds mapped to Decap widgets, vocabularies as select lists, required
flags, patterns), so a field added to ``config/types.yml`` appears in the
form with nothing else to edit. ``admin_outputs`` gives every file of
``/admin/`` (the page, the configuration and Decap's self-hosted bundle) as
``OutputFile``s for ``emit.py``; nothing here writes a file.

Decap's bundle comes from the pinned npm package in ``admin/`` (``npm ci``
there, done by ``scripts/setup_admin.sh``); it is looked up in the project
first, then beside this package's sources.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined

from .declaration import ContentType, Declaration, FieldSpec
from .emit import OutputFile
from .fields import YEAR_RE

BACKENDS = ("github", "gitlab", "gitea")
ADMIN_DIR = "admin"
BUNDLE_SUBDIR = Path("admin/node_modules/decap-cms/dist")
BUNDLE_SCRIPT = "decap-cms.js"
BODY_FIELD = "body"  # Decap's name for the Markdown body below the front matter

# Decap's YAML parser (``yaml``, YAML 1.2) types scalars; our reader does not,
# and accepts what Decap writes back: numbers, true/false, plain strings.
DATE_PATTERN = YEAR_RE.pattern  # the validator's own (JavaScript reads it the same way)
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SIRET_PATTERN = r"^\d{3} ?\d{3} ?\d{3} ?\d{5}$"
URL_PATTERN = r"^https?://\S+$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

HINTS = {  # how to write a value, shown under the field when it has no help of its own
    "date": "Année, mois ou jour : 2015, 2015-03 ou 2015-03-21.",
    "territoire": "Région, département (nom ou numéro) ou commune (nom ou code INSEE).",
    "reference_ou_texte": "L'identifiant d'un acteur de l'annuaire (par exemple « ressourcerie-des-biscottes ») ou, à défaut, son nom.",
    "telephone": "Par exemple 03 89 35 35 70.",
    "slug": "Minuscules sans accent, chiffres et tirets. Par défaut, le nom du fichier.",
}


@dataclass(frozen=True, slots=True)
class EditorSettings:
    """The site-specific part of Decap's configuration (the plugin's ``editor`` options)."""

    backend: str = "github"
    repo: str = ""
    branch: str = "main"
    base_url: str | None = None  # OAuth server (GitHub, Gitea)
    auth_endpoint: str | None = None
    api_root: str | None = None  # self-hosted GitLab or Gitea API
    app_id: str | None = None  # OAuth application (GitLab PKCE, Gitea)
    auth_type: str | None = None  # "pkce" for GitLab without a server
    local_backend: bool | str = False  # True, or decap-server's URL (…/api/v1)
    media_folder: str = "content/medias"  # repository folder of uploads
    media_folders: dict[str, str] = field(default_factory=dict)  # per type, overriding media_folder
    docs_dir: str = "content"  # repository folder published at the site's root
    site_url: str = ""


def decap_config(declaration: Declaration, settings: EditorSettings) -> dict:
    """Decap CMS's configuration, as the mapping written to ``config.yml``."""
    backend: dict = {"name": settings.backend, "repo": settings.repo, "branch": settings.branch}
    for key in ("base_url", "auth_endpoint", "api_root", "app_id", "auth_type"):
        value = getattr(settings, key)
        if value:
            backend[key] = value
    config: dict = {"backend": backend}
    if settings.local_backend:
        config["local_backend"] = (
            {"url": settings.local_backend} if isinstance(settings.local_backend, str) else True
        )
    config.update(
        {
            "publish_mode": "editorial_workflow",
            "locale": "fr",
            "media_folder": settings.media_folder.strip("/"),
            # Absolute, under the site's path (a site may live in a sub-folder).
            "public_folder": urlsplit(settings.site_url).path.rstrip("/")
            + "/"
            + _published_folder(settings.media_folder, settings.docs_dir),
            # File names as `portail new` makes them: lower case, ASCII, hyphens
            # (but Decap drops an apostrophe where `portail new` puts a hyphen).
            "slug": {"encoding": "ascii", "clean_accents": True, "sanitize_replacement": "-"},
            "editor": {"preview": False},  # Decap's preview is not the site's page
        }
    )
    if settings.site_url:
        config["site_url"] = settings.site_url
    config["collections"] = [_collection(ctype, declaration, settings) for ctype in declaration.types.values()]
    return config


def config_yaml(declaration: Declaration, settings: EditorSettings) -> str:
    header = (
        "# Configuration de l'éditeur web (Decap CMS), produite par portail à partir\n"
        "# de config/types.yml et config/vocabulaires.yml : ne pas la modifier à la main.\n"
    )
    return header + yaml.safe_dump(
        decap_config(declaration, settings), allow_unicode=True, sort_keys=False, width=1000
    )


def _collection(ctype: ContentType, declaration: Declaration, settings: EditorSettings) -> dict:
    media = settings.media_folders.get(ctype.name, settings.media_folder).strip("/")
    # Relative to the entry's folder: Decap then writes the paths our
    # validator reads (a file path is relative to the content file).
    relative_media = posixpath.relpath(media, ctype.folder)
    fields = [_field(spec, declaration) for spec in _ordered_fields(ctype)]
    fields.append({"label": "Texte", "name": BODY_FIELD, "widget": "markdown", "required": False})
    collection = {
        "name": ctype.name,
        "label": ctype.label_plural,
        "label_singular": ctype.label,
        "description": ctype.description,
        "folder": ctype.folder,
        "create": True,
        "extension": "md",
        "format": "yaml-frontmatter",
        "slug": "{{slug}}",
        "identifier_field": ctype.title_field,
        "summary": "{{" + ctype.title_field + "}}",
        "media_folder": relative_media,
        "public_folder": relative_media,
        "fields": fields,
    }
    return collection


def _ordered_fields(ctype: ContentType) -> list[FieldSpec]:
    """The title field first, then the declaration's order."""
    specs = list(ctype.fields.values())
    return sorted(specs, key=lambda spec: spec.name != ctype.title_field)


def _field(spec: FieldSpec, declaration: Declaration) -> dict:
    """One declared field as a Decap field (widget and options).

    Decap checks the required sub-fields of a group even when the group is
    optional and left empty; inside an optional group, ``portail validate``
    alone checks them.
    """
    result: dict = {"label": spec.label, "name": spec.name}
    hint = spec.help or HINTS.get((spec.item or spec).kind, "")
    if spec.example is not None and spec.kind not in ("objet", "liste"):
        hint = f"{hint} Exemple : {spec.example}".strip()
    if hint:
        result["hint"] = hint
    result["required"] = spec.required
    result.update(_widget(spec, declaration))
    if spec.kind in ("objet", "image", "coordonnees") and not result["required"]:
        for sub in result["fields"]:
            _make_optional(sub)
    return result


def _make_optional(decap_field: dict) -> None:
    decap_field["required"] = False
    if decap_field.get("widget") == "object":
        for sub in decap_field["fields"]:
            _make_optional(sub)


def _widget(spec: FieldSpec, declaration: Declaration) -> dict:
    kind = spec.kind
    if kind == "liste":
        return _list_widget(spec, declaration)
    if kind == "texte":
        options: dict = {"widget": "text" if (spec.max_chars or 0) > 200 else "string"}
        if spec.pattern:
            options["pattern"] = [spec.pattern, f"Format attendu, par exemple : {spec.example or spec.pattern}"]
        return options
    if kind == "entier":
        return _number(spec, "int")
    if kind in ("nombre", "montant"):
        return _number(spec, "float", low=0 if kind == "montant" else None)
    if kind == "pourcentage":
        return _number(spec, "float", low=0, high=100)
    if kind == "booleen":
        return {"widget": "boolean"}
    if kind == "date":
        # Partial dates (2015, 2015-03) have no date picker: a checked text.
        return {"widget": "string", "pattern": [DATE_PATTERN, "Une date : 2015, 2015-03 ou 2015-03-21."]}
    if kind == "date_heure":
        return {
            "widget": "datetime",
            "format": "YYYY-MM-DD HH:mm",
            "date_format": "YYYY-MM-DD",
            "time_format": "HH:mm",
        }
    if kind == "url":
        return {"widget": "string", "pattern": [URL_PATTERN, "Une adresse web commençant par https://."]}
    if kind == "email":
        return {"widget": "string", "pattern": [EMAIL_PATTERN, "Une adresse électronique (nom@domaine.fr)."]}
    if kind == "siret":
        return {"widget": "string", "pattern": [SIRET_PATTERN, "Un SIRET : 14 chiffres."]}
    if kind == "slug":
        return {"widget": "string", "pattern": [SLUG_PATTERN, "Minuscules sans accent, chiffres et tirets."]}
    if kind == "terme":
        return _select(spec, declaration)
    if kind == "reference":
        target = declaration.types[spec.target or ""]
        return {
            "widget": "relation",
            "collection": target.name,
            "value_field": "{{slug}}",
            "search_fields": [target.title_field],
            "display_fields": [target.title_field],
        }
    if kind == "fichier":
        return {"widget": "file", "choose_url": False}
    if kind == "image":
        return {"widget": "object", "collapsed": False, "fields": _image_fields()}
    if kind == "coordonnees":
        return {
            "widget": "object",
            "fields": [
                {"label": "Latitude", "name": "lat", "required": True, "widget": "number", "value_type": "float", "min": -90, "max": 90},
                {"label": "Longitude", "name": "lon", "required": True, "widget": "number", "value_type": "float", "min": -180, "max": 180},
            ],
        }
    if kind == "objet":
        return {"widget": "object", "collapsed": False, "fields": [_field(sub, declaration) for sub in (spec.fields or {}).values()]}
    # telephone, territoire, reference_ou_texte: free text, checked by `portail validate`
    return {"widget": "string"}


def _list_widget(spec: FieldSpec, declaration: Declaration) -> dict:
    item = spec.item
    assert item is not None
    if item.kind == "terme":
        return {**_select(item, declaration), "multiple": True, **({"min": 1} if spec.required else {})}
    if item.kind == "reference":
        return {**_widget(item, declaration), "multiple": True, **({"min": 1} if spec.required else {})}
    options: dict = {"widget": "list", "collapsed": False}
    if spec.required:
        options["min"] = 1
    if item.kind == "objet":
        options["fields"] = [_field(sub, declaration) for sub in (item.fields or {}).values()]
        options["summary"] = "{{" + next(iter(item.fields or {"": None})) + "}}"
    elif item.kind in ("image", "coordonnees"):
        options["fields"] = _widget(item, declaration)["fields"]
    else:
        options["field"] = {"label": spec.label, "name": spec.name, **_widget(item, declaration)}
    return options


def _select(spec: FieldSpec, declaration: Declaration) -> dict:
    vocabulary = declaration.vocabularies[spec.vocabulary or ""]
    return {
        "widget": "select",
        "options": [{"label": term.label, "value": term.key} for term in vocabulary.terms.values()],
    }


def _number(spec: FieldSpec, value_type: str, low: float | None = None, high: float | None = None) -> dict:
    options: dict = {"widget": "number", "value_type": value_type}
    low = spec.minimum if spec.minimum is not None else low
    high = spec.maximum if spec.maximum is not None else high
    if low is not None:
        options["min"] = _tidy(low)
    if high is not None:
        options["max"] = _tidy(high)
    return options


def _tidy(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


def _image_fields() -> list[dict]:
    """Our image object (see ``schema.IMAGE_FIELDS``) as Decap fields."""
    return [
        {"label": "Image", "name": "src", "widget": "image", "required": True, "choose_url": False},
        {
            "label": "Texte alternatif",
            "name": "alt",
            "widget": "string",
            "required": False,
            "hint": "Ce que montre l'image, pour les personnes qui ne la voient pas. Obligatoire sauf pour une image décorative.",
        },
        {
            "label": "Image décorative",
            "name": "decoratif",
            "widget": "boolean",
            "required": False,
            "hint": "Cochez si l'image n'apporte aucune information (le texte alternatif est alors vide).",
        },
        {"label": "Légende", "name": "legende", "widget": "string", "required": False},
    ]


def _published_folder(media_folder: str, docs_dir: str) -> str:
    """Where files of ``media_folder`` are published: under docs_dir, the path inside it."""
    folder, docs = media_folder.strip("/"), docs_dir.strip("/")
    return folder[len(docs) + 1 :] if folder.startswith(docs + "/") else folder


# --------------------------------------------------------------------------
# The files of /admin/


def find_bundle(root: Path) -> Path | None:
    """Decap's dist folder: in the project, else beside the portail sources."""
    for base in (root, Path(__file__).resolve().parent.parent):
        candidate = base / BUNDLE_SUBDIR
        if (candidate / BUNDLE_SCRIPT).is_file():
            return candidate
    return None


def bundle_files(bundle: Path) -> list[Path]:
    """The bundle's script, its lazily loaded chunks and WebAssembly (no source maps)."""
    files = [bundle / BUNDLE_SCRIPT, *bundle.glob("*.decap-cms.js"), *bundle.glob("*.wasm")]
    return sorted(path for path in files if path.is_file())


def admin_page(site_name: str, favicon: str = "") -> str:
    """/admin/index.html; ``favicon`` is relative to the site root."""
    env = Environment(loader=PackageLoader("generators", "templates"), autoescape=True, undefined=StrictUndefined)
    return env.get_template("admin.html.j2").render(site_name=site_name, script=BUNDLE_SCRIPT, favicon=favicon)


def admin_outputs(
    declaration: Declaration, settings: EditorSettings, bundle: Path, site_name: str, favicon: str = ""
) -> list[OutputFile]:
    """Every file of /admin/: the page, config.yml and Decap's bundle."""
    outputs = [
        OutputFile(f"{ADMIN_DIR}/index.html", admin_page(site_name, favicon).encode("utf-8")),
        OutputFile(f"{ADMIN_DIR}/config.yml", config_yaml(declaration, settings).encode("utf-8")),
    ]
    outputs += [OutputFile(f"{ADMIN_DIR}/{path.name}", path.read_bytes()) for path in bundle_files(bundle)]
    return outputs
