"""Related items: the indexed ranking of ``Relations.similar`` gives exactly
the ranking obtained by scoring every candidate, on the demo and on a
generated corpus (hundreds of sheets sharing themes and places)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.corpus import make_corpus
from generators.content import Validator
from generators.declaration import load_declaration
from generators.related import Relations
from generators.taxonomy import build_taxonomy
from generators.territories import TerritoryIndex

REPO = Path(__file__).resolve().parent.parent
TYPES = ("fiche", "ressource", "evenement", "acteur")


def load(root: Path):
    content = Validator(load_declaration(root / "config" / "types.yml", root)).load()
    assert not content.problems, [p.format_text() for p in content.problems[:3]]
    return content, build_taxonomy(content, TerritoryIndex.load())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return load(make_corpus(tmp_path_factory.mktemp("related") / "corpus", 300))


def ranked(relations: Relations, item, type_name: str, limit: int) -> list[tuple[str, str]]:
    return [(i.type, i.slug) for i in relations.similar(item, type_name, limit)]


def scored(relations: Relations, item, type_name: str, limit: int) -> list[tuple[str, str]]:
    return [(i.type, i.slug) for i in relations._similar_by_scoring(item, type_name, limit)]


@pytest.mark.parametrize("source", ["demo", "corpus"])
def test_indexed_ranking_is_the_scored_ranking(source, corpus):
    content, taxonomy = load(REPO) if source == "demo" else corpus
    relations = Relations(content, taxonomy)
    checked = 0
    for item in content.items:
        if item.draft:
            continue
        for type_name in TYPES:
            for limit in (1, 4, 12):
                assert ranked(relations, item, type_name, limit) == scored(relations, item, type_name, limit), (item.slug, type_name, limit)
                checked += 1
    assert checked > 1000 or source == "demo"


def test_ranking_is_the_same_when_items_hold_more_than_the_index(corpus):
    """Items with more themes or places than the indexed combinations take
    the scoring path; the others still use the (smaller) index."""
    content, taxonomy = corpus
    small = Relations(content, taxonomy, max_themes=1, max_places=1)
    full = Relations(content, taxonomy)
    sheets = [i for i in content.items if i.type == "fiche"]
    assert any(len(small._themes[(i.type, i.slug)]) > 1 for i in sheets)  # both paths are taken
    assert any(len(small._themes[(i.type, i.slug)]) == 1 and len(small._places[(i.type, i.slug)]) == 1 for i in sheets)
    for item in sheets:
        assert ranked(small, item, "fiche", 4) == ranked(full, item, "fiche", 4) == scored(full, item, "fiche", 4)


def test_similar_ranks_shared_themes_then_places_then_titles(corpus):
    content, taxonomy = corpus
    relations = Relations(content, taxonomy)
    for item in [i for i in content.items if i.type == "fiche"][:50]:
        key = (item.type, item.slug)
        found = relations.similar(item, "fiche", 6)
        assert key not in {(i.type, i.slug) for i in found}
        scores = [
            (
                -(2 * len(relations._themes[key] & relations._themes[(o.type, o.slug)]) + len(relations._places[key] & relations._places[(o.type, o.slug)])),
                o.title.casefold(),
                o.slug,
            )
            for o in found
        ]
        assert scores == sorted(scores)
        assert all(score[0] <= -2 for score in scores)  # every one shares a theme
    assert relations.similar(content.items[0], "fiche", 0) == []
