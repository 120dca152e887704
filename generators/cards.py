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
CARD_VERSION = 3  # bump when the drawing or the file changes (3: cards cached before were private, 0600)
# Cards are saved with a palette (PNG colour type 3, one byte a pixel): a
# card has a few hundred colours, most of them the anti-aliased edges of two
# text colours on white. Encoding 1200 × 630 RGB pixels was about 80 % of the
# cards' time (19 ms a card with zlib level 3); the indexed card encodes in
# 3 ms at the same level, and its file is half the size (28 KB against 62).
# Level 6 would save 5 KB more a card for 4 ms more.
PNG_OPTIONS: dict = {"compress_level": 3}
TEXT_LEVELS = 52  # palette steps per text colour, from white to the ink
BASE_COLOURS = 256 - 2 * TEXT_LEVELS  # the rest of the palette: the shared parts
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
        draw_indexed_card(self).save(buffer, format="PNG", **PNG_OPTIONS)
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
    """The card in full colour (RGB): a copy of the parts every card of this
    type shares, then the title and the details, drawn where the shared parts
    leave white. The published file is ``draw_indexed_card``'s."""
    width, height = spec.width, spec.height
    card = card_base(spec.site_name, spec.label, width, height).copy()
    draw = ImageDraw.Draw(card)
    for text, font, xy, anchor, colour in _texts(spec):
        draw.text(xy, text, font=font, fill=colour, anchor=anchor)
    return card


def draw_indexed_card(spec: CardSpec) -> Image.Image:
    """The same card with a palette ("P" image): the shared parts reduced once
    per type to ``BASE_COLOURS`` colours, and each text colour given
    ``TEXT_LEVELS`` steps from white. The texts are drawn as coverage masks
    and written as palette indices: no per-card colour reduction."""
    width, height = spec.width, spec.height
    palette, base = indexed_base(spec.site_name, spec.label, width, height)
    card = base.copy()  # mode "L" holding palette indices until putpalette
    texts = _texts(spec)
    for first, colour in ((BASE_COLOURS, INK), (BASE_COLOURS + TEXT_LEVELS, MUTED)):
        coverage = Image.new("L", (width, height), 0)
        draw = ImageDraw.Draw(coverage)
        for text, font, xy, anchor, _ in (t for t in texts if t[4] == colour):
            draw.text(xy, text, font=font, fill=255, anchor=anchor)
        box = coverage.getbbox()
        if box is None:
            continue
        coverage = coverage.crop(box)
        card.paste(coverage.point(_ramp(first)), box[:2], coverage.point(_DRAWN))
    card.putpalette(palette)
    return card


_DRAWN = [0] + [255] * 255  # a pixel any text touches


@lru_cache(maxsize=2)
def _ramp(first: int) -> tuple[int, ...]:
    """Coverage (0-255) to the palette index of that step of a text colour."""
    return tuple(first + round(value * (TEXT_LEVELS - 1) / 255) for value in range(256))


def _texts(spec: CardSpec) -> list[tuple[str, ImageFont.FreeTypeFont, tuple[int, int], str, tuple[int, int, int]]]:
    """What a card writes beside its shared parts: (text, font, position, anchor, colour)."""
    width, height = spec.width, spec.height
    text_width = width - 2 * MARGIN
    texts = []
    y = BAND + 52 + (52 + 30 if spec.label else 0)
    details_top = height - 16 - 48 - 36
    title_font, lines, step = fit_title(spec.title, text_width, details_top - 24 - y)
    for line in lines:
        texts.append((line, title_font, (MARGIN, y), "la", INK))
        y += step
    if spec.details:
        details_font = _font(REGULAR, 30)
        texts.append((fit_line(spec.details, details_font, text_width), details_font, (MARGIN, details_top + 18), "lm", MUTED))
    return texts


@lru_cache(maxsize=16)
def indexed_base(site_name: str, label: str, width: int, height: int) -> tuple[list[int], Image.Image]:
    """The palette (768 values) and the shared parts as palette indices (an
    "L" image). The base's most frequent colours are kept exactly (white, the
    network's colour, the label's...); each rarer edge colour takes the
    index of the nearest kept one. The text ramps fill the end of the palette."""
    base = card_base(site_name, label, width, height)
    counted = sorted(base.getcolors(width * height) or [], key=lambda found: (-found[0], found[1]))
    kept = [colour for _, colour in counted[:BASE_COLOURS]]
    index = {colour: number for number, colour in enumerate(kept)}
    for _, colour in counted[BASE_COLOURS:]:
        nearest = min(kept, key=lambda k: sum((a - b) ** 2 for a, b in zip(k, colour)))
        index[colour] = index[nearest]
    ramps = [
        tuple(round(w + (ink - w) * step / (TEXT_LEVELS - 1)) for w, ink in zip(WHITE, colour))
        for colour in (INK, MUTED)
        for step in range(TEXT_LEVELS)
    ]
    kept += [kept[-1]] * (BASE_COLOURS - len(kept))
    palette = [value for colour in kept + ramps for value in colour]
    data, stride = base.tobytes(), 3 * width
    by_bytes = {bytes(colour): number for colour, number in index.items()}
    rows: dict[bytes, bytes] = {}  # most rows repeat (white, the band): mapped once
    out = bytearray()
    for top in range(0, len(data), stride):
        row = data[top : top + stride]
        mapped = rows.get(row)
        if mapped is None:
            mapped = rows[row] = bytes(by_bytes[row[i : i + 3]] for i in range(0, stride, 3))
        out += mapped
    return palette, Image.frombytes("L", (width, height), bytes(out))


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
