"""The ``portail`` MkDocs plugin: wires MkDocs events to the core.

Thin on purpose: content is loaded and validated by ``content.py``, pages are
planned by ``site.py``, values are formatted by ``formatting.py``. This module
only translates between those and MkDocs' objects, and keeps its own data in
side tables keyed by source URI rather than on MkDocs objects.
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
import re
import sys
from importlib import metadata
from datetime import date
from pathlib import Path

from jinja2 import ChoiceLoader, DictLoader
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel

from .cards import social_cards
from .carte import TilesError, tiles_from_config
from .content import ContentSet, Item, Validator
from .declaration import DeclarationError, load_declaration
from .decap import EditorSettings, admin_outputs, find_bundle
from .formatting import FILTERS
from .images import ImageSet, prepare_images, public_path
from .markdown_images import BodyImagesExtension
from .emit import write_outputs
from .search import SearchIndexError, index_site
from .site import PageSpec, build_outputs, build_pages
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


class PortailConfig(Config):
    declaration = c.Type(str, default="config/types.yml")
    """Path of the content-type declaration, relative to mkdocs.yml."""
    redirections = c.Type(str, default="config/redirections.yml")
    """Table of the old portal's addresses to redirect (redirects.py), relative to mkdocs.yml."""
    today = c.Optional(c.Type(str))
    """Build date (AAAA-MM-JJ) for reproducible builds; else $PORTAIL_DATE, else today."""
    editeur = c.SubConfig(EditorConfig)
    """The web editor at /admin/."""
    carte = c.Type(dict, default={})
    """Map options: ``tuiles: {url, attribution}`` names a tile server (none by default: nothing loaded from another host)."""
    etat_mois = c.Type(int, default=12)
    """``portail etat``: months without a change after which an item is listed as stale."""
    cache = c.Type(bool, default=True)
    """Reuse the pages rendered by earlier builds (``.cache/pages/``) when nothing they are made of changed."""


