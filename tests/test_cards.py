"""Social cards: 1200 × 630 PNG per published item, drawn with the shipped
font, cached by key, referenced by og:image / twitter:image."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image, ImageChops, ImageStat

from generators.cards import (
    BOLD,
    CARD_FILE,
    ELLIPSIS,
    REGULAR,
    CardSpec,
    _font,
    card_details,
    draw_card,
    fit_title,
    shorten,
    social_cards,
    wrap,
)
from sitebuild import demo_site, site_pages

SITE = "Réseau régional économie circulaire"
TITLE_BOX = (64, 240, 1136, 500)  # where the title is drawn, below the type label


def spec(title: str = "Un repair café itinérant dans les villages", **changes) -> CardSpec:
    values = {
        "uri": "fiches/repair-cafe/partage.png",
        "title": title,
        "label": "Fiche initiative",
        "details": "Beauvais, Oise · depuis mars 2015",
        "site_name": SITE,
        "item": ("fiche", "repair-cafe"),
    }
    values.update(changes)
    return CardSpec(**values)


def variance(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    return ImageStat.Stat(image.crop(box).convert("L")).var[0]


def test_card_is_a_1200_by_630_png_with_the_title_drawn():
    data = spec().png()
    with Image.open(io.BytesIO(data)) as card:
        assert card.format == "PNG" and card.size == (1200, 630) and card.mode == "P"
        card = card.convert("RGB")
        assert card.getpixel((5, 5)) == (0x1E, 0x6B, 0x34)  # the network's colour
        assert card.getpixel((1190, 300)) == (255, 255, 255)
        assert variance(card, TITLE_BOX) > 1000, "the title area is blank"
    blank = draw_card(spec(title=""))
    assert variance(blank, TITLE_BOX) == 0
    other = draw_card(spec(title="Une ressourcerie au cœur du quartier"))
    assert ImageChops.difference(draw_card(spec()), other).crop(TITLE_BOX).getbbox() is not None


@pytest.mark.parametrize("label", ["Fiche initiative", ""])
def test_the_published_card_shows_the_full_colour_drawing(label):
    """The palette file differs from the RGB drawing only by a few levels on
    text edges and on the mark's rarest edge colours; flat colours are exact."""
    card = spec(label=label, title="Bourse au matériel de ski d'occasion : Chambéry, Savoie — 2019")
    with Image.open(io.BytesIO(card.png())) as published:
        assert published.mode == "P"
        shown = published.convert("RGB")
    drawn = draw_card(card)
    difference = ImageChops.difference(shown, drawn)
    assert max(ImageStat.Stat(difference).mean) < 0.1
    text = difference.crop((0, TITLE_BOX[1], 1200, 630))
    assert max(high for _, high in text.getextrema()) <= 3  # the text ramps' rounding
    flat = {drawn.getpixel(xy) for xy in ((5, 5), (1190, 300), (600, 625))}
    assert flat == {shown.getpixel(xy) for xy in ((5, 5), (1190, 300), (600, 625))}


def test_card_is_deterministic_and_keyed_by_what_is_drawn():
    assert spec().png() == spec().png()
    assert spec().key() == spec().key()
    assert spec(uri="ailleurs/partage.png").key() == spec().key()  # where it goes changes no pixel
    assert spec(title="Autre titre").key() != spec().key()
    assert spec(details="Amiens").key() != spec().key()


def test_fonts_are_shipped_with_their_licence():
    for font in (REGULAR, BOLD):
        assert font.is_file() and font.stat().st_size > 100_000
    licence = (REGULAR.parent / "LICENSE").read_text(encoding="utf-8")
    assert "Bitstream" in licence and "Permission is hereby granted" in licence


def test_wrap_and_shorten():
    font = _font(BOLD, 64)
    lines = wrap("Un titre assez long pour tenir sur plusieurs lignes de la carte de partage", font, 600)
    assert len(lines) > 1 and all(font.getlength(line) <= 600 for line in lines)
    assert " ".join(lines) == "Un titre assez long pour tenir sur plusieurs lignes de la carte de partage"
    cut = wrap("Anticonstitutionnellementissimement", font, 300)
    assert len(cut) > 1 and "".join(cut) == "Anticonstitutionnellementissimement"
    short = shorten("la fin de la phrase, avec une virgule", font, 700)
    assert short.endswith(ELLIPSIS) and not short.endswith("," + ELLIPSIS) and font.getlength(short) <= 700


def test_long_title_is_shortened_cleanly_at_a_word():
    title = " ".join(["Une démarche territoriale d'économie circulaire exemplaire"] * 6)
    font, lines, step = fit_title(title, 1072, 260)
    assert font.size == 48 and len(lines) * step <= 260
    assert lines[-1].endswith(ELLIPSIS) and not lines[-1].endswith(" " + ELLIPSIS)
    assert all(font.getlength(line) <= 1072 for line in lines)
    assert title.startswith(" ".join(lines)[: -len(ELLIPSIS)].rstrip())
    font, lines, _ = fit_title("Repair café", 1072, 260)
    assert font.size == 64 and lines == ["Repair café"]


def test_one_card_per_published_item(make_project, validate):
    fiche = "---\ntitre: {titre}\nresume: Un résumé.\nterritoires: [Amiens, Somme]\nthematiques: [recyclage]\ndate_debut: \"2015-03\"\n{extra}---\n\nTexte.\n"
    root = make_project(
        {
            "fiches/publiee.md": fiche.format(titre="Une fiche publiée", extra=""),
            "fiches/brouillon.md": fiche.format(titre="Un brouillon", extra="brouillon: oui\n"),
            "content/index.md": "---\ntitre: Accueil\n---\n\nBienvenue.\n",
            "content/a-propos.md": "---\ntitre: À propos\n---\n\nLe réseau.\n",
        }
    )
    content = validate(root)
    assert content.problems == []
    cards = social_cards(content, SITE, "Le portail des acteurs")
    assert [(c.uri, c.label, c.item) for c in cards] == [
        (CARD_FILE, "", None),
        ("fiches/publiee/" + CARD_FILE, "Fiche initiative", ("fiche", "publiee")),
        ("a-propos/" + CARD_FILE, "", ("page", "a-propos")),
    ]
    assert cards[0].title == "Le portail des acteurs"
    assert cards[1].details == "Amiens, Somme · depuis mars 2015"
    item = next(i for i in content.items if i.slug == "publiee")
    assert card_details(item) == cards[1].details


@pytest.fixture(scope="module")
def site():
    return demo_site()


def test_item_pages_reference_their_card(site):
    html = (site / "fiches/ressourcerie-des-biscottes/index.html").read_text(encoding="utf-8")
    url = "https://reseau-economie-circulaire.example.org/fiches/ressourcerie-des-biscottes/partage.png"
    assert f'<meta property="og:image" content="{url}">' in html
    assert f'<meta name="twitter:image" content="{url}">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert '<meta property="og:image:width" content="1200">' in html and '<meta property="og:image:height" content="630">' in html
    with Image.open(site / "fiches/ressourcerie-des-biscottes/partage.png") as card:
        assert card.size == (1200, 630)
        assert variance(card.convert("RGB"), TITLE_BOX) > 1000


def test_every_page_has_an_existing_og_image(site):
    base = "https://reseau-economie-circulaire.example.org/"
    for page in site_pages(site):
        html = page.read_text(encoding="utf-8")
        found = re.search(r'<meta property="og:image" content="([^"]+)">', html)
        assert found, page
        assert found.group(1).startswith(base) and (site / found.group(1)[len(base):]).is_file(), (page, found.group(1))
