"""The ``portail`` MkDocs plugin: wires MkDocs events to the core.

Thin on purpose: content is loaded and validated by ``content.py``, pages are
planned by ``site.py``, values are formatted by ``formatting.py``. This module
only translates between those and MkDocs' objects, and keeps its own data in
side tables keyed by source URI rather than on MkDocs objects.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import posixpath
import re
import sys
from dataclasses import dataclass, field
from importlib import metadata
from datetime import date
from pathlib import Path

from jinja2 import BytecodeCache, ChoiceLoader, DictLoader, FileSystemLoader, PrefixLoader
from jinja2.bccache import Bucket
from mkdocs.config import config_options as c
from mkdocs.config.base import Config, ValidationError
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.toc import get_toc
from mkdocs.utils import clean_directory

from .cards import social_cards
from .carte import TilesError, tiles_from_config
from .content import ContentSet, Item, Validator
from .declaration import DeclarationError, load_declaration
from .decap import EditorSettings, admin_outputs, find_bundle
from .formatting import FILTERS
from .images import ImageSet, image_signature, prepare_images, public_path
from .markdown_images import BodyImagesExtension
from .preview import PREVIEW_LIMIT, BackgroundBuild, ContentWatcher, compare, snapshot, watcher_for
from .emit import FolderMaker, OutputFile, place_cached_in_folder, write_outputs
from .search import SearchIndexError
from .search_parts import AUTO, MAX_PARTS, EarlyParts, make_indexing, resolve_parts
from .second_renderer import CHECK_SHARE, SecondRenderer, can_fork, split_share
from .pages import DeferredContext
from .plugin_options import EnglishPrefixFilter, OptionMessages
from .site import PageSpec, SitePlanner, build_outputs, plan_pages
from .redirects import RedirectPlan, check_redirects, render_pages
from .render_cache import Entry, Fingerprinter, Recorder, RenderCache, Untraceable, files_digest, replay
from .site import Links
from .taxonomy import Taxonomy
from .territories import TerritoryIndex
from .declaration import Declaration
from .values import FileRef, Image, Reference

log = get_plugin_logger("portail")

TODAY_ENV = "PORTAIL_DATE"
CACHE_ENV = "PORTAIL_CACHE"  # "non" (or 0, false): render every page, as the option ``cache: false`` does
CACHED_TEMPLATE = "portail/_cache.html"  # an empty template: a page taken from the cache skips its own
# A warm build renders up to this many pages before MkDocs' page loop, so that
# the search index's parts they change are indexed meanwhile (_start_early).
PRERENDERED = 50
# Packages whose code shapes the pages' HTML: their versions are part of every page's key.
SHARED_INDEXES = ("links", "taxonomy")  # the site-wide indexes of a page's context (site.py), traced
RENDER_PACKAGES = ("mkdocs", "mkdocs-material", "markdown", "jinja2", "markupsafe", "babel", "pymdown-extensions", "pillow")

# mkdocs-material's base.html puts autocomplete="off" on two checkboxes, which
# HTML allows on text-like inputs only. tests/test_build.py fails if the theme
# stops writing them, so this table is dropped when no longer needed.
THEME_MARKUP_FIXES = (
    ('type="checkbox" id="__drawer" autocomplete="off"', 'type="checkbox" id="__drawer"'),
    ('type="checkbox" id="__search" autocomplete="off"', 'type="checkbox" id="__search"'),
)


class EditorConfig(Config):
    """``editeur``: the web editor at /admin/ (Decap CMS); keys other than
    ``actif`` keep Decap's own names (see generators/decap.py)."""

    actif = c.Type(bool, default=True)
    """Publish /admin/ (the build then needs Decap's bundle: scripts/setup_admin.sh)."""
    backend = c.Choice(("github", "gitlab", "gitea"), default="github")
    repo = c.Type(str, default="")
    """The Git repository, ``owner/name``."""
    branch = c.Type(str, default="main")
    base_url = c.Optional(c.Type(str))
    auth_endpoint = c.Optional(c.Type(str))
    api_root = c.Optional(c.Type(str))
    app_id = c.Optional(c.Type(str))
    auth_type = c.Optional(c.Type(str))
    local_backend = c.Type((bool, str), default=False)
    """``true`` (or decap-server's URL): edit a local clone through ``decap-server``."""
    media_folder = c.Type(str, default="content/medias")
    """Repository folder where uploaded images and documents go."""
    media_folders = c.Type(dict, default={})
    """Per content type, a folder overriding ``media_folder`` (``fiche: fiches/images``)."""


class _Parts(c.Type):
    """``recherche.parties``: ``auto`` or a number of parts."""

    expected = f"« {AUTO} » ou un nombre entre 1 et {MAX_PARTS}"

    def run_validation(self, value):
        value = super().run_validation(value)
        if value != AUTO and not (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_PARTS):
            raise ValidationError(f"valeur attendue : {self.expected}")
        return value


class _Day(c.Type):
    """``today``: a date written AAAA-MM-JJ (YAML reads it as a date unless
    quoted: both are taken, as text)."""

    expected = "une date écrite AAAA-MM-JJ"

    def run_validation(self, value):
        value = super().run_validation(value)
        if isinstance(value, date):
            return value.isoformat()
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"valeur attendue : {self.expected}") from None
        return value


class SearchConfig(Config):
    """``recherche``: how the search index is built."""

    parties = _Parts((int, str), default=AUTO)
    """Index the site in this many parts that the browser merges (generators/search_parts.py): less
    memory while building, and a rebuild indexes again only the parts whose pages changed; but a first
    query is slower and heavier. ``auto`` (the default): one part per 2,000 pages; 1: one index."""


class PortailConfig(Config):
    declaration = c.Type(str, default="config/types.yml")
    """Path of the content-type declaration, relative to mkdocs.yml."""
    redirections = c.Type(str, default="config/redirections.yml")
    """Table of the old portal's addresses to redirect (redirects.py), relative to mkdocs.yml."""
    today = c.Optional(_Day((str, date)))
    """Build date (AAAA-MM-JJ) for reproducible builds; else $PORTAIL_DATE, else today."""
    editeur = c.SubConfig(EditorConfig)
    """The web editor at /admin/."""
    carte = c.Type(dict, default={})
    """Map options: ``tuiles: {url, attribution}`` names a tile server (none by default: nothing loaded from another host)."""
    etat_mois = c.Type(int, default=12)
    """``portail etat``: months without a change after which an item is listed as stale."""
    cache = c.Type(bool, default=True)
    """Reuse the pages rendered by earlier builds (``.cache/pages/``) when nothing they are made of changed."""
    recherche = c.SubConfig(SearchConfig)
    """The search index (Pagefind)."""


