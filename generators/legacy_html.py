"""Read one page saved from the old portal: bytes in, a ``LegacyPage`` out.

Pure and MkDocs-free, like Pelican's readers: the importer (``importer.py``)
decides what the page becomes. This module only knows HTML:

- ``decode_html``: the text of the page, whatever its encoding. A byte order
  mark wins, then a charset declared in a ``<meta>`` (if the bytes really
  decode with it), then UTF-8, then ``charset-normalizer``'s guess. ISO-8859-1
  is read as Windows-1252, as browsers do (curly quotes and the euro sign of
  old French pages live in 0x80-0x9F).
- ``read_page``: title, description, the address the page was saved from,
  the "label: value" blocks (table rows, ``<b>Label :</b> value`` paragraphs,
  ``<dt>``/``<dd>``, ``<br>``-separated lines), and the main content with the
  blocks, navigation, scripts and share buttons removed.
- ``to_markdown``: the main content as Markdown (markdownify); layout tables
  are unwrapped, data tables (with ``<th>``) kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from charset_normalizer import from_bytes
from markdownify import MarkdownConverter

# Where the main content usually is, in the order tried; then a text-density guess.
CONTENT_SELECTORS = ("main", "[role=main]", "article", "#contenu", "#content", "#main", ".contenu", ".content", "#texte")
# Page parts that are never content.
DROP_TAGS = ("script", "style", "noscript", "nav", "form", "iframe", "object", "embed", "link", "meta", "header", "footer")
DROP_NAMES = re.compile(r"(^|[-_ ])(partage|share|social|imprim|print|ariane|breadcrumb|fil-ariane|menu|navigation|pied|footer|entete|bandeau)([-_ ]|$)", re.I)
SAVED_FROM = re.compile(r"saved from url=\(\d+\)(\S+)", re.I)
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
LABEL_TEXT = re.compile(r"^\s*([^:\n]{2,40}?)\s*:\s*(.*)$", re.S)
PUBLISHED = re.compile(r"^\s*(?:publi[ée]e?|mis en ligne|post[ée]e?)\s+le\s+(.{4,40}?)\s*$", re.I)
UPDATED = re.compile(r"^\s*(?:page\s+)?(?:mise?|modifi[ée]e?) à jour le\s+(.{4,40}?)\s*$", re.I)
BLOCK_TAGS = ("p", "div", "li", "dd", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol", "dl")
MAX_VALUE_CHARS = 300


@dataclass(slots=True)
class Decoded:
    text: str
    encoding: str
    how: str  # "bom", "déclaré", "utf-8", "détecté"


@dataclass(slots=True)
class LabelBlock:
    """One "label: value" pair found on the page."""

    label: str
    text: str  # the value as text, lines kept
    links: list[str] = field(default_factory=list)  # href of links in the value
    structured: bool = True  # from a table row, a definition list or a bold label


@dataclass(slots=True)
class LegacyPage:
    title: str
    description: str
    saved_from: str  # the page's own address as recorded in it ("" if none)
    published: str  # a publication date written on the page ("" if none)
    updated: str  # a "mis à jour le" date written on the page ("" if none)
    blocks: list[LabelBlock]
    content: Tag
    encoding: Decoded


def decode_html(raw: bytes) -> Decoded:
    """The page's text (see the module docstring for the order of the rules)."""
    for bom, name in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if raw.startswith(bom):
            return Decoded(raw[len(bom):].decode(name, errors="replace"), name, "bom")
    declared = META_CHARSET.search(raw[:4096])
    if declared:
        name = _browser_encoding(declared.group(1).decode("ascii", "replace"))
        try:
            return Decoded(raw.decode(name), name, "déclaré")
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration: guess below
    try:
        return Decoded(raw.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError:
        pass
    # Several single-byte encodings often fit equally well: among the best
    # fits, Windows-1252 (the legacy default of French pages) wins.
    results = list(from_bytes(raw))
    least = min((r.chaos for r in results), default=0.0)
    fits = [r.encoding for r in results if r.chaos <= least + 0.05]
    name = _browser_encoding("cp1252" if not fits or "cp1252" in fits else fits[0])
    return Decoded(raw.decode(name, errors="replace"), name, "détecté")


def _browser_encoding(name: str) -> str:
    folded = name.strip().lower().replace("_", "-")
    if folded in ("iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii", "windows-1252", "cp1252", "iso-8859-15", "iso8859-15"):
        return "cp1252"
    return folded


def read_page(raw: bytes, selector: str | None = None, known_label: Callable[[str], bool] = lambda label: False) -> LegacyPage:
    """Read a saved page; ``known_label`` says which labels the importer maps,
    so that a lone "Date : ..." line counts as a field and not as prose."""
    decoded = decode_html(raw)
    soup = BeautifulSoup(decoded.text, "lxml")
    saved_from = ""
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        match = SAVED_FROM.search(str(comment))
        if match and not saved_from:
            saved_from = match.group(1)
        comment.extract()
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href"):
        saved_from = str(canonical["href"]).strip()
    description = ""
    meta = soup.find("meta", attrs={"name": re.compile("^description$", re.I)})
    if meta and meta.get("content"):
        description = " ".join(str(meta["content"]).split())
    head_title = " ".join(soup.title.get_text().split()) if soup.title else ""
    content = _main_content(soup, selector)
    for tag in content.find_all(DROP_TAGS):
        tag.decompose()
    for tag in content.find_all(True):
        if tag.attrs is None:  # already removed with a parent
            continue
        names = " ".join([str(tag.get("id") or ""), *(tag.get("class") or [])])
        if names.strip() and DROP_NAMES.search(names):
            tag.decompose()
    heading = content.find("h1") or soup.find("h1")
    title = ""
    if heading is not None:
        # Broken pages leave an <h1> open around everything: its own text only.
        first = heading.find(string=True)
        title = " ".join(str(first).split()) if first else ""
        if first is not None and heading.find(BLOCK_TAGS):
            first.extract()
            heading.unwrap()
        else:
            heading.decompose()
    if not title:
        title = re.split(r"\s+[-–|]\s+", head_title)[0] if head_title else ""
    dates = {PUBLISHED: "", UPDATED: ""}
    blocks = _extract_blocks(content, known_label)
    for node in content.find_all(["p", "div", "span", "font"]):
        if node.attrs is None or node.find(BLOCK_TAGS):
            continue
        for pattern in dates:
            match = pattern.match(" ".join(node.get_text(" ").split()))
            if match and not dates[pattern]:
                dates[pattern] = match.group(1)
                node.decompose()
                break
    return LegacyPage(
        title=title, description=description, saved_from=saved_from, published=dates[PUBLISHED], updated=dates[UPDATED],
        blocks=blocks, content=content, encoding=decoded,
    )


def _main_content(soup: BeautifulSoup, selector: str | None) -> Tag:
    for candidate in ([selector] if selector else []) + list(CONTENT_SELECTORS):
        found = soup.select_one(candidate)
        if found is not None and len(found.get_text(strip=True)) > 40:
            return found
    # The deepest block that still holds most of the page's non-link text.
    body = soup.body or soup
    total = _own_text(body)
    best: Tag = body
    for tag in body.find_all(["div", "td", "section"]):
        if total and _own_text(tag) >= 0.6 * total and len(list(tag.parents)) > len(list(best.parents)):
            best = tag
    return best


def _own_text(tag: Tag) -> int:
    text = len(tag.get_text(" ", strip=True))
    links = sum(len(a.get_text(" ", strip=True)) for a in tag.find_all("a"))
    return max(text - links, 0)


def _extract_blocks(content: Tag, known_label: Callable[[str], bool]) -> list[LabelBlock]:
    """Find "label: value" blocks, remove them from the content, return them in page order."""
    blocks: list[LabelBlock] = []
    for row in content.find_all("tr"):
        cells = row.find_all(["td", "th"], recursive=False)
        if len(cells) != 2 or cells[0].find(BLOCK_TAGS) or row.find_parent("table").find("th", scope=True):
            continue
        label = cells[0].get_text(" ", strip=True)
        if label.endswith(":") and 1 < len(label) <= 42:
            blocks.append(_block(label.rstrip(" :"), cells[1]))
            row.decompose()
    for dt in content.find_all("dt"):
        dd = dt.find_next_sibling("dd")
        if dd is not None:
            blocks.append(_block(dt.get_text(" ", strip=True).rstrip(" :"), dd))
            dt.decompose()
            dd.decompose()
    for node in content.find_all(["p", "div", "li"]):
        if node.attrs is None or node.find(BLOCK_TAGS):
            continue
        found = _line_blocks(node, known_label)
        if found:
            blocks.extend(found)
            node.decompose()
    for table in content.find_all("table"):  # emptied by the rows taken above
        if table.attrs is not None and not table.get_text(strip=True) and not table.find("img"):
            table.decompose()
    return blocks


def _line_blocks(node: Tag, known_label: Callable[[str], bool]) -> list[LabelBlock]:
    """Blocks of a paragraph made only of "Label : value" lines (``<br>``-separated)."""
    lines: list[list] = [[]]
    for child in list(node.children):
        if isinstance(child, Tag) and child.name == "br":
            lines.append([])
        else:
            lines[-1].append(child)
    lines = [line for line in lines if "".join(_text(c) for c in line).strip()]
    if not lines:
        return []
    found = []
    for line in lines:
        text = " ".join("".join(_text(c) for c in line).split())
        match = LABEL_TEXT.match(text)
        if not match or len(match.group(2)) > MAX_VALUE_CHARS or not match.group(1)[0].isupper():
            return []
        first = next((c for c in line if not (isinstance(c, NavigableString) and not c.strip())), None)
        bold = isinstance(first, Tag) and first.name in ("b", "strong", "span", "em", "label")
        holder = BeautifulSoup("<div></div>", "lxml").div
        for child in line:
            holder.append(child.__copy__() if isinstance(child, Tag) else NavigableString(str(child)))
        block = _block(match.group(1), holder, value_text=match.group(2))
        block.structured = bold
        found.append(block)
    if len(found) == 1 and not found[0].structured and not known_label(found[0].label):
        return []  # a plain sentence with a colon is prose, not a field
    return found


def _text(node: object) -> str:
    return node.get_text(" ") if isinstance(node, Tag) else str(node)


def _block(label: str, value: Tag, value_text: str | None = None) -> LabelBlock:
    links = [str(a["href"]).strip() for a in value.find_all("a", href=True)]
    if value_text is None:
        for br in value.find_all("br"):
            br.replace_with("\n")
        value_text = value.get_text()
    lines = [" ".join(line.split()) for line in value_text.split("\n")]
    return LabelBlock(label=" ".join(label.split()), text="\n".join(line for line in lines if line), links=links)


class _Converter(MarkdownConverter):
    """markdownify with layout tables unwrapped and presentation attributes ignored."""

    def convert_font(self, el, text, parent_tags):  # <font> is presentation only
        return text

    def convert_center(self, el, text, parent_tags):
        return f"\n\n{text}\n\n"


def unwrap_layout_tables(content: Tag) -> None:
    """Tables without header cells were page layout: keep their cells' content as blocks."""
    for table in reversed(content.find_all("table")):
        if table.find("th") is not None and not table.find("table"):
            continue
        for cell in table.find_all(["td", "th"]):
            cell.name = "div"
        for tag in table.find_all(["tr", "tbody", "thead", "tfoot"]):
            tag.unwrap()
        table.name = "div"


def to_markdown(content: Tag) -> str:
    if content.name in ("td", "th", "tr", "table", "tbody", "body", "center"):
        content.name = "div"  # a layout cell chosen as the content: a plain block
    unwrap_layout_tables(content)
    for img in content.find_all("img"):
        # An image floated beside a paragraph becomes a paragraph of its own.
        parent = img.parent
        if parent is not None and parent.name == "p" and parent.get_text(strip=True):
            holder = BeautifulSoup("<p></p>", "lxml").p
            parent.insert_before(holder)
            holder.append(img.extract())
    for tag in content.find_all(True):
        for attribute in ("style", "align", "width", "height", "border", "bgcolor", "class", "id", "valign", "cellpadding", "cellspacing", "face", "color", "size"):
            tag.attrs.pop(attribute, None)
    text = _Converter(heading_style="ATX", bullets="-", strong_em_symbol="*", escape_underscores=False, escape_misc=False).convert_soup(content)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"
