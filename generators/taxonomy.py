"""Term and territory pages: everything tagged with a term or a place, across types.

Pure functions over validated content. A term page lists every published item
whose fields carry the term; a territory page (region or department) lists
every item placed in it, directly or through one of its communes or
departments.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .content import ContentSet, Item, iter_values_of_kind
from .declaration import Declaration, Vocabulary
from .fields import slugify
from .territories import Territory, TerritoryIndex
from .values import Term


def vocabulary_url(vocabulary: Vocabulary) -> str:
    """Folder of a vocabulary's pages: its declared ``adresse``, else its name with hyphens."""
    return vocabulary.url + "/"


def term_url(vocabulary: Vocabulary, key: str) -> str:
    return f"{vocabulary_url(vocabulary)}{key}/"


def region_url(region: Territory) -> str:
    return f"territoires/{slugify(region.name)}/"


def departement_url(departement: Territory) -> str:
    return f"territoires/{departement.code.lower()}-{slugify(departement.name)}/"


@dataclass
class Taxonomy:
    """Which items carry which term, and which items are in which place."""

    declaration: Declaration
    territories: TerritoryIndex
    by_term: dict[tuple[str, str], list[Item]] = field(default_factory=lambda: defaultdict(list))
    by_region: dict[str, list[Item]] = field(default_factory=lambda: defaultdict(list))
    by_departement: dict[str, list[Item]] = field(default_factory=lambda: defaultdict(list))
    used_vocabularies: list[str] = field(default_factory=list)

    def territory_url(self, territory: Territory) -> str | None:
        """The page a territory value links to: its department, else its region."""
        if territory.level == "region":
            return region_url(territory)
        code = territory.code if territory.level == "departement" else territory.departement
        if code and code in self.by_departement:
            return departement_url(self.territories.departement(code))
        if territory.region:
            return region_url(self.territories.region(territory.region))
        return None

    def term_url(self, term: Term) -> str:
        return term_url(self.declaration.vocabularies[term.vocabulary], term.key)


def build_taxonomy(content: ContentSet, territories: TerritoryIndex) -> Taxonomy:
    declaration = content.declaration
    taxonomy = Taxonomy(declaration=declaration, territories=territories)
    used: set[str] = set()
    for ctype in declaration.types.values():
        for spec in ctype.fields.values():
            target = spec.item or spec
            if target.kind == "terme" and target.vocabulary:
                used.add(target.vocabulary)
    taxonomy.used_vocabularies = [name for name in declaration.vocabularies if name in used]
    for item in sorted((i for i in content.items if not i.draft), key=lambda i: (i.type, i.slug)):
        fields = declaration.types[item.type].fields
        seen_terms: set[tuple[str, str]] = set()
        for _, term in iter_values_of_kind(fields, item.data, "terme"):
            key = (term.vocabulary, term.key)
            if key not in seen_terms:
                seen_terms.add(key)
                taxonomy.by_term[key].append(item)
        regions: set[str] = set()
        departements: set[str] = set()
        for _, place in iter_values_of_kind(fields, item.data, "territoire"):
            if place.region:
                regions.add(place.region)
            if place.level == "region":
                regions.add(place.code)
            elif place.level == "departement":
                departements.add(place.code)
            elif place.departement:
                departements.add(place.departement)
        for code in sorted(regions):
            taxonomy.by_region[code].append(item)
        for code in sorted(departements):
            taxonomy.by_departement[code].append(item)
    return taxonomy


def group_by_type(items: list[Item], declaration: Declaration) -> list[dict]:
    """Items grouped in the declaration's type order, each group with its count."""
    groups = []
    for name, ctype in declaration.types.items():
        members = sorted((i for i in items if i.type == name), key=lambda i: (i.title.casefold(), i.slug))
        if members:
            groups.append({"ctype": ctype, "items": members, "count": len(members)})
    return groups