class PortailPlugin(BasePlugin[PortailConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.content: ContentSet | None = None
        self.pages: dict[str, PageSpec] = {}
        self.today: date = date.today()
        self.images: ImageSet | None = None  # on_build_error may come before on_config has set it
        self.render: RenderCache | None = None
        self._hits: dict[str, str] = {}
        self._misses: dict[str, tuple[bytes, list, dict]] = {}
        self._warned: set[str] = set()
        self._current: str | None = None
        self._watch: _PageWarnings | None = None

    def on_config(self, config):
        """Priority 0 (default). Load and check the declaration; settle "today"."""
        root = Path(config.config_file_path).resolve().parent
        try:
            declaration = load_declaration(root / self.config.declaration, root)
        except DeclarationError as error:
            for problem in error.problems:
                log.error(problem.format_text())
            raise PluginError("la déclaration des types de contenu est invalide") from None
        self.validator = Validator(declaration)
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
        return config

    def on_files(self, files: Files, config) -> Files:
        """Priority 0. Validate all content (stop on any problem), then swap the
        editors' files for generated pages, process images and social cards
        (stop on a bad image) and add the files they attach."""
        content = self.validator.load()
        if content.problems:
            for problem in content.problems:
                log.error(problem.format_text())
            raise PluginError(
                f"{len(content.problems)} problème(s) dans les contenus : rien n'a été publié. "
                "Corrigez-les (portail validate) puis relancez la construction."
            )
        self.content = content
        root = self.validator.declaration.root
        docs_dir = Path(config.docs_dir).resolve()
        sources = {str((root / item.source).resolve()) for item in content.items}
        for file in list(files):
            if file.abs_src_path and str(Path(file.abs_src_path).resolve()) in sources:
                files.remove(file)
        self.pages = {}
        for spec in build_pages(content, self.today, config.site_url or "", tiles=self.tiles):
            self.pages[spec.src_uri] = spec
            existing = files.get_file_from_path(spec.src_uri)
            if existing is not None:
                files.remove(existing)
            files.append(
                File.generated(
                    config,
                    spec.src_uri,
                    content=_page_source(spec),
                    inclusion=InclusionLevel.INCLUDED if spec.in_nav else InclusionLevel.NOT_IN_NAV,
                )
            )
        # Images: decoded in full, variants and social cards from .cache/images/
        # (images.py, cards.py); a bad image stops the build like a bad field.
        self.images = prepare_images(
            content, docs_dir=docs_dir, cards=social_cards(content, config.site_name, config.site_description or ""),
            defer_cards=True,  # drawn while the pages render; published in on_post_build
        )
        if self.images.problems:
            self.images.cancel_cards()
            for problem in self.images.problems:
                log.error(problem.format_text())
            raise PluginError(
                f"{len(self.images.problems)} problème(s) d'images : rien n'a été publié. "
                "Corrigez-les puis relancez la construction."
            )
        log.info(
            f"images : {self.images.processed} traitée(s), {self.images.drawn} carte(s) de partage dessinée(s), "
            f"{self.images.reused} reprise(s) du cache"
        )
        replaced = self.images.replaced_sources()  # originals keep their EXIF/GPS: only variants are published
        replaced_files = {str((root / path).resolve()) for path in replaced}
        for file in list(files):
            if file.abs_src_path and str(Path(file.abs_src_path).resolve()) in replaced_files:
                files.remove(file)
        for uri, path in self.images.published_files():
            if files.get_file_from_path(uri) is None:
                files.append(File.generated(config, uri, abs_src_path=str(path)))
        page_items = {src_uri: spec.context.get("item") for src_uri, spec in self.pages.items()}
        images = self.images

        def body_pictures(file):
            if not page_items.get(file.src_uri):
                return None
            return self._traced(file.src_uri, "images", images.for_page(file.src_uri, file.url, page_items[file.src_uri]))

        self.body_images.use(body_pictures)
        self._site_url = config.site_url or ""
        for path in sorted(_attached_files(content) - replaced):
            absolute = root / path
            uri = public_path(absolute, docs_dir, path)
            if files.get_file_from_path(uri) is None:
                files.append(File.generated(config, uri, abs_src_path=str(absolute)))
        # Old addresses (redirects.py): checked against every page and file now,
        # written after the pages; a wrong line stops the build.
        self.redirects = check_redirects(
            root / self.config.redirections, root, content, self.pages.values(), [(f.url, f.dest_uri) for f in files]
        )
        if self.redirects.problems:
            for problem in self.redirects.problems:
                log.error(problem.format_text())
            raise PluginError(
                f"{len(self.redirects.problems)} problème(s) dans les redirections : rien n'a été publié. "
                "Corrigez-les puis relancez la construction."
            )
        if self.redirects.pending:
            log.info(f"redirections : {len(self.redirects.pending)} en attente (leur cible est un brouillon)")
        self._start_render_cache(config)
        return files

    # -- the rendered-page cache (render_cache.py) --------------------------

    def _start_render_cache(self, config) -> None:
        """Open ``.cache/pages/`` and compute the part of every page's key that
        the whole build shares (the navigation's part is added in on_nav)."""
        self._hits, self._misses, self._warned, self._replayed = {}, {}, set(), {}
        enabled = self.config.cache and os.environ.get(CACHE_ENV, "").strip().lower() not in ("0", "non", "false", "no")
        if not enabled:
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
        })
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
        self.render_base = self.fingerprints.digest((
            "portail", code, versions, sys.version, settings, self.today.isoformat(), [str(self.tiles)],
        ))
        self.render_key = self.render_base

    def on_nav(self, nav, config, files):
        """Priority 0. The navigation is on every page: it is part of every key."""
        if self.render is not None:
            self.render_key = self.fingerprints.digest((self.render_base, _nav_outline(nav.items, self.pages)))
        return nav

    def on_pre_build(self, config):
        """Priority 0. Note which page each warning is about: a page whose
        rendering warned is not stored (a strict build fails on it, and a
        cached copy would hide the warning next time)."""
        self._watch = _PageWarnings(self)
        logging.getLogger("mkdocs").addHandler(self._watch)

    def _stop_watching(self) -> None:
        if self._watch is not None:
            logging.getLogger("mkdocs").removeHandler(self._watch)
            self._watch = None

    def on_page_markdown(self, markdown, page, config, files):
        """Priority 0. A page whose key and trace still hold is taken from the
        cache: its Markdown is not converted and its template not rendered."""
        src_uri = page.file.src_uri
        spec = self.pages.get(src_uri)
        self._current = src_uri
        if self.render is None or spec is None:
            return markdown
        try:
            key = self._page_key(page, spec, markdown, files)
        except Untraceable as reason:
            log.debug(f"page {src_uri} hors du cache : {reason}")
            return markdown
        entry = self.render.load(src_uri)
        if entry is not None and entry.key == key and replay(entry.calls, self._trace_targets(page, spec), self._replayed, SHARED_INDEXES):
            self._hits[src_uri] = entry.html
            self.render.hits += 1
            page.meta["template"] = CACHED_TEMPLATE
            return ""
        self.render.misses += 1
        self._misses[src_uri] = (key, [], {})
        return markdown

    def on_page_content(self, html, page, config, files):
        """Priority 0. The end of a page's Markdown conversion."""
        self._current = None
        return html

    def _page_key(self, page, spec: PageSpec, markdown: str, files) -> bytes:
        item = spec.context.get("item")
        social = self.images.social(item, self._site_url) if self.images is not None else None
        return self.fingerprints.digest((
            self.render_key, page.file.src_uri, page.file.dest_uri, page.url, page.canonical_url, page.edit_url,
            page.title, dict(page.meta), markdown, spec.template, spec.description, spec.in_nav,
            spec.context, social, _link_targets(markdown, page.file.src_uri, files),
        ))

    def _trace_targets(self, page, spec: PageSpec) -> dict[str, object]:
        targets = {name: spec.context[name] for name in SHARED_INDEXES if name in spec.context}
        if self.images is not None:
            targets["images"] = self.images.for_page(page.file.src_uri, page.url, spec.context.get("item"))
        return targets

    def on_serve(self, server, config, builder):
        """Priority 0. Live reload also when sheets, the declaration or templates change."""
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
        env.loader = ChoiceLoader([DictLoader({CACHED_TEMPLATE: ""}), env.loader])
        # Jinja's default template cache is an LRU whose every hit reorders a
        # 400-slot deque: with a dozen includes per page, that is 2 % of a
        # build. A theme has far fewer templates: keep them all (as Jinja's
        # own cache_size=-1 does). MkDocs makes a new environment per build.
        env.cache = {}
        env.globals["portail_public_path"] = lambda ref: public_path(
            self.validator.declaration.root / ref.path, Path(config.docs_dir).resolve(), ref.path
        )
        return env

    def on_post_build(self, config):
        """Priority 0. Write feeds, calendars and exports beside the pages, then index the site for search."""
        self._stop_watching()
        if self.render is not None:
            pruned = self.render.prune(self.pages)
            log.info(
                f"pages : {self.render.hits} reprise(s) du cache, {self.render.misses} rendue(s)"
                + (f", {pruned} entrée(s) périmée(s) retirée(s) du cache" if pruned else "")
            )
        if self.images is not None:  # the social cards drawn meanwhile (images.PendingCards)
            self.images.finish_cards(Path(config.site_dir))
        if self.content is not None:
            outputs = build_outputs(self.content, self.today, config.site_url or "", config.site_name)
            write_outputs(Path(config.site_dir), outputs)
            redirects: RedirectPlan | None = getattr(self, "redirects", None)
            if redirects is not None:
                clashes = sorted(redirects.paths() & {o.path for o in outputs})
                if clashes:
                    raise PluginError(f"redirections : l'ancienne adresse de {clashes[0]} est celle d'un fichier du site")
                pages = render_pages(redirects, config.theme.get_env(), config.site_url or "", config.site_name)
                write_outputs(Path(config.site_dir), pages)
            if self.editor is not None:  # /admin/ (decap.py); not a page: Pagefind skips it
                write_outputs(Path(config.site_dir), admin_outputs(
                    self.validator.declaration, *self.editor, config.site_name, config.theme.get("favicon") or ""
                ))
            try:
                index_site(Path(config.site_dir))
            except SearchIndexError as error:
                raise PluginError(f"index de recherche : {error}") from None

    def on_build_error(self, error):
        """Priority 0. Stop drawing social cards for a build that failed."""
        self._stop_watching()
        if self.images is not None:
            self.images.cancel_cards()

    def on_post_page(self, output, page, config):
        """Priority 0. Remove the few attributes of the theme's fixed markup that
        the Nu HTML Checker rejects (exact strings; see THEME_MARKUP_FIXES).
        Then hand back a cached page, or store the one just rendered."""
        src_uri = page.file.src_uri
        self._current = None
        cached = self._hits.pop(src_uri, None)
        if cached is not None:
            return cached
        output = _fix_theme_markup(output)
        miss = self._misses.pop(src_uri, None)
        if miss is not None and self.render is not None and not miss[2].get("broken") and src_uri not in self._warned:
            key, calls, _ = miss
            self.render.store(src_uri, Entry(key=key, calls=calls, html=output))
        return output

    def on_post_template(self, output_content, template_name, config):
        """Priority 0. The same for static templates such as 404.html."""
        return _fix_theme_markup(output_content)

    def on_page_context(self, context, page, config, nav):
        """Priority 0. Hand the page's data to its template."""
        src_uri = page.file.src_uri
        self._current = src_uri
        if src_uri in self._hits:
            return context  # the stored page stands in for the template's output
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


_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)|^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)|(?:href|src)\s*=\s*[\"']([^\"']+)", re.MULTILINE)


def _link_targets(markdown: str, src_uri: str, files) -> list:
    """The files a page's Markdown links to, and whether each exists: MkDocs
    rewrites those links (or warns), so they are part of the page's key."""
    found = []
    base = posixpath.dirname(src_uri)
    for match in _LINK.finditer(markdown):
        target = next(group for group in match.groups() if group)
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
    """Markdown handed to MkDocs: a front matter block, then the body."""
    meta = {"title": spec.title, "template": spec.template}
    header = "\n".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in meta.items())
    return f"---\n{header}\n---\n\n{spec.markdown}"


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
