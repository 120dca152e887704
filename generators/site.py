"""Build the site's pages from validated content: pure functions, no MkDocs.

``build_pages(content, today)`` returns one ``PageSpec`` per page to publish:
an item page for every published item, a listing per type, and the
contributors' guide generated from the declaration. The MkDocs plugin only
turns these specs into files; another engine could do the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath

from .content import ContentSet, Item
from .declaration import ContentType, Declaration, FieldSpec
from .newfile import KIND_HINTS, describe_field
from .values import DateTimeValue, Name, PartialDate, Reference

# Fields shown by dedicated components rather than in the metadata panel.
PANEL_SKIP = frozenset({"titre", "nom", "resume", "brouillon", "slug", "image", "logo", "documents", "coordonnees", "chiffres_cles"})


@dataclass(slots=True)
class PageSpec:
    """A page to publish; ``src_uri`` is its virtual source path."""

    src_uri: str
    url: str
    title: str
    template: str
    markdown: str = ""
    context: dict = field(default_factory=dict)
    in_nav: bool = False
    description: str = ""


@dataclass(slots=True)
class FieldView:
    name: str
    label: str
    kind: str
    value: object
    spec: FieldSpec


class Links:
    """Site-relative URLs of items, for templates to link references."""

    def __init__(self, content: ContentSet) -> None:
        self._urls: dict[tuple[str, str], tuple[str, str]] = {}
        for item in content.items:
            if not item.draft:
                ctype = content.declaration.types[item.type]
                self._urls[(item.type, item.slug)] = (item_url(ctype, item), item.title)

    def url(self, ref: object) -> str | None:
        if isinstance(ref, Reference):
            found = self._urls.get((ref.type, ref.slug))
            return found[0] if found else None
        if isinstance(ref, Item):
            found = self._urls.get((ref.type, ref.slug))
            return found[0] if found else None
        return None

    def title(self, ref: object) -> str:
        if isinstance(ref, Reference):
            found = self._urls.get((ref.type, ref.slug))
            return found[1] if found else ref.slug
        if isinstance(ref, Name):
            return ref.text
        return str(ref)


def item_url(ctype: ContentType, item: Item) -> str:
    """The item's URL path, relative to the site root, ending with "/"."""
    if "{chemin}" in ctype.url:
        relative = PurePosixPath(item.source).relative_to(ctype.folder).with_suffix("")
        path = relative.as_posix()
        if path == "index":
            return ""
        if path.endswith("/index"):
            path = path[: -len("/index")]
        return ctype.url.replace("{chemin}", path).lstrip("/")
    return ctype.url.replace("{slug}", item.slug).lstrip("/")


def src_uri_for(url: str) -> str:
    """The virtual Markdown path MkDocs maps to ``url`` with directory URLs."""
    return "index.md" if url in ("", "/") else url.rstrip("/") + ".md"


def panel_fields(ctype: ContentType, item: Item) -> list[FieldView]:
    """The declared fields with a value, in declaration order, for the panel."""
    views = []
    for name, spec in ctype.fields.items():
        if name in PANEL_SKIP or name == ctype.title_field:
            continue
        value = item.data.get(name)
        if value is None or value == [] or value == {}:
            continue
        views.append(FieldView(name=name, label=spec.label, kind=(spec.item or spec).kind, value=value, spec=spec))
    return views


def project_status(item: Item, today: date) -> str | None:
    """"en projet", "en cours" or "terminé" from an initiative's dates."""
    start, end = item.data.get("date_debut"), item.data.get("date_fin")
    if not isinstance(start, PartialDate) and not isinstance(end, PartialDate):
        return None
    if isinstance(start, PartialDate) and start.first_day() > today:
        return "en projet"
    if isinstance(end, PartialDate) and end.last_day() < today:
        return "terminé"
    return "en cours"


def sort_key_date(item: Item) -> tuple:
    value = item.data.get("date") or item.data.get("date_debut") or item.data.get("mis_a_jour")
    if isinstance(value, DateTimeValue):
        return (value.start().replace(tzinfo=None).isoformat(), item.slug)
    if isinstance(value, PartialDate):
        return (value.first_day().isoformat(), item.slug)
    return ("", item.slug)


def build_pages(content: ContentSet, today: date) -> list[PageSpec]:
    declaration = content.declaration
    links = Links(content)
    pages: list[PageSpec] = []
    for item in sorted(content.items, key=lambda i: (i.type, i.slug)):
        if item.draft:
            continue
        ctype = declaration.types[item.type]
        url = item_url(ctype, item)
        is_page = "{chemin}" in ctype.url
        pages.append(
            PageSpec(
                src_uri=item.source.split("/", 1)[1] if is_page and item.source.startswith("content/") else src_uri_for(url),
                url=url,
                title=item.title,
                template="portail/page.html" if is_page else f"portail/item.html",
                markdown=item.body,
                context={
                    "item": item,
                    "ctype": ctype,
                    "fields": panel_fields(ctype, item),
                    "status": project_status(item, today) if item.type == "fiche" else None,
                    "links": links,
                    "today": today,
                },
                in_nav=is_page,
                description=str(item.data.get("resume") or ""),
            )
        )
    for ctype in declaration.types.values():
        if "{chemin}" in ctype.url:
            continue
        items = [i for i in content.of_type(ctype.name)]
        items.sort(key=lambda i: (i.title.casefold(), i.slug))
        if ctype.name in ("actualite", "evenement"):
            items.sort(key=sort_key_date, reverse=True)
        base = ctype.url.split("{", 1)[0]
        pages.append(
            PageSpec(
                src_uri=src_uri_for(base),
                url=base,
                title=ctype.label_plural,
                template="portail/listing.html",
                context={"ctype": ctype, "items": items, "links": links, "today": today},
                in_nav=True,
                description=ctype.description,
            )
        )
    pages.append(contributors_guide(declaration))
    return pages


def contributors_guide(declaration: Declaration) -> PageSpec:
    """/contribuer/: every type, field and vocabulary term, from the declaration."""
    types = []
    for ctype in declaration.types.values():
        rows = []
        for spec in ctype.fields.values():
            target = spec.item or spec
            rows.append(
                {
                    "name": spec.name,
                    "label": spec.label,
                    "required": spec.required,
                    "kind": ("liste : " if spec.item else "") + KIND_HINTS.get(target.kind, target.kind),
                    "vocabulary": declaration.vocabularies.get(target.vocabulary or "") if target.kind == "terme" else None,
                    "target": declaration.types[target.target].label if target.target else None,
                    "help": spec.help,
                    "example": spec.example,
                    "subfields": list((target.fields or {}).values()),
                }
            )
        types.append({"ctype": ctype, "rows": rows, "example_command": f'portail new {ctype.name} "Mon titre"'})
    return PageSpec(
        src_uri="contribuer.md",
        url="contribuer/",
        title="Guide des contributeurs",
        template="portail/contribuer.html",
        context={"types": types, "vocabularies": list(declaration.vocabularies.values()), "describe": describe_field, "declaration": declaration},
        in_nav=True,
        description="Comment écrire chaque type de contenu du portail : champs, valeurs possibles et vocabulaires.",
    )
