"""Social cards: the 1200 × 630 PNG a page shows when it is shared.

One card per published item (``og:image``, ``twitter:image``), drawn with
Pillow: the network's mark and name on a band of its primary colour, the
item's type, its title (wrapped, a long one shortened at a word with an
ellipsis), and where and when. Pages that are not items share the site's
card. The font is DejaVu Sans, shipped in ``data/fonts/`` (see SOURCE.md):
nothing is fetched while building.

``CardSpec`` holds what a card shows and draws it (``png``); ``images.py``
caches the drawings under ``key()`` and runs them on every core.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import PIL
from PIL import Image, ImageDraw, ImageFont

from .content import ContentSet, Item
from .formatting import date_fr
from .pages import item_url

CARD_SIZE = (1200, 630)
CARD_FILE = "partage.png"  # beside the item's page: fiches/<slug>/partage.png
CARD_VERSION = 1  # bump when the drawing changes
# zlib level 3: encoding a card was about 60 % of a cold build's CPU at the
# default level 6; level 3 halves it for files some 15-30 % larger, the same
# pixels (optimize=True would take three times as long for 4 % less).
PNG_OPTIONS: dict = {"compress_level": 3}
FONTS = Path(__file__).resolve().parent / "data" / "fonts"
REGULAR, BOLD = FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf"

PRIMARY = (0x1E, 0x6B, 0x34)  # the network's colour (#1e6b34), as in logo.svg
WHITE = (0xFF, 0xFF, 0xFF)
INK = (0x17, 0x21, 0x1A)
MUTED = (0x44, 0x55, 0x49)
PALE = (0xE3, 0xF0, 0xE6)
MARGIN = 64
BAND = 112  # height of the top band
TITLE_SIZES = (64, 56, 48)  # tried in turn until the title fits
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class CardSpec:
    """What one card shows, and where it is published (site path)."""

    uri: str
    title: str
    label: str  # the item's type, "" for the site's card
    details: str  # "Amiens (80) · 21 mars 2016"
    site_name: str
    item: tuple[str, str] | None  # (type, slug); None for the site's card
    width: int = CARD_SIZE[0]
    height: int = CARD_SIZE[1]

    @property
    def alt(self) -> str:
        return f"{self.label} : {self.title}" if self.label else self.title

    def key(self) -> str:
        """Same key, same bytes: everything drawn, the fonts, the drawing code's
        version and the PNG settings."""
        drawn = {k: v for k, v in asdict(self).items() if k not in ("uri", "item")}
        settings = {"card": drawn, "version": CARD_VERSION, "png": PNG_OPTIONS, "pillow": PIL.__version__, "fonts": _font_digest()}
        return hashlib.sha256(json.dumps(settings, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def png(self) -> bytes:
        buffer = io.BytesIO()
        draw_card(self).save(buffer, format="PNG", **PNG_OPTIONS)
        return buffer.getvalue()


def social_cards(content: ContentSet, site_name: str, site_description: str = "") -> list[CardSpec]:
    """The site's card, then one card per published item with a page of its own."""
    cards = [CardSpec(uri=CARD_FILE, title=site_description or site_name, label="", details="", site_name=site_name, item=None)]
    for item in sorted(content.items, key=lambda i: (i.type, i.slug)):
        if item.draft:
            continue
        ctype = content.declaration.types[item.type]
        url = item_url(ctype, item)
        if not url:  # the home page uses the site's card
            continue
        free_page = "{chemin}" in ctype.url
        cards.append(
            CardSpec(
                uri=f"{url}{CARD_FILE}",
                title=item.title,
                label="" if free_page else ctype.label,
                details="" if free_page else card_details(item),
                site_name=site_name,
                item=(item.type, item.slug),
            )
        )
    return cards


def card_details(item: Item) -> str:
    """Where, then when, from the fields most types share."""
    data = item.data
    places = [t.name for t in (data.get("territoires") or []) if hasattr(t, "name")]
    for group in ("lieu", "adresse"):
        commune = (data.get(group) or {}).get("commune")
        if commune is not None and not places:
            places = [commune.name]
    if not places and getattr(data.get("format"), "key", "") == "distanciel":
        places = ["En ligne"]
    where = ", ".join(places) if len(places) <= 3 else ", ".join(places[:2]) + f" et {len(places) - 2} autres"
    when = ""
    if data.get("date") is not None:
        when = date_fr(data["date"])
    elif data.get("date_debut") is not None:
        when = f"depuis {date_fr(data['date_debut'])}"
    elif data.get("date_limite") is not None:
        when = f"date limite : {date_fr(data['date_limite'])}"
    return " · ".join(part for part in (where, when) if part)


# -- drawing --------------------------------------------------------------------


@lru_cache(maxsize=None)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    # The basic layout engine is always there (raqm is optional): same glyph
    # positions on every machine, and French needs no complex shaping.
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=1)
def _font_digest() -> str:
    return hashlib.sha256(REGULAR.read_bytes() + BOLD.read_bytes()).hexdigest()


def wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy word wrap; a word wider than a line is cut between letters."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while font.getlength(word) > width:
            cut = 1
            while cut < len(word) and font.getlength(word[: cut + 1]) <= width:
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines


