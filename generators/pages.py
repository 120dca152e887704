"""What a page is, and where items live: shared by every page planner."""

from __future__ import annotations

from collections.abc import Callable
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


class DeferredContext(dict):
    """A page's context whose costlier entries (``more()``) are computed the
    first time anything but an entry already there is asked for.

    A warm build that takes a page's key from the last build
    (plugin._recall_keys) never renders or keys it: its item page's related
    items, structured data, search metadata and small map need not be
    planned. Once filled it is the dict the planner would have made, entries
    in the same order. Reading a present entry (``get``, ``[]``, ``in``)
    does not fill it; anything that sees the whole mapping (iteration,
    length, items, copies, comparisons, pickling) or changes it does.
    """

    __slots__ = ("_more",)

    def __init__(self, present: dict, more: Callable[[], dict]) -> None:
        super().__init__(present)
        self._more: Callable[[], dict] | None = more

    @property
    def filled(self) -> bool:
        return self._more is None

    def fill(self) -> None:
        more, self._more = self._more, None
        if more is not None:
            dict.update(self, more())

    def _asked(self, key) -> None:
        """An entry not already there may be among the planned ones."""
        if self._more is not None and not dict.__contains__(self, key):
            self.fill()

    def __getitem__(self, key):
        self._asked(key)
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        self._asked(key)
        return dict.get(self, key, default)

    def __contains__(self, key) -> bool:
        self._asked(key)
        return dict.__contains__(self, key)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self):
        self.fill()
        return (dict, (dict(self),))


def _filling(name: str) -> Callable:
    method = getattr(dict, name)

    def filling(self: DeferredContext, *args, **kwargs):
        self.fill()
        return method(self, *args, **kwargs)

    filling.__name__ = filling.__qualname__ = name
    return filling


# Everything that sees the whole mapping, or changes it, fills it first.
for _name in (
    "__iter__", "__len__", "__reversed__", "keys", "items", "values", "copy", "__eq__", "__ne__", "__repr__",
    "__or__", "__ror__", "__ior__", "__setitem__", "__delitem__", "pop", "popitem", "setdefault", "update", "clear",
):
    setattr(DeferredContext, _name, _filling(_name))
del _name


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