class PortailPlugin(BasePlugin[PortailConfig]):
    supports_multiple_instances = False

    def load_config(self, options, config_file_path=None):
        """MkDocs' checks of the plugin's options, with their messages in
        French and placed in mkdocs.yml (plugin_options.py)."""
        errors, warnings = super().load_config(options, config_file_path)
        messages = OptionMessages(PortailConfig, options, config_file_path)
        config_log = logging.getLogger("mkdocs.config")
        if not any(isinstance(f, EnglishPrefixFilter) for f in config_log.filters):
            config_log.addFilter(EnglishPrefixFilter())
        return [(key, messages.error(key, str(message))) for key, message in errors], [messages.warning(w) for w in warnings]

    def __init__(self) -> None:
        self.content: ContentSet | None = None
        self.pages: dict[str, PageSpec] = {}
        self.today: date = date.today()
        self.images: ImageSet | None = None  # on_build_error may come before on_config has set it
        self.render: RenderCache | None = None
        # Pages taken from the cache, with the key they were checked against:
        # their text is read again when written, not held by thousands meanwhile.
        self._hits: dict[str, bytes] = {}
        self._misses: dict[str, tuple[bytes, list, dict]] = {}
        self._warned: set[str] = set()
        self._current: str | None = None
        self._watch: _PageWarnings | None = None
        # The preview server (``mkdocs serve --dirty``): MkDocs keeps this
        # object across rebuilds because it has on_startup.
        self._previewing = False
        self._previous: _Built | None = None  # the last build that succeeded
        self._quick: _Quick | None = None  # this build's plan, when it is a quick one
        self._stamps: dict[str, tuple[int, int]] = {}
        self._background = BackgroundBuild()
        self._validator: tuple[bytes, Validator] | None = None
        self._planner: SitePlanner | None = None  # the preview server's, kept for quick rebuilds
        self._bytecode = _MemoryBytecodeCache()  # templates compiled once per process
        self._page_files: dict[str, File] = {}
        self._extra_files: list[File] = []
        self._replaced_files: set[str] = set()
        self._sources: set[str] = set()
        self._resolved: dict[str, str] = {}
        # A cold build renders half its pages in a forked child (second_renderer.py).
        self._serving = False
        self._second: SecondRenderer | None = None
        self._deferred: dict[str, tuple[bytes, str, object]] = {}  # the child's pages: key, Markdown, template
        self._join_after: str | None = None  # the page after which the parent waits for the child
        self._join_args: tuple = ()
        self._in_second = False  # True in the child
        self._stored: list[str] = []  # the child's stored pages
        self._second_count = 0
        self._share_hits: set[str] = set()  # the child's pages found in the cache by the parent
        # A warm build has its child check part of the pages instead (_check_share).
        self._checker: SecondRenderer | None = None
        self._folders: FolderMaker | None = None
        # The page keys of the last build, reused when nothing but a page's
        # own Markdown can have changed (_content_inputs, on_page_markdown).
        self._inputs: bytes | None = None
        self._last_keys: dict[str, tuple[bytes, bytes, int]] | None = None
        self._keys: dict[str, tuple[bytes, bytes, int | None]] = {}  # Markdown digest, key, HTML size
        self._recalled = 0  # keys taken from _last_keys
        self._verdicts: dict[str, tuple[bytes, int]] | None = None  # the child's hits: key, HTML size
        self._checking = False  # True in a checking child
        self._linked = _Linked()  # pages linked from the cache by on_post_page
        self._frozen = False  # the build's objects out of the collector's sight (_freeze)
        self.search_parts = 1  # the search index's parts for this build (on_nav)
        self._early: EarlyParts | None = None  # parts indexed during the page loop (_start_early)
        self._prerendered: set[str] = set()  # pages rendered before the page loop (_start_early)
        self._nav = None

    def on_startup(self, *, command, dirty):
        """Quick rebuilds only for ``mkdocs serve --dirty``: MkDocs then skips
        the pages whose file says it did not change (see _GeneratedFile)."""
        self._previewing = command == "serve" and dirty
        self._serving = command == "serve"
        if self._previewing:
            logging.getLogger("mkdocs.commands.build").addFilter(_drop_dirty_warning)

    def on_shutdown(self):
        self._background.cancel()

    def on_config(self, config):
        """Priority 0 (default). Load and check the declaration; settle "today"."""
        root = Path(config.config_file_path).resolve().parent
        try:
            declaration = load_declaration(root / self.config.declaration, root)
        except DeclarationError as error:
            for problem in error.problems:
                log.error(problem.format_text())
            raise PluginError("la déclaration des types de contenu est invalide") from None
        # The preview server keeps its validator (and its compiled models)
        # while the declaration's folder is unchanged.
        digest = files_digest([declaration.path.parent])
        if self._validator is None or self._validator[0] != digest:
            self._validator = (digest, Validator(declaration))
        self.validator = self._validator[1]
        self.editor = _editor(self.config.editeur, declaration, config)
        try:
            self.tiles = tiles_from_config(self.config.carte.get("tuiles"))
        except TilesError as error:
            raise PluginError(f"portail.carte : {error}") from None
        text = self.config.today or os.environ.get(TODAY_ENV)
        try:
            self.today = date.fromisoformat(text) if text else date.today()
        except ValueError:
            raise PluginError(f"date du jour invalide « {text} » (attendu : AAAA-MM-JJ)") from None
        # Images of Markdown bodies become <picture> (markdown_images.py); the
        # extension learns each build's processed images in on_files.
        self.images: ImageSet | None = None
        self.body_images = BodyImagesExtension(config.theme)
        config.markdown_extensions.append(self.body_images)
        self.render_base = self._build_digest(config)
        self._quick = None
        if self._previewing:
            self._quick = self._plan_quick(config)
            if self._quick is None or self._quick.sources:
                self._background.cancel()  # a newer build: the full one under way is out of date
        if self._quick is not None:  # 404.html and sitemap.xml: the full build that follows writes them
            config.theme.static_templates.clear()
        elif self._previewing:
            gc.unfreeze()  # the last full build's objects may be collected again (see on_post_build)
        return config

    # -- the preview server's quick rebuilds (preview.py) ----------------------

    def _watched_folders(self, config) -> list[Path]:
        declaration = self.validator.declaration
        return [declaration.root / folder for folder in declaration.folders()] + [Path(config.docs_dir)]

    def _plan_quick(self, config) -> "_Quick | None":
        """A quick rebuild when only a few content files were edited since the
        last build, keeping their type, slug, draft state and images; else None."""
        self._stamps = snapshot(self._watched_folders(config))
        previous = self._previous
        if previous is None or previous.base != self.render_base:
            return None
        changes = compare(previous.stamps, self._stamps)
        if not (changes.added or changes.removed or changes.edited):
            # The watcher saw a file that is not content (an editor's swap or
            # backup file), or a save in two steps whose last one the last
            # build already read: nothing to rebuild, and the full build under
            # way, if any, is still up to date.
            return _Quick(content=previous.content, sources=[])
        if changes.added or changes.removed or len(changes.edited) > PREVIEW_LIMIT:
            return None
        root = self.validator.declaration.root
        sources = []
        for path in changes.edited:
            try:
                source = Path(path).resolve().relative_to(root).as_posix()
            except ValueError:
                return None
            if source not in previous.items:
                return None  # not a content file (a stylesheet, an image...)
            sources.append(source)
        content = self.validator.refresh(previous.content, [root / source for source in sources])
        if not content.problems:
            for source in sources:
                old, new = previous.items[source], next((i for i in content.items if i.source == source), None)
                if new is None or (old.type, old.slug, old.draft) != (new.type, new.slug, new.draft):
                    return None
                if image_signature(content.declaration, old) != image_signature(content.declaration, new):
                    return None
                if _attached_files(ContentSet(content.declaration, items=[old])) != _attached_files(ContentSet(content.declaration, items=[new])):
                    return None
        return _Quick(content=content, sources=sources)

    def on_pre_build(self, config):
        """Priority 0. Before a full build of the preview server (MkDocs,
        in dirty mode, keeps the folder), empty it as MkDocs would. Then note
        which page each warning is about: a page whose rendering warned is
        not stored (a strict build fails on it, and a cached copy would hide
        the warning next time)."""
        if self._previewing and self._quick is None:
            clean_directory(config.site_dir)
        self._linked.clear()
        logging.getLogger("mkdocs.commands.build").addFilter(self._linked)
        self._watch = _PageWarnings(self)
        logging.getLogger("mkdocs").addHandler(self._watch)

    def on_files(self, files: Files, config) -> Files:
        """Priority 0. Validate all content (stop on any problem), then swap the
        editors' files for generated pages, process images and social cards
        (stop on a bad image) and add the files they attach. A quick rebuild
        of the preview server plans again only the edited items' pages."""
        quick = self._quick
        if quick is None:
            cache = self._items_cache()
            content = self.validator.load(cache=cache)
            self._freeze()  # before planning: its full collections walked the items (1.1 s at 10,000 sheets)
            if cache is not None:
                log.info(f"contenus : {content.files_read} fichier(s) validé(s), dont {content.files_cached} repris du cache")
        else:
            content = quick.content
        _stop_on(content.problems, "dans les contenus", "Corrigez-les (portail validate) puis relancez la construction.")
        self.content = content
        root = self.validator.declaration.root
        docs_dir = Path(config.docs_dir).resolve()
        if quick is None:
            self._planner = SitePlanner(content, self.today, config.site_url or "", tiles=self.tiles, defer=not self._serving)
            pages = plan_pages(self._planner)
            gc.freeze()  # the page plans too (_freeze)
        else:
            assert self._previous is not None
            edited = set(quick.sources)
            items = [item for item in content.items if item.source in edited]
            fresh = {}
            if items:
                planner = self._planner
                if planner is None or len(items) != 1 or not planner.rebind(content, items[0]):
                    planner = self._planner = SitePlanner(content, self.today, config.site_url or "", tiles=self.tiles)
                fresh = {spec.src_uri: spec for spec in (planner.item_page(i) for i in items if not i.draft)}
            pages = [fresh.get(src_uri, spec) for src_uri, spec in self._previous.pages.items()]
            quick.pages = set(fresh)
        # The same items in a quick rebuild: the same sources; and the files
        # (with their MkDocs page) of the pages not rendered again are kept.
        self._sources = self._previous.sources if quick is not None and self._previous is not None else _resolved_sources(root, content)
        kept = self._previous.page_files if quick is not None and self._previous is not None else {}
        for file in list(files):
            if file.abs_src_path and self._resolve(file.abs_src_path) in self._sources:
                files.remove(file)
        self.pages = {}
        self._page_files = {}
        for spec in pages:
            self.pages[spec.src_uri] = spec
            existing = files.src_uris.get(spec.src_uri)  # URIs made by the planner are already POSIX
            if existing is not None:
                files.remove(existing)
            page_file = kept.get(spec.src_uri) if quick is not None and spec.src_uri not in quick.pages else None
            if page_file is None:
                page_file = _GeneratedFile.generated(
                    config,
                    spec.src_uri,
                    content=_page_source(spec),
                    inclusion=InclusionLevel.INCLUDED if spec.in_nav else InclusionLevel.NOT_IN_NAV,
                )
            page_file.modified = quick is None or spec.src_uri in quick.pages
            self._page_files[spec.src_uri] = page_file
            files.append(page_file)
        if quick is None:  # the pages' folders, made on the other core (the cards go there first)
            self._folders = FolderMaker(config.site_dir, (os.path.dirname(f.abs_dest_path) for f in self._page_files.values()))
        if quick is not None:  # the same images as the last build (_plan_quick checked it)
            assert self._previous is not None
            self.images = self._previous.images
        else:
            self._prepare_images(content, docs_dir, config)
        self._add_files(files, config, content, root, docs_dir)
        return files

    def _prepare_images(self, content: ContentSet, docs_dir: Path, config) -> None:
        # Images: decoded in full, variants and social cards from .cache/images/
        # (images.py, cards.py); a bad image stops the build like a bad field.
        self.images = prepare_images(
            content, docs_dir=docs_dir, cards=social_cards(content, config.site_name, config.site_description or ""),
            defer_cards=True,  # drawn while the pages render; published in on_post_build
        )
        if self.images.problems:
            self.images.cancel_cards()
            _stop_on(self.images.problems, "d'images")
        log.info(
            f"images : {self.images.processed} traitée(s), {self.images.drawn} carte(s) de partage dessinée(s), "
            f"{self.images.reused} reprise(s) du cache"
        )

    def _resolve(self, path: str) -> str:
        """A file's resolved path, remembered (the preview server's rebuilds
        ask it of the same few thousand files each time)."""
        found = self._resolved.get(path)
        if found is None:
            found = self._resolved[path] = str(Path(path).resolve())
        return found

    def _add_files(self, files: Files, config, content: ContentSet, root: Path, docs_dir: Path) -> None:
        assert self.images is not None
        quick = self._quick is not None and self._previous is not None
        replaced = self.images.replaced_sources()  # originals keep their EXIF/GPS: only variants are published
        self._replaced_files = self._previous.replaced_files if quick else {str((root / path).resolve()) for path in replaced}
        for file in list(files):
            if file.abs_src_path and self._resolve(file.abs_src_path) in self._replaced_files:
                files.remove(file)
        known = files.src_uris
        if quick:  # the same images and attachments (_plan_quick): the same files, not copied again
            self._extra_files = self._previous.extra_files
            for extra in self._extra_files:
                extra.modified = False
                if extra.src_uri not in known:
                    files.append(extra)
        else:
            self._extra_files = []
            cache = self.images.cache
            for uri, path in self.images.published_files():
                if uri not in known:
                    kind = _CachedFile if cache is not None and path.is_relative_to(cache) else _GeneratedFile
                    self._extra_files.append(kind.generated(config, uri, abs_src_path=str(path)))
                    files.append(self._extra_files[-1])
        page_items = {src_uri: spec.context.get("item") for src_uri, spec in self.pages.items()}
        images = self.images

        def body_pictures(file):
            if not page_items.get(file.src_uri):
                return None
            return self._traced(file.src_uri, "images", images.for_page(file.src_uri, file.url, page_items[file.src_uri]))

        self.body_images.use(body_pictures)
        self._site_url = config.site_url or ""
        for path in [] if quick else sorted(_attached_files(content) - replaced):
            absolute = root / path
            uri = public_path(absolute, docs_dir, path)
            if uri not in known:
                self._extra_files.append(_GeneratedFile.generated(config, uri, abs_src_path=str(absolute)))
                files.append(self._extra_files[-1])
        # Old addresses (redirects.py): checked against every page and file now,
        # written after the pages; a wrong line stops the build. A quick
        # rebuild changes no address: the last build's plan holds.
        if quick:
            self.redirects = self._previous.redirects
            self._start_render_cache(config)
            return
        self.redirects = check_redirects(
            root / self.config.redirections, root, content, self.pages.values(), [(f.url, f.dest_uri) for f in files]
        )
        _stop_on(self.redirects.problems, "dans les redirections")
        if self.redirects.pending:
            log.info(f"redirections : {len(self.redirects.pending)} en attente (leur cible est un brouillon)")
        self._start_render_cache(config)

    # -- the rendered-page cache (render_cache.py) --------------------------

    def _cache_enabled(self) -> bool:
        return bool(self.config.cache) and os.environ.get(CACHE_ENV, "").strip().lower() not in ("0", "non", "false", "no")

    def _items_cache(self) -> Path | None:
        """The validated items of the files that did not change since the last
        build are taken from ``.cache/validation-items`` (validation_cache.py)."""
        return self.validator.declaration.root / ".cache" / "validation-items" if self._cache_enabled() else None

    def _search_cache(self) -> Path | None:
        """The bundles of a search index in parts (search_parts.py) are kept in ``.cache/search``."""
        return self.validator.declaration.root / ".cache" / "search" if self._cache_enabled() else None

    def _start_render_cache(self, config) -> None:
        """Open ``.cache/pages/`` and compute the part of every page's key that
        the whole build shares (the navigation's part is added in on_nav)."""
        self._hits, self._misses, self._warned, self._replayed = {}, {}, set(), {}
        if not self._cache_enabled():
            self.render = None
            return
        root = self.validator.declaration.root
        self.render = RenderCache(root / ".cache" / "pages")
        self.fingerprints = Fingerprinter({
            Links: lambda _: "links",  # traced: render_cache.Recorder
            Taxonomy: lambda _: "taxonomy",  # traced
            TerritoryIndex: lambda _: "territories",  # data files: in the build's key
            Declaration: lambda _: "declaration",  # configuration: in the build's key
        }, skip={
            # A page shows its own item's body as its Markdown (in its key);
            # templates never read the body of the items they list
            # (tests/test_render_cache.py checks it), so editing a body
            # re-renders that one page, not the listings that name the item.
            Item: frozenset({"body", "body_line"}),
        }, pickled=frozenset({Item}))  # validated data and value objects only
        self.render_key = self.render_base

    def _build_digest(self, config) -> bytes:
        """What every page of the build is made of beside its own data: code,
        templates, packages, configuration, declaration and the build date."""
        theme = config.theme
        versions = []
        for name in RENDER_PACKAGES:
            try:
                versions.append((name, metadata.version(name)))
            except metadata.PackageNotFoundError:
                versions.append((name, None))
        settings = {
            name: config.get(name)
            for name in ("site_name", "site_url", "site_description", "site_author", "copyright", "use_directory_urls",
                         "repo_url", "repo_name", "edit_uri", "extra", "extra_css", "extra_javascript", "nav",
                         "mdx_configs", "docs_dir", "remote_branch")
        }
        settings["markdown_extensions"] = [e if isinstance(e, str) else type(e).__qualname__ for e in config.markdown_extensions]
        settings["theme"] = {"name": theme.name, "dirs": list(theme.dirs), "vars": {key: _plain(theme[key]) for key in theme}}
        settings["plugins"] = list(config.plugins)
        settings["portail"] = dict(self.config)
        code = files_digest([
            Path(__file__).resolve().parent,  # this package, its data and templates
            *(Path(d) for d in theme.dirs if not str(Path(d).resolve()).startswith(str(Path(sys.prefix).resolve()))),
            Path(config.config_file_path),
            self.validator.declaration.path.parent,
        ])
        return Fingerprinter({}).digest((
            "portail", code, versions, sys.version, settings, self.today.isoformat(), [str(self.tiles)],
        ))

    def on_nav(self, nav, config, files):
        """Priority 0. The navigation is on every page: it is part of every key;
        so is the number of the search index's parts (the search forms say it)."""
        self.search_parts = resolve_parts(self.config.recherche.parties, len(files.documentation_pages()))
        self._nav = nav
        self._keys, self._inputs, self._last_keys, self._recalled = {}, None, None, 0
        if self.render is not None:
            self.render_key = self.fingerprints.digest((self.render_base, _nav_outline(nav.items, self.pages), self.search_parts))
            self._recall_keys(files)
        if self._last_keys is None:
            self._fill_contexts()
        if self.render is not None:
            self._start_second(nav, config, files)
        return nav

    def _fill_contexts(self) -> None:
        """Plan now what the item pages left for later (pages.DeferredContext):
        without the last build's keys, every page is keyed, so all are
        needed; before the fork, so that the child has them too; frozen
        with the rest (_freeze)."""
        deferred = [spec.context for spec in self.pages.values() if isinstance(spec.context, DeferredContext)]
        for context in deferred:
            context.fill()
        if deferred and self._frozen:
            gc.freeze()

    def _recall_keys(self, files) -> None:
        """The last build's page keys, if that build had the same inputs
        beside the pages' own Markdown (``_content_inputs``). Then a page
        whose Markdown is unchanged has the same key, which is not computed
        again (about 0.2 ms a page): after a body edit, every page but the
        edited one. The key still goes through the cache's checks."""
        if self.render is None or self._quick is not None or self.content is None:
            return
        try:
            self._inputs = self._content_inputs(files)
        except Untraceable as reason:
            log.debug(f"clés des pages recalculées : {reason}")
            return
        self._last_keys = self.render.last_keys(self._inputs)

    def _content_inputs(self, files) -> bytes:
        """What a page's key is made of beyond its own Markdown: the build-wide
        key (code, templates, configuration, date, navigation), every item
        but its body (as the keys digest it: templates never read another
        item's body, and a page's own body is its Markdown), the images and
        social cards (their cache files are named by their content), and
        the files MkDocs resolves links against."""
        h = hashlib.blake2b(b"portail-content-inputs-1", digest_size=20)
        h.update(self.render_key)
        for item in self.content.items:
            h.update(item.source.encode("utf-8", "surrogatepass") + b"\0")
            h.update(self.fingerprints.digest(item))
        images = self.images
        cards: set[str] = set()
        if images is not None:
            h.update(self.fingerprints.digest((
                images.images, images.cards, images.default_card, images.body_paths, sorted(images.withheld),
            )))
            # A card being drawn is not among the files yet (ImageSet.finish_cards
            # publishes it), one taken from the cache is: no Markdown links to them.
            cards = {card.uri for card in images.all_cards()}
        h.update(self.fingerprints.digest(sorted(uri for uri in files.src_uris if uri not in cards)))
        return h.digest()

    # -- the second core (second_renderer.py) ------------------------------

    def _start_second(self, nav, config, files) -> None:
        """Fork the child that renders the second half of the plugin's pages;
        or, when the last build had the same build-wide key (most pages will
        be taken from the cache), the child that checks the last CHECK_SHARE
        of them (_check_share); none when the last build's page keys serve
        (_recall_keys)."""
        self._deferred, self._join_after, self._second_count, self._second = {}, None, 0, None
        self._share_hits, self._checker, self._verdicts = set(), None, None
        if self._quick is not None or self._serving or self._in_second:
            return
        order = [f.src_uri for f in files.documentation_pages() if f.src_uri in self.pages]
        if not can_fork(list(config.plugins), len(order)):
            return
        warm = self.render is not None and self.render.last_build_key() == self.render_key
        if warm and self._last_keys is not None:
            return  # pages whose Markdown is unchanged take their last keys (_recall_keys): too little left to share
        share = split_share(order, CHECK_SHARE) if warm else split_share(order)
        gc.freeze()  # the child shares the parent's objects without the collector touching them
        try:
            if warm:
                self._checker = SecondRenderer(share, lambda uris: self._check_share(uris, config, files))
            else:
                self._second = SecondRenderer(share, lambda uris: self._render_share(uris, nav, config, files))
        finally:
            if not self._frozen:
                gc.unfreeze()

    def _freeze(self) -> None:
        """Keep the build's long-lived objects (items, indexes, page plans:
        millions at 10,000 sheets) out of the garbage collector's sight until
        the build ends (``_thaw``), and collect the young generation less
        often meanwhile. Each full collection walked them all again while
        pages were rendered. In a cold build of 10,000 sheets the main
        process spent 7.2 s collecting (5.4 s in 13 full collections), and
        4.5 s with this. Frozen objects are never freed while frozen; they
        live as long as the build anyway."""
        gc.freeze()
        if not self._frozen:
            self._frozen = True
            self._thresholds = gc.get_threshold()
            gc.set_threshold(10_000, *self._thresholds[1:])

    def _thaw(self) -> None:
        if self._frozen:
            gc.unfreeze()
            gc.set_threshold(*self._thresholds)
            self._frozen = False

    def _render_share(self, share: list[str], nav, config, files) -> list[str]:
        """In the child: convert and render ``share`` as MkDocs does; the pages
        are stored in the cache, not written. Returns the stored ones."""
        from mkdocs.commands.build import _build_page, _populate_page

        self._in_second, self._second, self._stored = True, None, []
        for page in nav.pages:  # their titles are in every page's navigation
            _populate_page(page, config, files)
        env = config.plugins.on_env(config.theme.get_env(), config=config, files=files)
        doc_files = files.documentation_pages()
        for uri in share:
            _build_page(_populated(uri, config, files), config, doc_files, nav, env)
        return self._stored

    def _check_share(self, share: list[str], config, files) -> list[tuple[str, bytes, int]]:
        """In the child of a warm build: read ``share``'s pages as MkDocs
        does (``_populate_page``, which calls on_page_markdown: each page's
        key, then the cache's check) without converting any. Returns the
        pages found in the cache, with their key and HTML size. The child is
        a fork of the parent made once the navigation was known: the same
        objects give the same keys and the same answers to the recorded
        calls, so the parent takes these pages as hits without keying them."""
        self._in_second, self._checking, self._second, self._checker = True, True, None, None
        for uri in share:
            _populated(uri, config, files)
        assert self.render is not None
        return [(uri, self._hits[uri], self.render.checked_size(uri)) for uri in share if uri in self._hits]

    def _verdict(self, src_uri: str) -> tuple[bytes, int] | None:
        """The checking child's answer for a page of its share: (key, HTML
        size) if it found the page in the cache; None otherwise, or if the
        child failed (the parent then checks the page itself)."""
        if self._verdicts is None:
            assert self._checker is not None
            answer = self._checker.receive("de vérification", "vérifiées")
            self._verdicts = {uri: (key, size) for uri, key, size in answer or [] if size is not None}
        return self._verdicts.get(src_uri)

    def _join_second(self) -> None:
        """Wait for the child; its pages become cache hits, checked as any
        hit is. The others are converted here, as MkDocs would have."""
        second, self._second, self._join_after = self._second, None, None
        if second is None:
            return
        rendered = second.wait()
        config, files = self._join_args
        early = rendered & self._share_hits  # counted as hits, but rendered by this build
        self._second_count += len(early)
        if self.render is not None:
            self.render.hits -= len(early)
        for uri, (key, markdown, template) in self._deferred.items():
            page, spec = files.src_uris[uri].page, self.pages[uri]
            if self._still_cached(uri, key, page, spec):
                self._hits[uri] = key
                if uri in rendered:
                    self._second_count += 1
                elif self.render is not None:
                    self.render.hits += 1
                continue
            if template is _NO_TEMPLATE:
                page.meta.pop("template", None)
            else:
                page.meta["template"] = template
            self._current, config._current_page = uri, page
            try:
                page.markdown = markdown
                vars(page).pop("render", None)  # _skip_conversion's stand-in: convert it for real
                page.render(config, files)
                page.content = config.plugins.on_page_content(page.content, page=page, config=config, files=files)
            finally:
                config._current_page = None
            self._misses[uri] = (key, [], {})
            if self.render is not None:
                self.render.misses += 1
        self._deferred = {}

    def _stop_folders(self, *, wait: bool) -> None:
        if self._folders is None:
            return
        if wait:
            self._folders.wait()
        else:
            self._folders.stop()
        self._folders = None

    def _stop_watching(self) -> None:
        """Take back the log hooks of on_pre_build (pages are all written)."""
        logging.getLogger("mkdocs.commands.build").removeFilter(self._linked)
        if self._watch is not None:
            logging.getLogger("mkdocs").removeHandler(self._watch)
            self._watch = None

    def on_page_markdown(self, markdown, page, config, files):
        """Priority 0. A page whose key and trace still hold is taken from the
        cache: its Markdown is not converted and its template not rendered."""
        src_uri = page.file.src_uri
        spec = self.pages.get(src_uri)
        self._current = src_uri
        if spec is not None and not page.meta:
            page.meta = _page_meta(spec)
        if self.render is None or spec is None:
            return markdown
        text = None
        if self._inputs is not None:
            text = hashlib.blake2b(markdown.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        if self._checker is not None and src_uri in self._checker.share and (verdict := self._verdict(src_uri)) is not None:
            return self._trusted_hit(src_uri, text, *verdict, page)
        last = self._last_keys.get(src_uri) if self._last_keys is not None else None
        if last is not None and last[0] == text and self.render.holds(src_uri, last[1], last[2]):
            # Nothing the key is made of changed, so neither did the answers
            # its recorded calls got (the shared indexes are made of the same
            # items and images); the HTML is named by the key.
            self._recalled += 1
            return self._trusted_hit(src_uri, text, last[1], last[2], page)
        try:
            key = self._page_key(page, spec, markdown, files)
        except Untraceable as reason:
            log.debug(f"page {src_uri} hors du cache : {reason}")
            return markdown
        if text is not None:
            self._keys[src_uri] = (text, key, None)  # its size once in the cache (on_post_page)
        if self._still_cached(src_uri, key, page, spec):
            if self._second is not None and src_uri in self._second.share:
                self._share_hits.add(src_uri)  # perhaps stored by the child a moment ago
            return self._hit(src_uri, key, page)
        if self._checking:  # a miss, for the parent to render: not converted here
            _skip_conversion(page)
            return ""
        if self._second is not None and src_uri in self._second.share:  # rendered by the child
            self._deferred[src_uri] = (key, markdown, page.meta.get("template", _NO_TEMPLATE))
            page.meta["template"] = CACHED_TEMPLATE
            _skip_conversion(page)
            return ""
        self.render.misses += 1
        self._misses[src_uri] = (key, [], {})
        return markdown

    def _trusted_hit(self, src_uri: str, text: bytes | None, key: bytes, size: int, page) -> str:
        """A hit whose key and HTML size are known without reading its head
        (the checking child's verdict, or the last build's key)."""
        if text is not None:
            self._keys[src_uri] = (text, key, size)
        self.render.trust(src_uri, key, size)
        if self._second is not None and src_uri in self._second.share:
            self._share_hits.add(src_uri)
        return self._hit(src_uri, key, page)

    def _hit(self, src_uri: str, key: bytes, page) -> str:
        """on_page_markdown's answer for a page taken from the cache: its
        Markdown is not converted and its template not rendered."""
        self._hits[src_uri] = key
        self.render.hits += 1
        page.meta["template"] = CACHED_TEMPLATE
        _skip_conversion(page)
        return ""

    def on_page_content(self, html, page, config, files):
        """Priority 0. The end of a page's Markdown conversion."""
        self._current = None
        return html

    def _page_key(self, page, spec: PageSpec, markdown: str, files) -> bytes:
        item = spec.context.get("item")
        social = self.images.social(item, self._site_url) if self.images is not None else None
        return self.fingerprints.digest_parts(
            self.render_key, page.file.src_uri, page.file.dest_uri, page.url, page.canonical_url, page.edit_url,
            page.title, dict(page.meta), markdown, spec.template, spec.description, spec.in_nav,
            spec.context, social, _link_targets(markdown, page.file.src_uri, files),
        )

    def _still_cached(self, src_uri: str, key: bytes, page, spec: PageSpec) -> bool:
        """The page's cache entry has ``key`` and its recorded calls on the
        shared indexes get the same answers from this build's."""
        entry = self.render.load_head(src_uri) if self.render is not None else None
        return (
            entry is not None and entry.key == key
            # Its HTML too (a stat): a head without it made the build stop at the page's placing.
            and self.render.holds(src_uri, key, self.render.checked_size(src_uri))
            and replay(entry.calls, self._trace_targets(page, spec), self._replayed, SHARED_INDEXES)
        )

    def _trace_targets(self, page, spec: PageSpec) -> dict[str, object]:
        targets = {name: spec.context[name] for name in SHARED_INDEXES if name in spec.context}
        if self.images is not None:
            targets["images"] = self.images.for_page(page.file.src_uri, page.url, spec.context.get("item"))
        return targets

    def on_serve(self, server, config, builder):
        """Priority 0. Live reload also when sheets, the declaration or
        templates change; folders watched through the system's notifications
        (preview.ContentWatcher), not by polling every file."""
        if not isinstance(server.observer, ContentWatcher) and not server.observer.is_alive():
            _move_watches(server, watcher_for(server.observer))
        declaration = self.validator.declaration
        watched = {declaration.path.parent, *(declaration.root / folder for folder in declaration.folders())}
        watched.add(declaration.root / "theme_overrides")
        for path in sorted(watched):
            if path.is_dir() and not str(path.resolve()).startswith(str(Path(config.docs_dir).resolve())):
                server.watch(str(path))
        return server

    def on_env(self, env, config, files):
        """Priority 0. French formatting filters for the templates, and the
        empty template of the pages taken from the cache."""
        env.filters.update(FILTERS)
        # "portail-theme/..." names the theme's own template where
        # theme_overrides/ has one of the same name (partials/nav.html).
        custom = config.theme.custom_dir
        theme_dirs = [d for d in config.theme.dirs if not custom or Path(d).resolve() != Path(custom).resolve()]
        env.loader = ChoiceLoader([
            DictLoader({CACHED_TEMPLATE: ""}), env.loader, PrefixLoader({"portail-theme": FileSystemLoader(theme_dirs)}),
        ])
        env.globals["portail_memo"] = _Memo()
        # More than one: search.js merges the parts listed by search_parts.MANIFEST.
        env.globals["portail_search_parts"] = self.search_parts
        # Jinja's default template cache is an LRU whose every hit reorders a
        # 400-slot deque: with a dozen includes per page, that is 2 % of a
        # build. A theme has far fewer templates: keep them all (as Jinja's
        # own cache_size=-1 does). MkDocs makes a new environment per build.
        env.cache = {}
        env.bytecode_cache = self._bytecode
        env.globals["portail_public_path"] = lambda ref: public_path(
            self.validator.declaration.root / ref.path, Path(config.docs_dir).resolve(), ref.path
        )
        if self._second is not None:
            # The parent renders its own pages first, then waits for the child
            # just before the first of the child's pages (the last half).
            self._join_args = (config, files)
            order = [f.src_uri for f in files.documentation_pages()]
            first = next((index for index, uri in enumerate(order) if uri in self._deferred), None)
            if first is None or first == 0:  # none of its pages to render, or only them
                self._join_second()
            else:
                self._join_after = order[first - 1]
        self._start_early(config, files, env)
        return env

    def _start_early(self, config, files, env) -> None:
        """In a warm build of a site indexed in parts, have the parts that
        the pages rendered anew change indexed while the other pages are
        written (search_parts.EarlyParts), not once all are: render those
        pages first, here. Every page is read by now (on_page_markdown): the
        hits are known. At 10,000 sheets, after one body edit, the build
        ended 0.4 to 1.7 s sooner in three paired runs (README)."""
        self._early, self._prerendered = None, set()
        cache = self._search_cache()
        if (
            self.render is None or cache is None or self.search_parts <= 1
            or self._quick is not None or self._in_second or self._previewing
        ):
            return
        pages = [f for f in files.documentation_pages() if f.dest_uri.endswith(".html")]
        if len(self._hits) * 2 < len(pages):  # a cold build: every part is indexed at the end anyway
            return
        early = EarlyParts(cache, self.search_parts)
        for file in pages:
            key = self._hits.get(file.src_uri)
            early.expect(file.dest_uri, self.render.html_path(file.src_uri, key) if key is not None else None)
        early.ready()
        self._early = early
        # The pages rendered anew, as MkDocs would in its loop, where they
        # are then skipped. Only if no other plugin's on_env comes after
        # this one (the environment is then the one MkDocs renders with).
        if len(self._misses) > PRERENDERED or not self._is_last(config, "env"):
            return
        from mkdocs.commands.build import _build_page

        doc_files = files.documentation_pages()
        for src_uri in list(self._misses):
            page = files.src_uris[src_uri].page
            _build_page(page, config, doc_files, self._nav, env)
            page.meta["template"] = CACHED_TEMPLATE
            self._prerendered.add(src_uri)

    def on_post_build(self, config):
        """Priority 0. Write the redirect and editor pages beside the others,
        start Pagefind on them, write the social cards, feeds, calendars and
        exports while it indexes, then wait for it. After a quick rebuild of
        the preview server, a child process does all that in the background."""
        self._stop_watching()
        self._stop_folders(wait=True)
        if self._checker is not None:  # joined when its verdicts were taken, if they were
            self._checker.stop()
            self._checker = None
        quick = self._quick
        if quick is not None and self._previous is not None:
            if not quick.sources:
                log.info("aperçu : aucun contenu modifié depuis la dernière construction, rien à reconstruire")
                return
            assert self.content is not None
            self._previous = self._built(quick.content)
            log.info(
                f"aperçu rapide : {len(quick.pages)} page(s) reconstruite(s) ; les listes, les pages de thèmes et "
                "de territoires, les flux et la recherche suivent en arrière-plan"
            )
            self._background.start(config.config_file_path, config.site_dir, config.site_url or "")
            return
        if self.render is not None:
            self.render.remember(self.render_key)
            if self._inputs is not None:
                self.render.remember_keys(self._inputs, {uri: kept for uri, kept in self._keys.items() if kept[2] is not None})
            pruned = self.render.prune(self.pages)
            log.info(
                f"pages : {self.render.hits} reprise(s) du cache, {self.render.misses + self._second_count} rendue(s)"
                + (f" dont {self._second_count} par un second processus" if self._second_count else "")
                + (f", {pruned} entrée(s) périmée(s) retirée(s) du cache" if pruned else "")
                + (f" ; {len(self._verdicts)} page(s) reprise(s) vérifiée(s) par un second processus" if self._verdicts else "")
                + (f" ; {self._recalled} clé(s) de page reprise(s) de la construction précédente" if self._recalled else "")
            )
        site = Path(config.site_dir)
        if self.content is None:
            if self.images is not None:
                self.images.finish_cards(site)
            return
        # Every HTML file is written before Pagefind starts: it reads only
        # those. The cards, feeds, calendars and exports are written while it
        # runs (search.Indexing, or search_parts.PartedIndexing), on the core it leaves free.
        redirects: RedirectPlan | None = getattr(self, "redirects", None)
        if redirects is not None:
            write_outputs(site, render_pages(redirects, config.theme.get_env(), config.site_url or "", config.site_name))
        if self.editor is not None:  # /admin/ (decap.py); not a page: Pagefind skips it
            write_outputs(site, admin_outputs(
                self.validator.declaration, *self.editor, config.site_name, config.theme.get("favicon") or ""
            ))
        early, self._early = self._early, None  # the indexing's now: it waits for it or cancels it
        try:
            indexing = make_indexing(site, self.search_parts, self._search_cache(), early)
        except SearchIndexError as error:
            if early is not None:
                early.cancel()
            raise PluginError(f"index de recherche : {error}") from None
        try:
            if self.images is not None:  # the social cards drawn meanwhile (images.PendingCards)
                self.images.finish_cards(site)
                pruned = self.images.prune_cache()
                if pruned:
                    log.info(f"images : {pruned} entrée(s) périmée(s) retirée(s) du cache")
            outputs = self._outputs(config)
            pages = sorted(o.path for o in outputs if o.path.endswith(".html"))
            if pages:
                raise RuntimeError(f"build_outputs() made an HTML file ({pages[0]}), which Pagefind may be reading")
            if redirects is not None:
                _stop_on(redirects.collisions({o.path for o in outputs}, Path(self.config.redirections).as_posix()), "dans les redirections")
            write_outputs(site, outputs)
        except BaseException:
            indexing.cancel()
            raise
        try:
            indexing.finish()
        except SearchIndexError as error:
            raise PluginError(f"index de recherche : {error}") from None
        self._thaw()
        if self._previewing:
            self._previous = self._built(self.content)
            # The server now holds millions of objects that the quick
            # rebuilds keep: out of the collector's sight, a full
            # collection no longer walks them all during a quick rebuild.
            gc.collect()
            gc.freeze()

    def _outputs(self, config) -> list[OutputFile]:
        """Feeds, calendars and exports: the last build's when it had the same
        inputs beside the pages' Markdown (a body edit: 4.6 s at 10,000
        sheets, RenderCache.last_outputs), else made and kept for the next."""
        render, inputs = self.render, self._inputs  # inputs: None without the cache and in a quick rebuild
        kept = render.last_outputs(inputs) if render is not None and inputs is not None else None
        if kept is not None:
            log.info(f"flux et exports : {len(kept)} fichier(s) repris de la construction précédente")
            return [OutputFile(path, data) for path, data in kept]
        outputs = build_outputs(self.content, self.today, config.site_url or "", config.site_name)
        if render is not None and inputs is not None:
            render.remember_outputs(inputs, [(o.path, o.data) for o in outputs])
        return outputs

    def _built(self, content: ContentSet) -> "_Built":
        """What a later quick rebuild of the preview server starts from."""
        assert self.images is not None
        return _Built(
            base=self.render_base, stamps=self._stamps, content=content, items={item.source: item for item in content.items},
            pages=dict(self.pages), images=self.images, redirects=self.redirects, sources=self._sources,
            page_files=dict(self._page_files), extra_files=list(self._extra_files), replaced_files=self._replaced_files,
        )

    def on_build_error(self, error):
        """Priority 0. Stop drawing social cards for a build that failed; a
        quick rebuild will not start from its planner, nor, after a full
        build (which emptied the folder first), from the last build."""
        self._stop_watching()
        self._stop_folders(wait=False)
        self._thaw()
        self._planner = None
        if self._quick is None:
            self._previous = None
        for child in (self._second, self._checker):
            if child is not None:
                child.stop()
        self._second = self._checker = None
        if self.images is not None:
            self.images.cancel_cards()
        if self._early is not None:
            self._early.cancel()
            self._early = None

    def on_post_page(self, output, page, config):
        """Priority 0. Remove the few attributes of the theme's fixed markup that
        the Nu HTML Checker rejects (exact strings; see THEME_MARKUP_FIXES).
        Then hand back a cached page, or store the one just rendered."""
        src_uri = page.file.src_uri
        self._current = None
        _release(page)
        if src_uri in self._prerendered:  # written by _start_early
            self._prerendered.discard(src_uri)
            return self._placed(src_uri)
        checked = self._hits.pop(src_uri, None)
        if checked is not None and self.render is not None and not self._in_second and self._post_page_is_last(config):
            # Linked into the site from the cache, neither read nor written;
            # MkDocs then writes nothing and its "Page skipped" is dropped (_Linked).
            self._sized(src_uri, checked, self.render.checked_size(src_uri))
            if not self.render.place(src_uri, checked, page.file.abs_dest_path):
                raise _cache_changed(src_uri)
            return self._placed(src_uri)
        if checked is not None:
            entry = self.render.load(src_uri) if self.render is not None else None
            if entry is None or entry.key != checked:
                raise _cache_changed(src_uri)
            output = entry.html
            self._sized(src_uri, checked, len(output.encode("utf-8")))
        else:
            output = _fix_theme_markup(output)
            miss = self._misses.pop(src_uri, None)
            if miss is not None and self.render is not None and not miss[2].get("broken") and src_uri not in self._warned:
                key, calls, _ = miss
                stored = self.render.store(src_uri, Entry(key=key, calls=calls, html=output))
                self._stored.append(src_uri)
                if stored:
                    self._sized(src_uri, key, len(output.encode("utf-8")))
                # The site gets the entry just stored, by a link, as a hit
                # would: one write instead of two, and the next build finds
                # the same file there (search_parts.indexed_pages reads only
                # the pages that are not).
                if stored and not self._in_second and self._post_page_is_last(config):
                    if self.render.place(src_uri, key, page.file.abs_dest_path):
                        self._rendered(page, output, config)
                        return self._placed(src_uri)
        if self._in_second:
            return ""  # the parent writes it
        # A build over a kept folder (the preview server, ``--dirty``) may
        # find there a link to a cache entry (RenderCache.place): MkDocs
        # writes into the file it finds, which must not be that entry.
        try:
            os.unlink(page.file.abs_dest_path)
        except FileNotFoundError:
            pass
        if src_uri == self._join_after:
            self._join_second()
        self._rendered(page, output, config)
        return output

    def _rendered(self, page, output: str, config) -> None:
        """Tell the parts indexed early (``_start_early``) the bytes MkDocs
        writes for ``page`` (if no other plugin's on_post_page comes after)."""
        if self._early is not None and self._post_page_is_last(config):
            self._early.rendered(page.file.dest_uri, output.encode("utf-8", errors="xmlcharrefreplace"))

    def _sized(self, src_uri: str, key: bytes, size: int | None) -> None:
        """The page's HTML for ``key`` is in the cache with ``size`` bytes: its
        key can serve the next build (``_recall_keys``)."""
        kept = self._keys.get(src_uri)
        if kept is not None and kept[1] == key and size is not None:
            self._keys[src_uri] = (kept[0], key, size)

    def _placed(self, src_uri: str) -> str:
        """on_post_page's answer for a page linked from the cache: an empty
        text, so that MkDocs writes nothing (its "Page skipped" is dropped)."""
        self._linked.add(src_uri)
        if src_uri == self._join_after:
            self._join_second()
        return ""

    def _post_page_is_last(self, config) -> bool:
        """Whether no other plugin's on_post_page comes after this one (which
        would receive the empty text of a linked page)."""
        return self._is_last(config, "post_page")

    def _is_last(self, config, event: str) -> bool:
        """Whether this plugin's handler is the last MkDocs calls for ``event``."""
        handlers = config.plugins.events.get(event) or []
        return bool(handlers) and getattr(handlers[-1], "__self__", None) is self

    def on_post_template(self, output_content, template_name, config):
        """Priority 0. The same for static templates such as 404.html."""
        return _fix_theme_markup(output_content)

    def on_page_context(self, context, page, config, nav):
        """Priority 0. Hand the page's data to its template."""
        src_uri = page.file.src_uri
        self._current = src_uri
        if src_uri in self._hits or src_uri in self._prerendered:
            return context  # the stored page (or the one rendered by _start_early) stands in for the template's output
        spec = self.pages.get(src_uri)
        if spec is not None:
            data = spec.context
            if src_uri in self._misses:  # calls on the shared indexes are recorded
                data = {**data, **{name: self._traced(src_uri, name, data[name]) for name in SHARED_INDEXES if name in data}}
            context["portail"] = data
            if spec.description and not page.meta.get("description"):
                page.meta["description"] = spec.description
        if self.images is not None:  # pictures relative to this page, and its social card
            item = spec.context.get("item") if spec is not None else None
            context["portail_images"] = self._traced(src_uri, "images", self.images.for_page(src_uri, page.url, item))
            context["portail_social"] = self.images.social(item, config.site_url or "")
        return context

    def _traced(self, src_uri: str, name: str, target: object) -> object:
        """``target`` as a page being rendered for the cache sees it: its calls recorded."""
        miss = self._misses.get(src_uri)
        if miss is None:
            return target
        return Recorder(target, name, miss[1], miss[2], _links_arguments if name == "links" else None)


def _move_watches(server, watcher) -> None:
    """Give MkDocs' live-reload server ``watcher`` as its observer, with the
    paths it already watches (MkDocs 1.6: ``_watched_paths``, path -> times)."""
    if watcher is server.observer:
        return
    already = dict(getattr(server, "_watched_paths", {}))
    for path, times in already.items():
        for _ in range(times):
            server.unwatch(path)
    server.observer = watcher
    for path, times in already.items():
        for _ in range(times):
            server.watch(path)


def _release(page) -> None:
    """Drop a written page's Markdown and HTML body: MkDocs keeps every Page
    object until the build ends, and no later step reads them (the feeds and
    exports come from the content model). The pages rendered after it reuse
    that memory: at 10,000 sheets, the second renderer peaked 38 MiB lower.
    (MkDocs converts every page before rendering the first one, so most
    bodies are still held together at the start of rendering.)"""
    page.markdown = None
    page.content = None


def _cache_changed(src_uri: str) -> PluginError:
    """A page found in the cache whose entry is gone or replaced when written."""
    return PluginError(f"le cache des pages (.cache/pages/) a changé pendant la construction ({src_uri}) : relancez-la")


class _Linked(set):
    """The source URIs of the pages on_post_page linked from the cache, and
    the log filter that drops MkDocs' "Page skipped: '<uri>'. Generated empty
    output." for them (it wrote nothing: the page is already in place)."""

    __hash__ = object.__hash__  # a filter of a logger: compared by identity

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if not message.startswith("Page skipped: '"):
            return True
        return message[len("Page skipped: '"):].partition("'. ")[0] not in self


def _drop_dirty_warning(record: logging.LogRecord) -> bool:
    """MkDocs warns on every dirty build that the navigation and links may be
    wrong, which stops a strict build. Here only the edited items' pages are
    rendered with the others kept, and a full build follows in the background
    (preview.py): the warning does not apply."""
    return not str(record.msg).startswith("A 'dirty' build is being performed")


def _editor(options, declaration, config) -> tuple[EditorSettings, Path] | None:
    """The web editor's settings and Decap's bundle, or None when ``editeur.actif`` is off."""
    if not options.actif:
        return None
    bundle = find_bundle(declaration.root)
    if bundle is None:
        raise PluginError(
            "l'éditeur web (/admin/) n'est pas installé : lancez « bash scripts/setup_admin.sh » "
            "(ou « make build »), ou désactivez-le avec « editeur: {actif: false} » dans mkdocs.yml"
        )
    docs_dir = Path(config.docs_dir).resolve()
    try:
        docs = docs_dir.relative_to(declaration.root).as_posix()
    except ValueError:
        docs = docs_dir.name
    settings = EditorSettings(
        backend=options.backend, repo=options.repo, branch=options.branch, base_url=options.base_url,
        auth_endpoint=options.auth_endpoint, api_root=options.api_root, app_id=options.app_id,
        auth_type=options.auth_type, local_backend=options.local_backend, media_folder=options.media_folder,
        media_folders={str(k): str(v) for k, v in options.media_folders.items()}, docs_dir=docs,
        site_url=config.site_url or "",
    )
    return settings, bundle


class _GeneratedFile(File):
    """A page, image or attachment added by the plugin. In a quick rebuild
    of the preview server, only the edited items' pages say they changed:
    MkDocs (in dirty mode) neither converts nor writes nor copies the other
    files, which the served folder holds."""

    modified = True

    def is_modified(self) -> bool:
        return self.modified


def _stop_on(problems: list, where: str, advice: str = "Corrigez-les puis relancez la construction.") -> None:
    """Log each problem, located, and stop the build before anything is
    published; nothing happens when there is none."""
    if not problems:
        return
    for problem in problems:
        log.error(problem.format_text())
    raise PluginError(f"{len(problems)} problème(s) {where} : rien n'a été publié. {advice}")


def _populated(src_uri: str, config, files):
    """The page of ``src_uri`` read and converted as MkDocs' build does
    (``_populate_page``), in a child process's share of the pages."""
    from mkdocs.commands.build import _populate_page
    from mkdocs.structure.pages import Page

    file = files.src_uris[src_uri]
    if file.page is None:
        Page(None, file, config)
    _populate_page(file.page, config, files)
    return file.page


def _skip_conversion(page) -> None:
    """A page taken from the cache (or rendered by the second process) has no
    Markdown to convert: MkDocs' ``Page.render`` would still build a Markdown
    converter with every extension for it, a quarter of a millisecond per
    page. This stand-in leaves what the conversion of an empty text leaves."""

    def render(config, files) -> None:
        page.content, page.toc = "", get_toc([])
        page._title_from_render = None
        page.present_anchor_ids = set()
        page.links_to_anchors = {}

    page.render = render


class _CachedFile(_GeneratedFile):
    """A processed image's variant, from the build's cache: placed in the
    site by a hard link where possible (emit.place_cached), not copied."""

    def copy_file(self, dirty: bool = False) -> None:
        if dirty and not self.is_modified():
            return
        assert self.abs_src_path is not None
        place_cached_in_folder(self.abs_src_path, self.abs_dest_path)


@dataclass
class _Quick:
    """A quick rebuild: the edited content files, the content with them read
    again, and (once planned) the pages to render."""

    content: ContentSet
    sources: list[str]
    pages: set[str] = field(default_factory=set)


@dataclass
class _Built:
    """The last build that succeeded in the preview server."""

    base: bytes  # _build_digest(): code, templates, configuration, date
    stamps: dict[str, tuple[int, int]]  # preview.snapshot() taken when it started
    content: ContentSet
    items: dict[str, Item]  # by source
    pages: dict[str, PageSpec]
    images: ImageSet
    redirects: RedirectPlan
    sources: set[str]  # resolved paths of the content files
    page_files: dict[str, File]  # the pages' files, with their MkDocs page
    extra_files: list[File]  # images and attached documents
    replaced_files: set[str]  # resolved paths of the originals replaced by their variants


_NO_TEMPLATE = object()  # a page without a "template" in its metadata


class _Memo:
    """``{% call portail_memo(name, page, nav) %}…{% endcall %}`` on a page
    outside the navigation: the block as first drawn for a page in the same
    folder. The theme's navigation and tabs (theme_overrides/partials/nav.html)
    show no such page as active, and their links are relative to the page's
    folder, as long as no page of the navigation lies below the page itself
    (then it is drawn for that page alone). One per build: on_env makes it."""

    def __init__(self) -> None:
        self.drawn: dict[tuple[str, str], object] = {}
        self._nav_urls: list[str] | None = None

    def __call__(self, name: str, page, nav, caller) -> object:
        if self._nav_urls is None:
            self._nav_urls = [p.url for p in nav.pages]
        url = page.url
        if not url or any(other.startswith(url) for other in self._nav_urls):
            return caller()
        key = (name, posixpath.dirname(url.rstrip("/")))
        found = self.drawn.get(key)
        if found is None:
            found = self.drawn[key] = caller()
        return found


class _PageWarnings(logging.Handler):
    """Remembers the pages being converted or rendered when MkDocs warned."""

    def __init__(self, plugin: PortailPlugin) -> None:
        super().__init__(level=logging.WARNING)
        self.plugin = plugin

    def emit(self, record: logging.LogRecord) -> None:
        if self.plugin._current is not None:
            self.plugin._warned.add(self.plugin._current)


def _nav_outline(items, pages: dict[str, PageSpec]) -> list:
    """Titles and addresses of the navigation, as every page shows it."""
    outline = []
    for entry in items:
        children = getattr(entry, "children", None)
        file = getattr(entry, "file", None)
        title = entry.title
        if title is None and file is not None:
            spec = pages.get(file.src_uri)
            title = spec.title if spec is not None else ("source", file.src_uri, _file_digest(file.abs_src_path))
        outline.append((type(entry).__name__, title, getattr(entry, "url", None), _nav_outline(children, pages) if children else None))
    return outline


def _links_arguments(method: str, args: tuple, kwargs: dict):
    """What a call on site.Links depends on: an item's type and slug for its
    address; nothing else for its title (the item is in the page's key)."""
    if args and isinstance(args[0], Item):
        if method == "title":
            return None
        args = (Reference(type=args[0].type, slug=args[0].slug), *args[1:])
    return args, kwargs


def _plain(value: object) -> object:
    """Theme options as plain data (its locale is a Babel object: its name)."""
    if isinstance(value, (str, int, float, bool, type(None), list, dict, tuple)):
        return value
    return str(value)


def _file_digest(path: str | None) -> str:
    import hashlib

    try:
        return hashlib.blake2b(Path(path or "").read_bytes(), digest_size=16).hexdigest()
    except OSError:
        return "absent"


# The three kinds of link MkDocs may rewrite, each with a text it cannot do
# without: a page without that text is not scanned for them. Three scans with
# a literal start are several times faster than one scan of the alternation.
_LINKS = (
    (("](",), re.compile(r"\]\(\s*<?([^)\s>]+)")),  # [text](target)
    (("]:",), re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)", re.MULTILINE)),  # [id]: target
    (("href", "src"), re.compile(r"(?:href|src)\s*=\s*[\"']([^\"']+)")),  # raw HTML
)


def _link_targets(markdown: str, src_uri: str, files) -> list:
    """The files a page's Markdown links to, and whether each exists: MkDocs
    rewrites those links (or warns), so they are part of the page's key."""
    found = []
    base = posixpath.dirname(src_uri)
    matches = sorted(
        (match.start(), match.group(1))
        for needles, pattern in _LINKS
        if any(needle in markdown for needle in needles)
        for match in pattern.finditer(markdown)
    )
    for _, target in matches:
        path = target.split("#", 1)[0].split("?", 1)[0]
        if not path or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", path) or path.startswith("//"):
            continue
        resolved = posixpath.normpath(path.lstrip("/") if path.startswith("/") else posixpath.join(base, path))
        file = files.get_file_from_path(resolved)
        found.append((target, resolved, None if file is None else (file.url, file.dest_uri, file.is_documentation_page())))
    return found


def _fix_theme_markup(html: str) -> str:
    for wrong, right in THEME_MARKUP_FIXES:
        html = html.replace(wrong, right)
    return html


def _page_source(spec: PageSpec) -> str:
    """Markdown handed to MkDocs: the body after a blank line, so that MkDocs
    finds no metadata in it (neither a YAML block nor MultiMarkdown's
    ``key: value`` first lines). ``on_page_markdown`` sets the page's
    metadata (``_page_meta``): a YAML block parsed by MkDocs cost 0.12 ms a
    page, 1.8 s of a rebuild at 10,000 sheets."""
    return f"\n{spec.markdown}"


def _page_meta(spec: PageSpec) -> dict:
    return {"title": spec.title, "template": spec.template}


def _resolved_sources(root: Path, content: ContentSet) -> set[str]:
    """Resolved paths of the content files (each folder resolved once)."""
    folders: dict[str, str] = {}
    found = set()
    for item in content.items:
        folder, _, name = item.source.rpartition("/")
        if folder not in folders:
            folders[folder] = str((root / folder).resolve())
        found.add(os.path.join(folders[folder], name))
    return found


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory, checked against their source by
    Jinja: the preview server's rebuilds do not compile them again."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


def _attached_files(content: ContentSet) -> set[str]:
    """Repository paths of documents and images attached to published items."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, FileRef):
            found.add(value.path)
        elif isinstance(value, Image):
            found.add(value.src.path)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for item in content.items:
        if not item.draft:
            walk(item.data)
    return found