def shorten(line: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    """``line`` with an ellipsis, cut at a word (at a letter for a single long word)."""
    words = line.split(" ")
    while words:
        candidate = " ".join(words).rstrip(" ,;:.–—-") + ELLIPSIS
        if font.getlength(candidate) <= width:
            return candidate
        if len(words) == 1:
            words = [words[0][:-1]] if len(words[0]) > 1 else []
        else:
            words.pop()
    return ELLIPSIS


def fit_line(text: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    return text if font.getlength(text) <= width else shorten(text, font, width)


def fit_title(title: str, width: float, height: float) -> tuple[ImageFont.FreeTypeFont, list[str], int]:
    """The largest size at which the title fits; at the smallest, the lines
    that fit, the last one shortened. Returns (font, lines, line height)."""
    for size in TITLE_SIZES:
        font = _font(BOLD, size)
        step = round(size * 1.2)
        lines = wrap(title, font, width)
        room = max(1, int(height // step))
        if len(lines) <= room:
            return font, lines, step
    kept = lines[:room]
    kept[-1] = shorten(kept[-1], font, width)  # more words follow: say so
    return font, kept, step


@lru_cache(maxsize=4)
def logo_mark(size: int) -> Image.Image:
    """The network's mark (content/assets/logo.svg: three arrows turning
    round a dot, on a white disc), drawn at 4× then reduced for smooth edges."""
    scale = size * 4 / 64
    mark = Image.new("RGBA", (size * 4, size * 4), (0, 0, 0, 0))
    draw = ImageDraw.Draw(mark)

    def box(radius: float) -> tuple[float, float, float, float]:
        return ((32 - radius) * scale, (32 - radius) * scale, (32 + radius) * scale, (32 + radius) * scale)

    def points(*xy: float) -> list[tuple[float, float]]:
        return [(xy[i] * scale, xy[i + 1] * scale) for i in range(0, len(xy), 2)]

    draw.ellipse(box(30), fill=WHITE)
    # ring segments between radii 16 and 22, as the SVG's arcs, then their heads
    for start, end, colour in ((-90, -30, PRIMARY), (30, 150, (0x0B, 0x5D, 0x4B)), (210, 270, (0x3F, 0x8F, 0x4F))):
        draw.arc(box(22), start, end, fill=colour, width=round(6 * scale))
    draw.polygon(points(51.05, 21, 53.65, 13, 57, 26, 44.4, 23.7), fill=PRIMARY)
    draw.polygon(points(12.95, 43, 4.7, 44.7, 9.3, 32, 18.15, 40), fill=(0x0B, 0x5D, 0x4B))
    draw.ellipse(box(7), fill=PRIMARY)
    return mark.resize((size, size), Image.Resampling.LANCZOS)


def draw_card(spec: CardSpec) -> Image.Image:
    """The card: a copy of the parts every card of this type shares, then the
    title and the details (drawn where the shared parts leave white)."""
    width, height = spec.width, spec.height
    card = card_base(spec.site_name, spec.label, width, height).copy()
    draw = ImageDraw.Draw(card)
    text_width = width - 2 * MARGIN

    y = BAND + 52 + (52 + 30 if spec.label else 0)
    details_top = height - 16 - 48 - 36
    title_font, lines, step = fit_title(spec.title, text_width, details_top - 24 - y)
    for line in lines:
        draw.text((MARGIN, y), line, font=title_font, fill=INK, anchor="la")
        y += step

    if spec.details:
        details_font = _font(REGULAR, 30)
        draw.text((MARGIN, details_top + 18), fit_line(spec.details, details_font, text_width), font=details_font, fill=MUTED, anchor="lm")
    return card


@lru_cache(maxsize=16)
def card_base(site_name: str, label: str, width: int, height: int) -> Image.Image:
    """What every card of a type shares: the band with the mark and the
    network's name, the type's label, the bottom rule. Drawn once per build
    and copied, which halves the drawing time of thousands of cards."""
    card = Image.new("RGB", (width, height), WHITE)
    draw = ImageDraw.Draw(card)
    text_width = width - 2 * MARGIN

    draw.rectangle((0, 0, width, BAND), fill=PRIMARY)
    mark_size = 76
    mark = logo_mark(mark_size)
    card.paste(mark, (MARGIN, (BAND - mark_size) // 2), mark)
    name_font = _font(BOLD, 34)
    name_x = MARGIN + mark_size + 24
    draw.text((name_x, BAND // 2), fit_line(site_name, name_font, width - name_x - MARGIN), font=name_font, fill=WHITE, anchor="lm")

    if label:
        y = BAND + 52
        label_font = _font(BOLD, 28)
        label = fit_line(label, label_font, text_width - 48)
        draw.rounded_rectangle((MARGIN, y, MARGIN + label_font.getlength(label) + 48, y + 52), radius=26, fill=PALE)
        draw.text((MARGIN + 24, y + 26), label, font=label_font, fill=PRIMARY, anchor="lm")
    draw.rectangle((0, height - 16, width, height), fill=PRIMARY)
    return card
