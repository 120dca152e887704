"""Links: every site-internal ``href``/``src``/``srcset`` of every HTML page of
the built site points to a file of the build, and every ``#fragment`` to an
element of the target page. No browser; all broken links reported at once.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from sitebuild import REPO, built_site  # noqa: F401

LINKING = {
    "a": ("href",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "script": ("src",),
    "source": ("src", "srcset"),
}
# Fragments that need no target element (HTML: "#" and "#top" scroll to the top).
TOP_FRAGMENTS = {"", "top"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, url)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("name"):
            self.ids.add(attributes["name"])
        for name in LINKING.get(tag, ()):
            value = attributes.get(name)
            if value is None:
                continue
            if name == "srcset":
                for candidate in value.split(","):
                    if candidate.strip():
                        self.links.append((tag, name, candidate.split()[0]))
            else:
                self.links.append((tag, name, value.strip()))

    handle_startendtag = handle_starttag


@lru_cache(maxsize=None)
def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    page.close()
    return page


def site_url() -> str:
    match = re.search(r"^site_url:\s*['\"]?([^'\"\s#]+)", (REPO / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    url = match.group(1) if match else "http://localhost/"
    return url if url.endswith("/") else url + "/"


def page_url(site: Path, file: Path, base: str) -> str:
    rel = file.relative_to(site).as_posix()
    return urljoin(base, rel[: -len("index.html")] if rel == "index.html" or rel.endswith("/index.html") else rel)


def target_file(site: Path, base_path: str, path: str) -> Path | None:
    """The file of the build a URL path leads to, or None."""
    if not path.startswith(base_path):
        return None
    rel = unquote(path[len(base_path):])
    candidate = site / rel
    if rel == "" or rel.endswith("/"):
        candidate = candidate / "index.html"
    elif candidate.is_dir():
        candidate = candidate / "index.html"  # served after a redirect to the slash form
    return candidate if candidate.is_file() else None


def check_site(site: Path) -> tuple[dict, dict, int]:
    """Broken links: ({missing target: {pages}}, {(target, #fragment): {pages}}, links checked)."""
    base = site_url()
    origin = urlsplit(base)
    missing: dict[str, set[str]] = defaultdict(set)
    anchors: dict[tuple[str, str], set[str]] = defaultdict(set)
    checked = 0
    for file in sorted(site.rglob("*.html")):
        here = page_url(site, file, base)
        source = "/" + file.relative_to(site).as_posix()
        for tag, attribute, value in parse(file).links:
            if not value:
                continue
            url = urlsplit(urljoin(here, value))
            if url.scheme not in ("http", "https") or url.netloc != origin.netloc:
                continue  # mailto:, tel:, data:, other hosts...
            checked += 1
            target = target_file(site, origin.path, url.path)
            if target is None:
                missing[url.path].add(f"{source} <{tag} {attribute}>")
                continue
            fragment = unquote(url.fragment)
            if fragment.lower() in TOP_FRAGMENTS:
                continue
            if target.suffix != ".html" or fragment not in parse(target).ids:
                anchors[(url.path, fragment)].add(source)
    return missing, anchors, checked


def _examples(pages: set[str], limit: int = 4) -> str:
    shown = sorted(pages)[:limit]
    more = f", … (+{len(pages) - limit})" if len(pages) > limit else ""
    return ", ".join(shown) + more


def test_internal_links_resolve(built_site):
    missing, anchors, checked = check_site(built_site)
    if not missing and not anchors:
        assert checked > 0, "no internal link found: the parser or the site URL is wrong"
        return
    lines = [f"{len(missing)} missing target(s) and {len(anchors)} missing anchor(s) among {checked} internal links:"]
    if missing:
        lines.append("Missing files (target ← referenced from):")
        for path, pages in sorted(missing.items()):
            lines.append(f"  {path} ← {len(pages)} place(s): {_examples(pages)}")
    if anchors:
        lines.append("Missing anchors (target#fragment ← referenced from):")
        for (path, fragment), pages in sorted(anchors.items()):
            lines.append(f"  {path}#{fragment} ← {len(pages)} page(s): {_examples(pages)}")
    pytest.fail("\n".join(lines), pytrace=False)
