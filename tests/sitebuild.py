"""The demo site, built once per test process, for the browser and HTML tests.

Not a test file: the test modules import what they need from here, fixtures
included (``from sitebuild import built_site, site_origin``), because
``tests/conftest.py`` belongs to the unit tests.

- ``demo_site()`` copies the site sources of the repository into a temporary
  folder and builds them there (``today`` fixed, so dated pages are stable);
  the result is memoised for the process, failure included.
- ``serve(folder)`` serves a folder over HTTP on 127.0.0.1 (a free port), in
  a thread, as a context manager yielding the origin.
- ``PAGE_TYPES``: one URL (relative to the site root) per page type found in
  the build, chosen by scanning the built site, so new sections are covered
  without editing this file.
- ``require_tools(...)``: skip when Chromium, Java or the npm packages of
  ``tests/browser`` are absent, except in CI (``CI=true``) where it fails.
  ``bash scripts/setup_system.sh`` installs all of them.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import re
import shutil
import tempfile
import threading
from contextlib import contextmanager
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 24)
SOURCES = ("mkdocs.yml", "config", "content", "fiches", "theme_overrides")

BROWSER_DIR = REPO / "tests" / "browser"
NODE_MODULES = BROWSER_DIR / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SETUP_HINT = "run `bash scripts/setup_system.sh` (as root) to install it"

# The sections whose pages are items of a content type: their listing and
# their first item are always page types (when they exist in the build).
ITEM_SECTIONS = ("fiches", "agenda", "ressources", "actualites", "annuaire", "aides")
# Top-level folders of the build that hold no page of their own. ``admin``
# is Decap CMS's app, not a site page: tests/test_decap.py checks it (axe on
# its login page, no other host), as the mkdocs-material checks do not apply.
NOT_PAGES = {"assets", "medias", "search", "admin"}


# --------------------------------------------------------------------------
# Building


class SiteBuildError(Exception):
    pass


_BUILD: dict[str, object] = {}
_BUILD_LOCK = threading.Lock()


def demo_site() -> Path:
    """The demo site built from the repository's sources (once per process).

    Raises ``SiteBuildError`` (every time) if the build failed.
    """
    with _BUILD_LOCK:
        if "site" not in _BUILD and "error" not in _BUILD:
            try:
                _BUILD["site"] = _build()
            except Exception as error:  # noqa: BLE001 - reported to every test
                _BUILD["error"] = f"{type(error).__name__}: {error}"
        if "error" in _BUILD:
            raise SiteBuildError(f"the demo site does not build: {_BUILD['error']}")
        return _BUILD["site"]  # type: ignore[return-value]


def copy_sources(target: Path) -> Path:
    """The site sources of the repository (SOURCES) copied into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.is_file():
            shutil.copy2(source, target / name)
    return target


def _build() -> Path:
    from generators.build import build_site
    from generators.project import find_project

    tmp = Path(tempfile.mkdtemp(prefix="portail-site-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    copy_sources(tmp)
    # build_site() gives the "mkdocs" logger a handler on the current stderr,
    # which pytest replaces while collecting: put the logger back as it was.
    logger = logging.getLogger("mkdocs")
    handlers, level = logger.handlers[:], logger.level
    try:
        return build_site(find_project(config=tmp / "mkdocs.yml"), today=TODAY)
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)


# --------------------------------------------------------------------------
# Page types


def url_to_file(site: Path, url: str) -> Path:
    """The file a site URL (relative to the root, e.g. ``fiches/``) is served from."""
    return site / url / "index.html" if url == "" or url.endswith("/") else site / url


def _pages_under(folder: Path) -> list[str]:
    """Sub-folders of ``folder`` that are pages (hold an index.html), sorted."""
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and _is_page(p / "index.html"))


def _is_page(path: Path) -> bool:
    """A page of the site, not a redirect left at an old address (they
    leave at once, so tests/test_redirects.py checks them apart)."""
    return path.is_file() and "data-portail-redirection" not in path.read_text(encoding="utf-8", errors="replace")[:400]


