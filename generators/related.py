"""Links between items: who references whom, and what is alike.

Built once per build from indexes, so finding related items stays linear in
the number of items instead of comparing every pair.
"""

from __future__ import annotations

from collections import defaultdict

from .content import ContentSet, Item, iter_references, iter_values_of_kind
from .taxonomy import Taxonomy


class Relations:
    def __init__(self, content: ContentSet, taxonomy: Taxonomy) -> None:
        self.content = content
        self.taxonomy = taxonomy
        self._backlinks: dict[tuple[str, str], list[tuple[str, Item]]] = defaultdict(list)
        self._themes: dict[tuple[str, str], set[str]] = {}
        self._places: dict[tuple[str, str], set[str]] = {}
        declaration = content.declaration
        for item in sorted((i for i in content.items if not i.draft), key=lambda i: (i.type, i.slug)):
            fields = declaration.types[item.type].fields
            for path, ref in iter_references(fields, item.data):
                self._backlinks[(ref.type, ref.slug)].append((str(path[0]), item))
            key = (item.type, item.slug)
            self._themes[key] = {t.key for _, t in iter_values_of_kind(fields, item.data, "terme") if t.vocabulary == "thematiques"}
            places = set()
            for _, place in iter_values_of_kind(fields, item.data, "territoire"):
                places.add(place.code if place.level != "commune" else (place.departement or place.code))
            self._places[key] = places

    def backlinks(self, item: Item, type_name: str | None = None, field_name: str | None = None) -> list[Item]:
        """Published items that reference ``item`` (optionally of one type, through one field)."""
        found = []
        seen = set()
        for name, other in self._backlinks.get((item.type, item.slug), []):
            if (type_name and other.type != type_name) or (field_name and name != field_name):
                continue
            if (other.type, other.slug) not in seen:
                seen.add((other.type, other.slug))
                found.append(other)
        return sorted(found, key=lambda i: (i.type, i.title.casefold(), i.slug))

    def similar(self, item: Item, type_name: str, limit: int = 4) -> list[Item]:
        """Items of ``type_name`` sharing the most themes, then places, with ``item``."""
        key = (item.type, item.slug)
        themes, places = self._themes.get(key, set()), self._places.get(key, set())
        candidates: dict[tuple[str, str], Item] = {}
        for theme in themes:
            for other in self.taxonomy.by_term.get(("thematiques", theme), []):
                if other.type == type_name and (other.type, other.slug) != key:
                    candidates[(other.type, other.slug)] = other

        def score(other: Item) -> tuple:
            other_key = (other.type, other.slug)
            shared_themes = len(themes & self._themes.get(other_key, set()))
            shared_places = len(places & self._places.get(other_key, set()))
            return (-(2 * shared_themes + shared_places), other.title.casefold(), other.slug)

        return sorted(candidates.values(), key=score)[:limit]
