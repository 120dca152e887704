"""Plan the site's pages from validated content: pure functions, no MkDocs.

``build_pages(content, today, site_url)`` returns one ``PageSpec`` per page:
item pages, a listing per type (paginated where long), a page per vocabulary
term and per territory, the home page, the indicators, the open-data page and
the contributors' guide. ``build_outputs`` returns the other files (feeds,
calendars, exports). The MkDocs plugin only turns these into files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urljoin

from .content import ContentSet, Item, iter_references, iter_values_of_kind
from .declaration import ContentType, Declaration, FieldSpec
from .geo import Geography, Place, place_of
from .carte import LEGAL_NOTICE_URL, Tiles, item_locator, map_outputs, map_page
from .indicators import indicators_page, key_figures
from .pages import DeferredContext, PageSpec, item_url, listing_url, src_uri_for
from .newfile import KIND_HINTS, describe_field
from .opendata import data_page
from .related import Relations
from .search import listing_facets, search_metadata, search_page
from .status import AID_ORDER, aid_status, chapter_key, event_is_past, project_status
from .structured import jsonld
from .taxonomy import (
    Taxonomy,
    build_taxonomy,
    departement_url,
    group_by_type,
    region_url,
    term_url,
    vocabulary_url,
)
from .territories import TerritoryIndex
from .values import DateTimeValue, Name, PartialDate, Reference

# Fields shown by dedicated components rather than in the metadata panel.
PANEL_SKIP = frozenset({"titre", "nom", "resume", "brouillon", "a_verifier", "slug", "image", "logo", "documents", "coordonnees", "chiffres_cles"})
PAGE_SIZE = 30


@dataclass(slots=True)
class FieldView:
    name: str
    label: str
    kind: str
    value: object
    spec: FieldSpec


class Links:
    """Site-relative URLs of items, terms and places, for templates."""

    def __init__(self, content: ContentSet, taxonomy: Taxonomy | None = None) -> None:
        self.taxonomy = taxonomy
        self._urls: dict[tuple[str, str], tuple[str, str]] = {}
        for item in content.items:
            if not item.draft:
                ctype = content.declaration.types[item.type]
                self._urls[(item.type, item.slug)] = (item_url(ctype, item), item.title)

    def url(self, ref: object) -> str | None:
        """URL of an item or a reference to one; None for a plain name or a draft."""
        if isinstance(ref, (Reference, Item)):
            found = self._urls.get((ref.type, ref.slug))
            return found[0] if found else None
        if self.taxonomy is not None and hasattr(ref, "level") and hasattr(ref, "code"):
            return self.taxonomy.territory_url(ref)  # type: ignore[arg-type]
        if self.taxonomy is not None and hasattr(ref, "vocabulary"):
            return self.taxonomy.term_url(ref)  # type: ignore[arg-type]
        return None

    def title(self, ref: object) -> str:
        if isinstance(ref, Reference):
            found = self._urls.get((ref.type, ref.slug))
            return found[1] if found else ref.slug
        if isinstance(ref, Item):
            return ref.title
        if isinstance(ref, Name):
            return ref.text
        return str(getattr(ref, "label", ref))


class PanelFields:
    """An item page's panel fields (``panel_fields``), made when a template
    iterates them. It holds only the type and the item, which the page's
    context names already: the rendered-page cache digests those once per
    build instead of a second copy of every value (render_cache.py)."""

    __slots__ = ("ctype", "item")

    def __init__(self, ctype: ContentType, item: Item) -> None:
        self.ctype, self.item = ctype, item

    def __iter__(self) -> Iterator[FieldView]:
        return iter(panel_fields(self.ctype, self.item))

    def __len__(self) -> int:
        return len(panel_fields(self.ctype, self.item))

    def __bool__(self) -> bool:
        return bool(panel_fields(self.ctype, self.item))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PanelFields):
            return NotImplemented
        return self.ctype == other.ctype and self.item == other.item

    __hash__ = None  # type: ignore[assignment]  # equal by value, like the item it holds


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


def sort_key_date(item: Item) -> tuple:
    value = item.data.get("date") or item.data.get("date_debut") or item.data.get("mis_a_jour")
    if isinstance(value, DateTimeValue):
        return (value.start().replace(tzinfo=None).isoformat(), item.slug)
    if isinstance(value, PartialDate):
        return (value.first_day().isoformat(), item.slug)
    return ("", item.slug)


def by_title(items: list[Item]) -> list[Item]:
    return sorted(items, key=lambda i: (i.title.casefold(), i.slug))


def index_terms(item: Item, declaration: Declaration) -> tuple:
    """What the indexes of a build (links, taxonomy, relations) file an item
    under: its identity and title, terms, places and references."""
    fields = declaration.types[item.type].fields
    return (
        item.type, item.slug, item.draft, item.title,
        [(path, value) for path, value in iter_values_of_kind(fields, item.data, "terme")],
        [(path, value) for path, value in iter_values_of_kind(fields, item.data, "territoire")],
        [(path, ref) for path, ref in iter_references(fields, item.data)],
    )


class SitePlanner:
    """Holds the indexes shared by all pages of one build."""

    def __init__(
        self, content: ContentSet, today: date, site_url: str = "", territories: TerritoryIndex | None = None,
        tiles: Tiles | None = None, *, defer: bool = False,
    ) -> None:
        self.content = content
        # Item pages' costlier context entries computed when first needed
        # (pages.DeferredContext); only for a planner whose state stays as it
        # is until they are (not the preview server's, which rebind() changes).
        self.defer = defer
        self.tiles = tiles  # a tile server named in mkdocs.yml (carte.py), else None
        self.declaration: Declaration = content.declaration
        self.today = today
        self.site_url = site_url or ""
        self.territories = territories or TerritoryIndex.load()
        self.taxonomy = build_taxonomy(content, self.territories)
        self.links = Links(content, self.taxonomy)
        self.relations = Relations(content, self.taxonomy)
        self._search: dict[tuple[str, str], dict] = {}
        self._places: dict[tuple[str, str], Place] = {}
        self._rebound: set[tuple[str, str]] = set()  # items replaced by rebind()

    def search_of(self, item: Item) -> dict:
        """An item's search metadata (filters...), computed once per build."""
        key = (item.type, item.slug)
        if key not in self._search:
            ctype = self.declaration.types[item.type]
            self._search[key] = search_metadata(item, ctype, self.declaration, self.territories, self.today)
        return self._search[key]

    def place_of(self, item: Item) -> Place:
        """Where an item is (geo.place_of), computed once per build: its own
        page's small map and the national map both ask."""
        key = (item.type, item.slug)
        found = self._places.get(key)
        if found is None:
            found = self._places[key] = place_of(item, self.declaration.types[item.type], Geography.load())
        return found

    def rebind(self, content: ContentSet, item: Item) -> bool:
        """Take ``content``, where ``item`` replaces the one of the same type
        and slug, without building the indexes again: True when the item's
        page then comes out as from a new planner. That holds when nothing
        the indexes file it under changed (``index_terms``); other pages'
        lists still show the old version, so only its page may be planned."""
        key = (item.type, item.slug)
        if not self._rebound <= {key}:
            return False  # the indexes hold the old version of another item
        old = self.content.find(item.type, item.slug)
        if old is None or index_terms(old, self.declaration) != index_terms(item, self.declaration):
            return False
        self.content = content
        self._search.pop(key, None)
        self._places.pop(key, None)
        self._rebound.add(key)
        return True

    def published(self, type_name: str) -> list[Item]:
        return self.content.of_type(type_name)

    def common(self) -> dict:
        return {"links": self.links, "taxonomy": self.taxonomy, "today": self.today}

    # -- item pages ---------------------------------------------------------

    def item_pages(self) -> list[PageSpec]:
        pages = []
        for item in sorted(self.content.items, key=lambda i: (i.type, i.slug)):
            if not item.draft:
                pages.append(self.item_page(item))
        return pages

    def item_page(self, item: Item) -> PageSpec:
        """The page of one published item."""
        ctype = self.declaration.types[item.type]
        url = item_url(ctype, item)
        if "{chemin}" in ctype.url:
            return self._free_page(item, ctype, url)
        present = {
            **self.common(),
            "item": item,
            "ctype": ctype,
            "fields": PanelFields(ctype, item),
            "listing_url": listing_url(ctype),
        }

        def more() -> dict:
            planned = {
                "jsonld": jsonld(item, urljoin(self.site_url, url), self.site_url, self.links),
                "search": self.search_of(item),
                "locator": item_locator(item, self),
            }
            planned.update(self._type_context(item))
            return planned

        context = DeferredContext(present, more) if self.defer else {**present, **more()}
        return PageSpec(
            src_uri=src_uri_for(url),
            url=url,
            title=item.title,
            template="portail/item.html",
            markdown=item.body,
            context=context,
            description=str(item.data.get("resume") or ""),
        )

    def _free_page(self, item: Item, ctype: ContentType, url: str) -> PageSpec:
        is_home = url == ""
        context = {**self.common(), "item": item, "ctype": ctype}
        if is_home:
            context.update(self._home_context())
        if url == LEGAL_NOTICE_URL:
            context["map_tiles"] = self.tiles
        return PageSpec(
            src_uri=item.source.split("/", 1)[1] if item.source.startswith(ctype.folder + "/") else src_uri_for(url),
            url=url,
            title=item.title,
            template="portail/home.html" if is_home else "portail/page.html",
            markdown=item.body,
            context=context,
            in_nav=True,
            description=str(item.data.get("resume") or ""),
        )

    def _type_context(self, item: Item) -> dict:
        relations, today = self.relations, self.today
        if item.type == "fiche":
            return {
                "status": project_status(item, today),
                "similar": relations.similar(item, "fiche"),
                "events": relations.backlinks(item, "evenement"),
                "news": relations.backlinks(item, "actualite"),
                "resources": relations.similar(item, "ressource", limit=3),
            }
        if item.type == "evenement":
            return {
                "is_past": event_is_past(item, today),
                "sheets": [self.content.find("fiche", r.slug) for r in item.data.get("fiches_liees") or [] if self.links.url(r)],
                "news": relations.backlinks(item, "actualite"),
                "ics_url": f"{item_url(self.declaration.types['evenement'], item)}evenement.ics",
            }
        if item.type == "ressource":
            guide_ref = item.data.get("guide")
            guide = self.content.find("ressource", guide_ref.slug) if guide_ref else None
            chapters = sorted(relations.backlinks(guide or item, "ressource", "guide"), key=chapter_key)
            position = next((i for i, c in enumerate(chapters) if c.slug == item.slug), None)
            return {
                "guide": guide,
                "chapters": chapters,
                "previous": chapters[position - 1] if position else (guide if guide and position == 0 else None),
                "next": chapters[position + 1] if position is not None and position + 1 < len(chapters) else (chapters[0] if guide is None and chapters else None),
                "similar": [] if chapters else relations.similar(item, "ressource", limit=3),
            }
        if item.type == "acteur":
            return {
                "sheets": relations.backlinks(item, "fiche"),
                "events": relations.backlinks(item, "evenement"),
                "resources": relations.backlinks(item, "ressource"),
                "aids": relations.backlinks(item, "dispositif"),
            }
        if item.type == "dispositif":
            return {"aid_status": aid_status(item, today)}
        if item.type == "actualite":
            linked = [self.content.find(r.type, r.slug) for r in (item.data.get("evenements_lies") or []) + (item.data.get("fiches_liees") or [])]
            return {"linked": [i for i in linked if i is not None and not i.draft]}
        return {}

    # -- listings -----------------------------------------------------------

    def listing_pages(self) -> list[PageSpec]:
        pages: list[PageSpec] = []
        for ctype in self.declaration.types.values():
            if "{chemin}" in ctype.url:
                continue
            items = self.published(ctype.name)
            base = listing_url(ctype)
            context = {
                **self.common(),
                "ctype": ctype,
                "total": len(items),
                "search_facets": listing_facets([self.search_of(i) for i in items]),
            }
            if ctype.name == "evenement":
                pages.append(self._page(base, ctype, "portail/agenda.html", {**context, **self._agenda(items)}))
            elif ctype.name == "ressource":
                pages.append(self._page(base, ctype, "portail/ressources.html", {**context, **self._resources(items)}))
            elif ctype.name == "acteur":
                pages.append(self._page(base, ctype, "portail/annuaire.html", {**context, **self._directory(items)}))
            elif ctype.name == "dispositif":
                ordered = sorted(items, key=lambda i: (AID_ORDER[aid_status(i, self.today)], i.title.casefold(), i.slug))
                groups = [
                    {"status": status, "items": [i for i in ordered if aid_status(i, self.today) == status]}
                    for status in AID_ORDER
                ]
                pages.append(self._page(base, ctype, "portail/aides.html", {**context, "groups": [g for g in groups if g["items"]]}))
            else:
                ordered = sorted(items, key=sort_key_date, reverse=True) if ctype.name == "actualite" else by_title(items)
                facets = self._facets(items) if ctype.name == "fiche" else []
                pages.extend(self._paginated(base, ctype, ordered, {**context, "facets": facets}))
        return pages

    def _page(self, url: str, ctype: ContentType, template: str, context: dict) -> PageSpec:
        return PageSpec(src_uri=src_uri_for(url), url=url, title=ctype.list_title, template=template, context=context, in_nav=True, description=ctype.description)

    def _paginated(self, base: str, ctype: ContentType, items: list[Item], context: dict) -> list[PageSpec]:
        chunks = [items[i : i + PAGE_SIZE] for i in range(0, len(items), PAGE_SIZE)] or [[]]
        urls = [base] + [f"{base}page/{n}/" for n in range(2, len(chunks) + 1)]
        pages = []
        for number, (chunk, url) in enumerate(zip(chunks, urls), start=1):
            pagination = {
                "number": number,
                "count": len(chunks),
                "urls": urls,
                "previous": urls[number - 2] if number > 1 else None,
                "next": urls[number] if number < len(chunks) else None,
                "first_index": (number - 1) * PAGE_SIZE + 1,
                "last_index": (number - 1) * PAGE_SIZE + len(chunk),
            }
            title = ctype.list_title if number == 1 else f"{ctype.list_title} — page {number}"
            pages.append(
                PageSpec(
                    src_uri=src_uri_for(url), url=url, title=title, template="portail/listing.html",
                    context={**context, "items": chunk, "pagination": pagination},
                    in_nav=number == 1, description=ctype.description,
                )
            )
        return pages

    def _facets(self, items: list[Item]) -> list[dict]:
        """Links to term and region pages with counts: filtering without JavaScript."""
        keys = {(i.type, i.slug) for i in items}
        themes = self.declaration.vocabularies["thematiques"]
        facets = [
            {
                "label": "Par thématique",
                "entries": [
                    {"label": term.label, "url": term_url(themes, key), "count": count}
                    for key, term in themes.terms.items()
                    if (count := sum((i.type, i.slug) in keys for i in self.taxonomy.by_term.get(("thematiques", key), [])))
                ],
            },
            {
                "label": "Par région",
                "entries": [
                    {"label": region.name, "url": region_url(region), "count": count}
                    for region in self.territories.regions()
                    if (count := sum((i.type, i.slug) in keys for i in self.taxonomy.by_region.get(region.code, [])))
                ],
            },
        ]
        return [f for f in facets if f["entries"]]

    def _agenda(self, items: list[Item]) -> dict:
        upcoming = sorted((i for i in items if not event_is_past(i, self.today)), key=sort_key_date)
        past = sorted((i for i in items if event_is_past(i, self.today)), key=sort_key_date, reverse=True)
        years: dict[int, list[Item]] = {}
        for item in past:
            years.setdefault(item.data["date"].day.year, []).append(item)
        return {"upcoming": upcoming, "past_years": [{"year": y, "items": years[y]} for y in sorted(years, reverse=True)]}

    def _resources(self, items: list[Item]) -> dict:
        vocabulary = self.declaration.vocabularies["types_ressources"]
        top = [i for i in items if not i.data.get("guide")]
        groups = []
        for key, term in vocabulary.terms.items():
            members = by_title([i for i in top if i.data.get("type") and i.data["type"].key == key])
            if members:
                groups.append({"term": term, "items": members})
        chapters = {
            (i.type, i.slug): sorted(self.relations.backlinks(i, "ressource", "guide"), key=chapter_key) for i in top
        }
        return {"groups": groups, "chapters": chapters}

    def _directory(self, items: list[Item]) -> dict:
        vocabulary = self.declaration.vocabularies["types_acteurs"]
        groups = []
        for key, term in vocabulary.terms.items():
            members = by_title([i for i in items if i.data.get("type") and i.data["type"].key == key])
            if members:
                groups.append({"term": term, "items": members})
        departements = []
        for dep in self.territories.departements():
            count = sum(1 for i in self.taxonomy.by_departement.get(dep.code, []) if i.type == "acteur")
            if count:
                departements.append({"territory": dep, "url": departement_url(dep), "count": count})
        return {"groups": groups, "departements": departements}

    # -- taxonomy -----------------------------------------------------------

    def taxonomy_pages(self) -> list[PageSpec]:
        pages = []
        for name in self.taxonomy.used_vocabularies:
            vocabulary = self.declaration.vocabularies[name]
            entries = []
            for key, term in vocabulary.terms.items():
                items = self.taxonomy.by_term.get((name, key), [])
                url = term_url(vocabulary, key)
                entries.append({"term": term, "url": url, "count": len(items)})
                pages.append(
                    PageSpec(
                        src_uri=src_uri_for(url),
                        url=url,
                        title=term.label,
                        template="portail/term.html",
                        context={**self.common(), "vocabulary": vocabulary, "term": term, "groups": group_by_type(items, self.declaration), "total": len(items), "index_url": vocabulary_url(vocabulary)},
                        description=term.description,
                    )
                )
            pages.append(
                PageSpec(
                    src_uri=src_uri_for(vocabulary_url(vocabulary)),
                    url=vocabulary_url(vocabulary),
                    title=vocabulary.label,
                    template="portail/vocabulary.html",
                    context={**self.common(), "vocabulary": vocabulary, "entries": entries},
                    in_nav=name == "thematiques",
                    description=vocabulary.description,
                )
            )
        regions = []
        for region in self.territories.regions():
            items = self.taxonomy.by_region.get(region.code, [])
            departements = [
                {"territory": d, "url": departement_url(d), "count": len(self.taxonomy.by_departement[d.code])}
                for d in self.territories.departements_of(region.code)
                if self.taxonomy.by_departement.get(d.code)
            ]
            regions.append({"territory": region, "url": region_url(region), "count": len(items), "departements": departements})
            pages.append(self._territory_page(region, region_url(region), items, departements, None))
            for entry in departements:
                dep = entry["territory"]
                pages.append(self._territory_page(dep, entry["url"], self.taxonomy.by_departement[dep.code], [], {"territory": region, "url": region_url(region)}))
        pages.append(
            PageSpec(
                src_uri="territoires.md", url="territoires/", title="Territoires", template="portail/territories.html",
                context={**self.common(), "regions": regions}, in_nav=True,
                description="Les initiatives, acteurs, événements et aides de chaque région et de chaque département.",
            )
        )
        return pages

    def _territory_page(self, territory, url: str, items: list[Item], children: list[dict], parent: dict | None) -> PageSpec:
        return PageSpec(
            src_uri=src_uri_for(url), url=url, title=territory.name if territory.level == "region" else f"{territory.name} ({territory.code})",
            template="portail/territory.html",
            context={**self.common(), "territory": territory, "groups": group_by_type(items, self.declaration), "total": len(items), "children": children, "parent": parent},
            description=f"Ce que le réseau recense en {territory.name}.",
        )

    # -- home ---------------------------------------------------------------

    def _home_context(self) -> dict:
        news = sorted(self.published("actualite"), key=sort_key_date, reverse=True)[:3]
        upcoming = sorted((i for i in self.published("evenement") if not event_is_past(i, self.today)), key=sort_key_date)[:3]
        sheets = sorted(self.published("fiche"), key=sort_key_date, reverse=True)[:6]
        figures = key_figures(self.content, self.territories)
        return {"news": news, "upcoming": upcoming, "sheets": sheets, "figures": figures, "types": self.declaration.types}


def build_pages(content: ContentSet, today: date, site_url: str = "", tiles: Tiles | None = None) -> list[PageSpec]:
    return plan_pages(SitePlanner(content, today, site_url, tiles=tiles))


def plan_pages(planner: SitePlanner) -> list[PageSpec]:
    content, today, tiles = planner.content, planner.today, planner.tiles
    pages = planner.item_pages() + planner.listing_pages() + planner.taxonomy_pages()
    pages.append(map_page(planner, tiles))
    for extra in _extra_pages(content, today):
        pages.append(extra)
    pages.append(contributors_guide(content.declaration))
    return pages


def _extra_pages(content: ContentSet, today: date) -> list[PageSpec]:
    return [indicators_page(content, today), data_page(content), search_page(content)]


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


def build_outputs(content: ContentSet, today: date, site_url: str, site_name: str = "") -> list["OutputFile"]:
    """Every non-page file: feeds, calendars, open-data exports."""
    from . import feeds, opendata

    return feeds.build_outputs(content, today, site_url, site_name=site_name) + opendata.build_outputs(content, today, site_url) + map_outputs()
