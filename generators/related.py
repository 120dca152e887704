"""Links between items: who references whom, and what is alike.

Built once per build from indexes, so finding related items stays linear in
the number of items instead of comparing every pair. ``similar`` ranks by a
score (two per shared theme, one per shared place) through an index of
"signatures": every item is filed under each (themes, places) combination it
holds; a query walks its own combinations from the highest score down, each
list already in title order, and stops at ``limit``.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from itertools import combinations

from .content import ContentSet, Item, iter_references, iter_values_of_kind
from .taxonomy import Taxonomy

# Combinations indexed per item; a query with more themes or places scores
# every candidate instead (rare: sheets name one to three of each).
MAX_THEMES, MAX_PLACES = 3, 2


class Relations:
    def __init__(self, content: ContentSet, taxonomy: Taxonomy, max_themes: int = MAX_THEMES, max_places: int = MAX_PLACES) -> None:
        self.content = content
        self.taxonomy = taxonomy
        self.max_themes, self.max_places = max_themes, max_places
        self._backlinks: dict[tuple[str, str], list[tuple[str, Item]]] = defaultdict(list)
        self._themes: dict[tuple[str, str], set[str]] = {}
        self._places: dict[tuple[str, str], set[str]] = {}
        self._titles: dict[tuple[str, str], tuple[str, str]] = {}
        # (type, some of its themes, some of its places) -> items in title order, for similar()
        self._signatures: dict[tuple[str, tuple[str, ...], tuple[str, ...]], list[Item]] = defaultdict(list)
        declaration = content.declaration
        published: dict[tuple[str, str], Item] = {}
        for item in sorted((i for i in content.items if not i.draft), key=lambda i: (i.type, i.slug)):
            published[(item.type, item.slug)] = item
            fields = declaration.types[item.type].fields
            for path, ref in iter_references(fields, item.data):
                self._backlinks[(ref.type, ref.slug)].append((str(path[0]), item))
            key = (item.type, item.slug)
            self._themes[key] = {t.key for _, t in iter_values_of_kind(fields, item.data, "terme") if t.vocabulary == "thematiques"}
            places = set()
            for _, place in iter_values_of_kind(fields, item.data, "territoire"):
                places.add(place.code if place.level != "commune" else (place.departement or place.code))
            self._places[key] = places
            self._titles[key] = (item.title.casefold(), item.slug)
        for key in sorted(self._titles, key=self._titles.__getitem__):  # lists come out in title order
            item = published[key]
            for themes in _subsets(self._themes[key], max_themes, empty=False):
                for places in _subsets(self._places[key], max_places):
                    self._signatures[(item.type, themes, places)].append(item)

    def _title_key(self, item: Item) -> tuple[str, str]:
        return self._titles[(item.type, item.slug)]

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
        """Items of ``type_name`` sharing the most themes, then places, with ``item``
        (score: two per shared theme, one per shared place; ties by title)."""
        key = (item.type, item.slug)
        themes, places = self._themes.get(key, set()), self._places.get(key, set())
        if limit <= 0:
            return []
        if len(themes) > self.max_themes or len(places) > self.max_places:
            return self._similar_by_scoring(item, type_name, limit)
        # An item sharing exactly themes A and places B is in the list of
        # (A, B), at score 2|A| + |B|, and in lists of lower scores (already
        # taken, so skipped there). Each score's lists are merged in title order.
        levels: dict[int, list[list[Item]]] = defaultdict(list)
        for shared_themes in _subsets(themes, self.max_themes, empty=False):
            for shared_places in _subsets(places, self.max_places):
                members = self._signatures.get((type_name, shared_themes, shared_places))
                if members:
                    levels[2 * len(shared_themes) + len(shared_places)].append(members)
        found: list[Item] = []
        seen = {key}
        for score in sorted(levels, reverse=True):
            for other in heapq.merge(*levels[score], key=self._title_key):
                other_key = (other.type, other.slug)
                if other_key not in seen:
                    seen.add(other_key)
                    found.append(other)
                    if len(found) == limit:
                        return found
        return found

    def _similar_by_scoring(self, item: Item, type_name: str, limit: int) -> list[Item]:
        """The same ranking, scoring every item that shares a theme (items with
        more themes or places than the index holds combinations for)."""
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


def _subsets(values: set[str], most: int, empty: bool = True) -> list[tuple[str, ...]]:
    """Sorted combinations of ``values`` with at most ``most`` members."""
    ordered = sorted(values)
    return [combo for size in range(0 if empty else 1, min(most, len(ordered)) + 1) for combo in combinations(ordered, size)]