def site_pages(site: Path, pattern: str = "index.html") -> list[Path]:
    """The HTML pages MkDocs wrote, sorted: not Pagefind's files, not the web
    editor's app (tests/test_decap.py), not the redirects left at the old
    portal's addresses (tests/test_redirects.py)."""
    skipped = [site / "pagefind", site / "admin"]
    return [
        page
        for page in sorted(site.rglob(pattern))
        if not any(page.is_relative_to(folder) for folder in skipped) and _is_page(page)
    ]


def _vocabulary_folders() -> list[str]:
    """URL folders of the controlled vocabularies (one template for all of them)."""
    try:
        data = yaml.safe_load((REPO / "config" / "vocabulaires.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []
    if not isinstance(data, dict):
        return []
    folders = []
    for name, spec in data.items():
        address = spec.get("adresse") if isinstance(spec, dict) else None
        folders.append(str(address or str(name).replace("_", "-")).strip("/"))
    return folders


_CLASSES = re.compile(r'class="([^"]*)"')


def _richness(page: Path) -> tuple[int, int]:
    """How many components a page shows: its distinct class names, then its size."""
    html = page.read_text(encoding="utf-8", errors="replace")
    return len({name for value in _CLASSES.findall(html) for name in value.split()}), len(html)


def scan_page_types(site: Path) -> list[str]:
    """One URL per page type of a built site.

    - the home page and ``404.html``;
    - for every top-level folder holding pages: its index page (a listing,
      a vocabulary, ``contribuer/``, ``donnees/``, ``recherche/``...) and
      its first sub-page (the first item, term or territory); in the item
      sections, also the item page showing the most components (most
      distinct class names: images, documents, map, related items...); the
      vocabularies all share two templates, so only the first vocabulary
      found (``thematiques`` if it exists) is taken;
    - under ``territoires/``, the first region as well as the first
      department (region pages list their departments);
    - the first page 2 of a paginated listing.
    """
    urls: list[str] = [""]
    if (site / "404.html").is_file():
        urls.append("404.html")
    vocabularies = _vocabulary_folders()
    present = [v for v in vocabularies if (site / v).is_dir()]
    keep_vocabulary = "thematiques" if "thematiques" in present else (present[0] if present else None)
    folders = sorted(p.name for p in site.iterdir() if p.is_dir() and p.name not in NOT_PAGES)
    # Item sections first, in the order readers meet them, then the others.
    folders.sort(key=lambda name: (ITEM_SECTIONS.index(name) if name in ITEM_SECTIONS else len(ITEM_SECTIONS), name))
    paginated: str | None = None
    for name in folders:
        if name in vocabularies and name != keep_vocabulary:
            continue
        folder = site / name
        if _is_page(folder / "index.html"):
            urls.append(f"{name}/")
        children = [child for child in _pages_under(folder) if child != "page"]
        if children:
            urls.append(f"{name}/{children[0]}/")
        if name in ITEM_SECTIONS and len(children) > 1:
            richest = max(children, key=lambda child: _richness(folder / child / "index.html"))
            if richest != children[0]:
                urls.append(f"{name}/{richest}/")
        if name == "territoires":
            regions = [child for child in children if not re.match(r"\d", child)]
            if regions and f"{name}/{regions[0]}/" not in urls:
                urls.append(f"{name}/{regions[0]}/")
        if paginated is None and (folder / "page").is_dir():
            numbers = _pages_under(folder / "page")
            if numbers:
                paginated = f"{name}/page/{numbers[0]}/"
    if paginated:
        urls.append(paginated)
    return urls


def page_id(url: str) -> str:
    """A short test id for a page URL: ``accueil``, ``fiches/``, ``fiches/<slug>``."""
    if url == "":
        return "accueil"
    parts = url.strip("/").split("/")
    if len(parts) == 1:
        return url
    if parts[1] == "page":
        return f"{parts[0]}/page/N"
    if parts[0] == "territoires":
        return "territoires/departement" if re.match(r"\d", parts[1]) else "territoires/region"
    return url.strip("/")


def _page_types() -> list[str]:
    try:
        return scan_page_types(demo_site())
    except SiteBuildError:
        # Collection must not crash: the tests of the home page will report
        # the build error through the ``built_site`` fixture.
        return [""]


PAGE_TYPES: list[str] = _page_types()
PAGE_IDS: list[str] = [page_id(url) for url in PAGE_TYPES]


# --------------------------------------------------------------------------
# Serving


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port); yields ``http://127.0.0.1:PORT``."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class FailedRequests:
    """Requests of a Playwright ``page`` that failed, while attached: error
    responses, and requests that could not complete. A request the browser
    cancelled itself (net::ERR_ABORTED: a navigation, a favicon fetch cut
    short) says nothing about the file: ``found()`` asks for it again and
    counts it only if that fails too."""

    def __init__(self, page, origin: str) -> None:
        self.page, self.origin = page, origin
        self.failures: list[str] = []
        self._aborted: set[str] = set()

    def _response(self, response) -> None:
        if response.status >= 400:
            self.failures.append(f"HTTP {response.status} {response.url}")

    def _failed(self, request) -> None:
        if "ERR_ABORTED" in (request.failure or ""):
            self._aborted.add(request.url)
        else:
            self.failures.append(f"failed ({request.failure}) {request.url}")

    def attach(self) -> "FailedRequests":
        self.page.on("response", self._response)
        self.page.on("requestfailed", self._failed)
        return self

    def detach(self) -> None:
        self.page.remove_listener("response", self._response)
        self.page.remove_listener("requestfailed", self._failed)

    def found(self) -> list[str]:
        """The failures so far, with the aborted requests to the site's
        origin that fail again when asked for directly."""
        for url in sorted(self._aborted):
            if url.startswith(self.origin + "/"):
                status = self.page.context.request.get(url).status
                if status >= 400:
                    self.failures.append(f"failed (net::ERR_ABORTED, then HTTP {status}) {url}")
        self._aborted.clear()
        return self.failures


# --------------------------------------------------------------------------
# Tools


def require_tools(*, browser: bool = False, axe: bool = False, vnu: bool = False) -> None:
    """Skip (or, in CI, fail) when a tool the test needs is missing."""
    missing = []
    if browser and not CHROMIUM.is_file():
        missing.append(f"Chromium ({CHROMIUM})")
    if axe and not AXE_JS.is_file():
        missing.append(f"axe-core ({AXE_JS.relative_to(REPO)})")
    if vnu:
        if not VNU_JAR.is_file():
            missing.append(f"the Nu HTML Checker ({VNU_JAR.relative_to(REPO)})")
        if shutil.which("java") is None:
            missing.append("a Java runtime (java)")
    if not missing:
        return
    reason = f"missing {', '.join(missing)}: {SETUP_HINT}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------
# Fixtures (import them explicitly in the test modules that use them)


@pytest.fixture(scope="session")
def built_site() -> Path:
    """The built demo site folder."""
    try:
        return demo_site()
    except SiteBuildError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="module")
def content():
    """The repository's demo content as the validator loads it (no problem allowed)."""
    from generators.content import Validator
    from generators.declaration import load_declaration
    from generators.territories import TerritoryIndex

    declaration = load_declaration(REPO / "config" / "types.yml", REPO)
    loaded = Validator(declaration, TerritoryIndex.load()).load()
    assert not loaded.problems, [p.format_text() for p in loaded.problems]
    return loaded


@pytest.fixture(scope="session")
def site_origin(built_site: Path) -> Iterator[str]:
    """The built demo site served over HTTP: its origin, ``http://127.0.0.1:PORT``."""
    with serve(built_site) as origin:
        yield origin


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium driven by Playwright, one per test module."""
    require_tools(browser=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
