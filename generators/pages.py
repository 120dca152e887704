"""What a page is, and where items live: shared by every page planner."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from .content import Item
from .declaration import ContentType


@dataclass(slots=True)
class PageSpec:
    """A page to publish; ``src_uri`` is its virtual source path."""

    src_uri: str
    url: str
    title: str
    template: str
    markdown: str = ""
    context: dict = field(default_factory=dict)
    in_nav: bool = False
    description: str = ""


def item_url(ctype: ContentType, item: Item) -> str:
    """The item's URL path, relative to the site root, ending with "/"."""
    if "{chemin}" in ctype.url:
        relative = PurePosixPath(item.source).relative_to(ctype.folder).with_suffix("")
        path = relative.as_posix()
        if path == "index":
            return ""
        if path.endswith("/index"):
            path = path[: -len("/index")]
        return ctype.url.replace("{chemin}", path).lstrip("/")
    return ctype.url.replace("{slug}", item.slug).lstrip("/")


def listing_url(ctype: ContentType) -> str:
    return ctype.url.split("{", 1)[0]


def src_uri_for(url: str) -> str:
    """The virtual Markdown path MkDocs maps to ``url`` with directory URLs."""
    return "index.md" if url in ("", "/") else url.rstrip("/") + ".md"
