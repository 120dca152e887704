"""Social cards drawn in the background while MkDocs renders the pages
(``prepare_images(defer_cards=True)``): the same files are published, by
``finish_cards``, and a failed build stops drawing them."""

from __future__ import annotations

from pathlib import Path

from generators.cards import CardSpec, draw_card, social_cards
from generators.content import Validator
from generators.declaration import load_declaration
from generators.images import PendingCards, _CardJob, prepare_images

REPO = Path(__file__).resolve().parent.parent
SITE = "Réseau régional économie circulaire"


def demo_content():
    content = Validator(load_declaration(REPO / "config" / "types.yml", REPO)).load()
    assert not content.problems
    return content


def test_deferred_cards_are_published_by_finish_cards(tmp_path):
    content = demo_content()
    cards = social_cards(content, SITE)
    now = prepare_images(content, docs_dir=REPO / "content", cards=cards, cache_dir=tmp_path / "un", workers=2)
    later = prepare_images(content, docs_dir=REPO / "content", cards=cards, cache_dir=tmp_path / "deux", workers=2, defer_cards=True)
    assert later.pending is not None and later.drawn == now.drawn == len(cards)
    card_uris = {card.uri for card in cards}
    published_now = dict(now.published_files())
    published_later = dict(later.published_files())
    assert card_uris <= set(published_now)
    assert not card_uris & set(published_later)  # not handed to MkDocs: still being drawn
    assert set(published_now) - card_uris == set(published_later)
    site = tmp_path / "site"
    later.finish_cards(site)
    assert later.pending is None
    for uri in card_uris:
        assert (site / uri).read_bytes() == published_now[uri].read_bytes(), uri


def test_a_failed_build_stops_drawing_cards(tmp_path):
    card = CardSpec(uri="fiches/x/partage.png", title="Un titre", label="Fiche initiative", details="Amiens", site_name=SITE, item=("fiche", "x"))
    jobs = [_CardJob(card, str(tmp_path / f"{n:03d}.png")) for n in range(300)]
    pending = PendingCards(jobs, workers=2)
    pending.cancel()
    if pending._pool is not None:
        pending._pool.shutdown(wait=True)
    drawn = sorted(tmp_path.glob("[0-9]*.png"))  # not the ".*.png" being written: renamed when whole
    assert len(drawn) < len(jobs) // 2
    if drawn:  # a card is published whole or not at all
        assert drawn[0].read_bytes() == card.png()


def test_the_card_base_leaves_the_title_area_white():
    """Cards are drawn on a shared base (band, mark, name, type label, bottom
    rule): the title and details must land on white only."""
    from generators.cards import BAND, card_base

    base = card_base(SITE, "Fiche initiative", 1200, 630)
    title_top = BAND + 52 + 52 + 30
    area = base.crop((0, title_top, 1200, 630 - 16))
    assert area.getcolors() == [(area.width * area.height, (255, 255, 255))]
    full = draw_card(CardSpec(uri="u", title="Titre", label="Fiche initiative", details="Amiens", site_name=SITE, item=("fiche", "u")))
    assert full.crop((0, 0, 1200, title_top)).tobytes() == base.crop((0, 0, 1200, title_top)).tobytes()
