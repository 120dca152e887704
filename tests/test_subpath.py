"""The site published under a sub-path (``site_url: https://example.org/portail/``),
as on GitHub Pages for a project or on a shared host.

The demo is built from a copy of its sources with only ``site_url`` changed,
then: every internal link and asset of every page resolves under the prefix;
every absolute address the build writes anywhere (feeds, calendars, sitemaps,
JSON-LD, social cards, open data) keeps the prefix and names a file of the
build; and, served by a real HTTP server that only answers under
``/portail/``, the pages load without a failed request and Pagefind's search
finds results whose links work.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections import defaultdict
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from sitebuild import REPO, TODAY, FailedRequests, chromium, copy_sources, require_tools  # noqa: F401
from test_links import page_url, parse, target_file

PREFIX = "/portail/"
SITE_URL = "https://example.org" + PREFIX
TEXT_SUFFIXES = {".html", ".xml", ".atom", ".json", ".geojson", ".csv", ".ics", ".txt", ".webmanifest"}
ABSOLUTE = re.compile(r"https?://example\.org(/[^\s\"'<>)\\,;]*)?")


@pytest.fixture(scope="module")
def subpath_site(tmp_path_factory) -> Path:
    from generators.build import build_site
    from generators.project import find_project

    root = copy_sources(tmp_path_factory.mktemp("sous-chemin"))
    mkdocs = root / "mkdocs.yml"
    text, count = re.subn(r"(?m)^site_url:.*$", f"site_url: {SITE_URL}", mkdocs.read_text(encoding="utf-8"))
    assert count == 1
    mkdocs.write_text(text, encoding="utf-8")
    logger = logging.getLogger("mkdocs")
    handlers, level = logger.handlers[:], logger.level
    try:
        return build_site(find_project(config=mkdocs), today=TODAY)
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)


def test_every_internal_link_resolves_under_the_prefix(subpath_site):
    missing: dict[str, set[str]] = defaultdict(set)
    checked = 0
    for file in sorted(subpath_site.rglob("*.html")):
        here = page_url(subpath_site, file, SITE_URL)
        for tag, attribute, value in parse(file).links:
            url = urlsplit(urljoin(here, value)) if value else None
            if url is None or url.scheme not in ("http", "https") or url.netloc != "example.org":
                continue
            checked += 1
            if target_file(subpath_site, PREFIX, url.path) is None:
                missing[url.path].add(f"/{file.relative_to(subpath_site).as_posix()} <{tag} {attribute}>")
    assert checked > 1000
    assert not missing, "\n".join(f"{path} ← {sorted(pages)[:3]}" for path, pages in sorted(missing.items()))


def _unfold_ics(text: str) -> str:
    return re.sub(r"\r?\n[ \t]", "", text)


def test_every_absolute_address_keeps_the_prefix(subpath_site):
    """Feeds, calendars, sitemaps, JSON-LD, og:image, open data: no address
    escapes the prefix, and each one names a file of the build."""
    wrong: dict[str, set[str]] = defaultdict(set)
    seen_in: set[str] = set()
    for file in sorted(subpath_site.rglob("*")):
        if not file.is_file() or file.suffix not in TEXT_SUFFIXES or file.relative_to(subpath_site).parts[0] in {"pagefind", "admin"}:
            continue
        text = file.read_text(encoding="utf-8", errors="replace")
        if file.suffix == ".ics":
            text = _unfold_ics(text)
        for match in ABSOLUTE.finditer(text):
            path = unquote(urlsplit(match.group(0)).path or "/")
            where = file.relative_to(subpath_site).as_posix()
            if not path.startswith(PREFIX):
                wrong[f"outside the prefix: {match.group(0)}"].add(where)
                continue
            seen_in.add(file.suffix if file.suffix != ".html" else ("html-jsonld" if "application/ld+json" in text else ".html"))
            if target_file(subpath_site, PREFIX, path.split("#")[0]) is None:
                wrong[f"no such file: {match.group(0)}"].add(where)
    assert not wrong, "\n".join(f"{problem} ← {sorted(files)[:3]}" for problem, files in sorted(wrong.items()))
    assert {".xml", ".ics", "html-jsonld"} <= seen_in  # the check did look at feeds, calendars and JSON-LD
    sitemap = (subpath_site / "sitemap.xml").read_text(encoding="utf-8")
    assert f"<loc>{SITE_URL}fiches/</loc>" in sitemap


class _PrefixHandler(SimpleHTTPRequestHandler):
    """Serves the site only under /portail/, as a host serving it in a sub-folder."""

    def send_head(self):
        path = urlsplit(self.path).path
        if path == PREFIX.rstrip("/"):
            self.send_response(301)
            self.send_header("Location", PREFIX)
            self.end_headers()
            return None
        if not path.startswith(PREFIX):
            self.send_error(404, "outside the site's prefix")
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        stripped = urlsplit(path).path[len(PREFIX) - 1 :]
        return super().translate_path(stripped)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def serve_under_prefix(directory: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_PrefixHandler, directory=str(directory)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


WAIT_RESULTS = """() => {
  const message = document.querySelector('.pagefind-ui__message');
  if (!message || /^Recherche de/.test(message.textContent.trim())) return false;
  return !document.querySelector('.pagefind-ui__results .pagefind-ui__loading');
}"""


def test_pages_and_search_work_when_served_under_the_prefix(subpath_site, chromium):
    require_tools(browser=True)
    with serve_under_prefix(subpath_site) as origin:
        context = chromium.new_context(locale="fr-FR")
        page = context.new_page()
        failed = FailedRequests(page, origin).attach()
        try:
            for url in ("", "fiches/", "agenda/", "chiffres/", "donnees/"):
                page.goto(f"{origin}{PREFIX}{url}", wait_until="networkidle")
                assert page.title()
            assert not failed.found(), failed.failures
            # The header search form leads to the search page under the prefix.
            form_action = page.eval_on_selector("form[action*='recherche']", "form => new URL(form.action).pathname")
            assert form_action == f"{PREFIX}recherche/"
            page.goto(f"{origin}{PREFIX}recherche/?q=compostage")
            page.wait_for_function(WAIT_RESULTS)
            hrefs = page.eval_on_selector_all(".pagefind-ui__result-link", "links => links.map(a => a.href)")
            assert hrefs, "no search result under the prefix"
            assert all(urlsplit(href).path.startswith(PREFIX) for href in hrefs), hrefs
            page.goto(hrefs[0], wait_until="networkidle")
            assert page.locator("h1").count() == 1
            assert not failed.found(), failed.failures
        finally:
            context.close()
