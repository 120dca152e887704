"""Images written in Markdown bodies: ``![alt](chemin)``.

Two uses of the same Python-Markdown parsing, so that validation and
rendering agree on what an image is (code blocks hold none, reference-style
images count, ``{: .decoratif }`` marks a decorative one):

- ``find_body_images(body, first_line)``, for validation: every image of a
  body with the line and column where its path is written.
- ``BodyImagesExtension``, registered by the plugin: a treeprocessor that
  replaces each ``<img>`` of a processed image by the ``<picture>`` markup of
  ``portail/components/picture.html`` (the fragment the item templates use),
  turned into ElementTree elements. No regular expression touches HTML.

Which file an image is, and its variants, come from ``images.py`` through the
object handed to ``BodyImagesExtension.use``; this module only knows Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Callable, Protocol
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, SubElement

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

PICTURE_TEMPLATE = "portail/components/picture.html"
DECORATIVE_CLASS = "decoratif"
# After "inline" (20), which creates the <img> elements, and before MkDocs'
# "relpath" (0), which turns the <img> src we leave into a page-relative URL.
PRIORITY = 5


@dataclass(frozen=True, slots=True)
class BodyImage:
    """One image of a body, where its path is written in the file (1-based)."""

    src: str
    alt: str
    decorative: bool
    line: int
    column: int


def is_local_src(src: str) -> bool:
    """A path in the repository, not a web address, a data: URI or an anchor.
    A drive letter ("C:\\...") counts as local: validation calls it absolute."""
    if not src or src.startswith("#"):
        return False
    parts = urlsplit(src)
    return not parts.netloc and (not parts.scheme or len(parts.scheme) == 1)


def is_decorative(element: Element) -> bool:
    return DECORATIVE_CLASS in (element.get("class") or "").split()


class _Collector(Treeprocessor):
    def run(self, root: Element) -> None:
        self.found = [(img.get("src") or "", img.get("alt") or "", is_decorative(img)) for img in root.iter("img")]


class _CollectorExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_Collector(md), "portail_collect_images", PRIORITY)


_finder: markdown.Markdown | None = None


def find_body_images(body: str, first_line: int = 1) -> list[BodyImage]:
    """The images of a Markdown body, in order, located in the file."""
    global _finder
    if "![" not in body:  # most bodies: no need to parse
        return []
    if _finder is None:
        _finder = markdown.Markdown(extensions=["attr_list", _CollectorExtension()])
    _finder.reset()
    _finder.convert(body)
    found = _finder.treeprocessors["portail_collect_images"].found
    # The tree has no source positions: each image is the next occurrence of
    # its path in the text, after the previous image's.
    lines = body.split("\n")
    images, line, start = [], 0, 0
    for src, alt, decorative in found:
        column = 0
        for index in range(line, len(lines)):
            at = lines[index].find(src or "![", start if index == line else 0)
            if at >= 0:
                opener = lines[index].rfind("![", 0, at + 1)
                line, column, start = index, opener if opener >= 0 else at, at + max(len(src), 1)
                break
        images.append(BodyImage(src=src, alt=alt, decorative=decorative, line=first_line + line, column=column + 1))
    return images


class PagePictures(Protocol):
    """What the treeprocessor needs for one page (``images.PagePictures``)."""

    has_main_image: bool

    def for_body(self, src: str, alt: str, *, eager: bool) -> object | None: ...


class _PictureTreeprocessor(Treeprocessor):
    def __init__(self, md: markdown.Markdown, extension: "BodyImagesExtension") -> None:
        super().__init__(md)
        self.extension = extension

    def run(self, root: Element) -> None:
        pictures = self.extension.pictures_for(_current_file(self.md))
        if pictures is None:
            return
        parents = {child: parent for parent in root.iter() for child in parent}
        first = not pictures.has_main_image  # the page's first image is above the fold
        for img in list(root.iter("img")):
            eager, first = first, False
            alt = "" if is_decorative(img) else (img.get("alt") or "")
            picture = pictures.for_body(img.get("src") or "", alt, eager=eager)
            if picture is None or img not in parents:
                continue
            replacement = fragment_to_element(self.extension.render(picture))
            _keep_attributes(img, replacement)
            parent = parents[img]
            replacement.tail = img.tail
            parent.insert(list(parent).index(img), replacement)
            parent.remove(img)


def _current_file(md: markdown.Markdown) -> object | None:
    """The MkDocs ``File`` being rendered: MkDocs registers, for each page, a
    "relpath" treeprocessor that holds it (``mkdocs.structure.pages``)."""
    if "relpath" not in md.treeprocessors:
        return None
    return getattr(md.treeprocessors["relpath"], "file", None)


def _keep_attributes(img: Element, picture: Element) -> None:
    """Editors' attributes (``{: .classe title="..." }``) stay on the new <img>."""
    new_img = next(picture.iter("img"), None)
    if new_img is None:
        return
    for name, value in img.items():
        if name not in ("src", "alt", "srcset", "sizes", "width", "height", "loading", "decoding"):
            new_img.set(name, value)


class BodyImagesExtension(Extension):
    """Registered once in ``on_config``; ``use`` hands it each build's images."""

    def __init__(self, theme: object) -> None:
        super().__init__()
        self.theme = theme  # MkDocs' Theme: the fragment is overridable like every template
        self._template = None
        self._pictures_for: Callable[[object], PagePictures | None] | None = None

    def use(self, pictures_for: Callable[[object], PagePictures | None]) -> None:
        """``pictures_for(file)`` -> the page's pictures, None for a page without content images."""
        self._pictures_for = pictures_for

    def pictures_for(self, file: object | None) -> PagePictures | None:
        if file is None or self._pictures_for is None:
            return None
        return self._pictures_for(file)

    def render(self, picture: object) -> str:
        if self._template is None:
            self._template = self.theme.get_env().get_template(PICTURE_TEMPLATE)  # type: ignore[attr-defined]
        return self._template.render(picture=picture)

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_PictureTreeprocessor(md, self), "portail_pictures", PRIORITY)


VOID_ELEMENTS = frozenset({"img", "source", "br", "wbr", "hr", "input", "meta", "link"})


class _ElementBuilder(HTMLParser):
    """HTML (a template's output) -> ElementTree elements, void elements included."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("div")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = SubElement(self.stack[-1], tag, {name: value for name, value in attrs})  # type: ignore[misc]
        if tag not in VOID_ELEMENTS:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        SubElement(self.stack[-1], tag, {name: value for name, value in attrs})  # type: ignore[misc]

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        if not data.strip():
            return
        parent = self.stack[-1]
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + data
        else:
            parent.text = (parent.text or "") + data


def fragment_to_element(html: str) -> Element:
    """The one top-level element of a rendered fragment."""
    builder = _ElementBuilder()
    builder.feed(html)
    builder.close()
    elements = list(builder.root)
    if len(elements) != 1:
        raise ValueError(f"{PICTURE_TEMPLATE} must render exactly one element, not {len(elements)}")
    return elements[0]
