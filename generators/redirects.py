"""Old addresses of the previous portal, redirected to the new pages.

``config/redirections.yml`` maps an old path (from the old site's root, with
its query string if any) to a target: a content file (``fiches/x.md``) or a
site URL (``agenda/``). ``portail importer`` appends to it; editors may edit
it by hand. Pure functions; the plugin calls them and writes the result
through ``emit.py``.

Where each old address is published on a static host (which ignores query
strings and serves ``index.html`` for a folder):

- ``/a/b.html`` (``.html``/``.htm``, no query) -> the file ``a/b.html``;
- ``/a/b/``, ``/a/b``, ``/a/b.php`` (no query) -> ``a/b/index.html``,
  ``a/b.php/index.html``;
- with a query, ``/a/fiche.php?id=12`` -> a page of its own at the path form
  ``a/fiche.php/id-12/index.html`` (parameters sorted by name, each written
  ``name-value`` and joined by ``_``), **and** one dispatcher page per old
  path, ``a/fiche.php/index.html``, that the old address actually reaches: it
  reads the query string and goes to the matching new page (script), and
  lists every destination as links (without script).

Every redirect page has ``<meta http-equiv="refresh">``, ``<link
rel="canonical">`` to the new page, ``noindex`` and a visible French link;
the links are relative, so they work under any ``site_url`` subpath.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

from .problems import Problem, make_problem
from .source import RawEntry, _parse_front_matter

HTML_FILE = re.compile(r"\.html?$", re.I)
REDIRECT_TEMPLATE = "portail/redirection.html"


@dataclass(frozen=True, slots=True)
class RedirectEntry:
    old: str
    target: str
    line: int
    column: int


@dataclass(slots=True)
class Target:
    url: str  # site-relative URL of the page or file
    title: str
    draft: bool = False


@dataclass(slots=True)
class Redirect:
    path: str  # where the page is written, relative to the site root
    old: str
    url: str  # target, site-relative
    title: str
    line: int = 0  # of its line in the redirections file
    column: int = 0


@dataclass(slots=True)
class Dispatcher:
    path: str
    old: str  # the old path without query
    routes: list[Redirect] = field(default_factory=list)  # one per query
    default: Redirect | None = None  # the old path without query, if redirected too


@dataclass(slots=True)
class RedirectPlan:
    redirects: list[Redirect] = field(default_factory=list)
    dispatchers: list[Dispatcher] = field(default_factory=list)
    pending: list[RedirectEntry] = field(default_factory=list)  # target is a draft
    problems: list[Problem] = field(default_factory=list)

    def paths(self) -> set[str]:
        return {r.path for r in self.redirects} | {d.path for d in self.dispatchers}

    def collisions(self, taken: set[str], rel: str) -> list[Problem]:
        """A problem for each page of this plan that a file of ``taken`` is in
        the way of: the feeds and exports, known only once the pages are built."""
        found = []
        written = [(r.path, r) for r in self.redirects] + [(d.path, (d.routes or [d.default])[0]) for d in self.dispatchers]
        for path, first in written:
            clash = collides(path, taken)
            if clash and first is not None:
                found.append(make_problem(
                    "redirect_collision", old=first.old, page=clash, file=rel, line=first.line, column=first.column, path=first.old,
                ))
        return found


def collides(path: str, taken: set[str]) -> str | None:
    """The published file that ``path`` would overwrite, or that stands where
    ``path`` needs a folder (``flux/fiches.xml`` for ``flux/fiches.xml/index.html``)."""
    parts = path.split("/")
    return next(("/".join(parts[:end]) for end in range(len(parts), 0, -1) if "/".join(parts[:end]) in taken), None)


def old_path_key(old: str) -> str:
    """Comparable form of an old address: decoded path, query sorted."""
    parts = urlsplit(old.strip())
    path = unquote(parts.path or "/")
    if not path.startswith("/"):
        path = "/" + path
    query = "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return path + (f"?{query}" if query else "")


def _query_segment(pairs: list[tuple[str, str]]) -> str:
    from .fields import slugify

    return "_".join(f"{slugify(k) or 'p'}-{slugify(v) or 'vide'}" for k, v in sorted(pairs))


def published_path(old: str) -> tuple[str, str, list[tuple[str, str]]]:
    """(file for this address, file of its dispatcher or "", query pairs). Raises ValueError."""
    parts = urlsplit(old.strip())
    path = unquote(parts.path)
    segments = [s for s in path.split("/") if s]
    if any(s in (".", "..") for s in segments) or "\\" in path:
        raise ValueError("« . » et « .. » sont interdits dans un chemin")
    pairs = sorted(parse_qsl(parts.query, keep_blank_values=True))
    directory = "/".join(segments)
    if not pairs:
        if segments and HTML_FILE.search(segments[-1]) and not path.endswith("/"):
            return directory, "", []
        if not segments:
            raise ValueError("la racine du site ne peut pas être redirigée")
        return f"{directory}/index.html", "", []
    if not segments:
        raise ValueError("la racine du site ne peut pas être redirigée")
    stem = HTML_FILE.sub("", directory) if HTML_FILE.search(segments[-1]) else directory
    dispatcher = directory if HTML_FILE.search(segments[-1]) else f"{directory}/index.html"
    return f"{stem}/{_query_segment(pairs)}/index.html", dispatcher, pairs


def load_redirects(path: Path, root: Path) -> tuple[list[RedirectEntry], list[Problem]]:
    """Entries of the table in file order, with their lines; problems located."""
    if not path.is_file():
        return [], []
    rel = _rel(path, root)
    entry = RawEntry(path=path, rel=rel, data=None, body="", body_line=1)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return [], [make_problem("config_error", file=rel, detail=f"lecture impossible ({error})")]
    if not text.strip() or all(line.lstrip().startswith("#") or not line.strip() for line in text.splitlines()):
        return [], []
    _parse_front_matter(text.replace("\r\n", "\n"), entry, line_offset=0)
    if entry.problems:
        return [], list(entry.problems)
    if not isinstance(entry.data, dict):
        return [], [make_problem("config_error", file=rel, detail="le fichier doit associer chaque ancienne adresse à une cible")]
    entries = []
    problems = []
    for old, target in entry.data.items():
        line, column = entry.position((old,))
        if not isinstance(target, str) or not target.strip():
            problems.append(make_problem("config_error", file=rel, line=line, column=column, path=str(old), detail="la cible doit être un texte"))
            continue
        entries.append(RedirectEntry(old=str(old), target=target.strip(), line=line, column=column))
    return entries, problems


def plan_redirects(entries: list[RedirectEntry], targets: dict[str, Target], taken: set[str], rel: str) -> RedirectPlan:
    """Check every entry and decide the files to write.

    ``targets`` maps content sources (``fiches/x.md``) and site URLs
    (``agenda/``, ``medias/x.pdf``) to what they lead to; ``taken`` holds
    the paths of every file the site already publishes.
    """
    plan = RedirectPlan()
    seen: dict[str, int] = {}
    dispatchers: dict[str, Dispatcher] = {}
    defaults: dict[str, Redirect] = {}
    for entry in entries:
        where = {"file": rel, "line": entry.line, "column": entry.column, "path": entry.old}
        key = old_path_key(entry.old)
        if key in seen:
            plan.problems.append(make_problem("redirect_duplicate", old=entry.old, other=seen[key], **where))
            continue
        seen[key] = entry.line
        try:
            path, dispatcher_path, pairs = published_path(entry.old)
        except ValueError as error:
            plan.problems.append(make_problem("redirect_bad_path", old=entry.old, detail=str(error), **where))
            continue
        target = targets.get(entry.target) or targets.get(entry.target.lstrip("/")) or targets.get(entry.target.lstrip("/").rstrip("/") + "/")
        if target is None:
            plan.problems.append(make_problem("redirect_unknown_target", old=entry.old, target=entry.target, **where))
            continue
        clash = next((hit for p in (path, dispatcher_path) if p and (hit := collides(p, taken))), None)
        if clash:
            plan.problems.append(make_problem("redirect_collision", old=entry.old, page=clash, **where))
            continue
        if target.draft:
            plan.pending.append(entry)
            continue
        redirect = Redirect(path=path, old=entry.old, url=target.url, title=target.title, line=entry.line, column=entry.column)
        plan.redirects.append(redirect)
        if dispatcher_path:
            dispatcher = dispatchers.setdefault(dispatcher_path, Dispatcher(path=dispatcher_path, old=urlsplit(entry.old).path))
            dispatcher.routes.append(Redirect(
                path=_query_string(pairs), old=entry.old, url=target.url, title=target.title, line=entry.line, column=entry.column,
            ))
        else:
            defaults[path] = redirect
    for path, dispatcher in sorted(dispatchers.items()):
        # The old path without query is redirected too: the dispatcher serves both.
        dispatcher.default = defaults.pop(path, None)
        plan.dispatchers.append(dispatcher)
    plan.redirects = [r for r in plan.redirects if r.path not in {d.path for d in plan.dispatchers}]
    return plan


def _query_string(pairs: list[tuple[str, str]]) -> str:
    """The key the dispatcher's script compares: decoded pairs, sorted, joined."""
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def relative_url(from_file: str, to_url: str) -> str:
    """Link from a written file (``a/b/index.html``) to a site URL (``fiches/x/``)."""
    start = PurePosixPath("/" + from_file).parent
    relative = os.path.relpath("/" + to_url, start).replace(os.sep, "/")
    if to_url == "" or to_url.endswith("/"):
        relative = relative.rstrip("/") + "/" if relative != "." else "./"
    return relative


def page_contexts(plan: RedirectPlan, site_url: str, site_name: str) -> list[tuple[str, dict]]:
    """(path, template context) of every page to write, sorted by path."""
    pages = []
    for redirect in plan.redirects:
        pages.append((redirect.path, {
            "kind": "redirection",
            "site_name": site_name,
            "old": redirect.old,
            "title": redirect.title,
            "href": relative_url(redirect.path, redirect.url),
            "canonical": urljoin(site_url, redirect.url) if site_url else relative_url(redirect.path, redirect.url),
        }))
    for dispatcher in plan.dispatchers:
        routes = [
            {"query": r.path, "old": r.old, "title": r.title, "href": relative_url(dispatcher.path, r.url)}
            for r in sorted(dispatcher.routes, key=lambda r: r.path)
        ]
        default = dispatcher.default
        pages.append((dispatcher.path, {
            "kind": "aiguillage",
            "site_name": site_name,
            "old": dispatcher.old,
            "routes": routes,
            "default": {"title": default.title, "href": relative_url(dispatcher.path, default.url)} if default else None,
            "in_folder": dispatcher.path.endswith("/index.html"),
        }))
    return sorted(pages, key=lambda p: p[0])


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def check_redirects(path: Path, root: Path, content, specs, files: list[tuple[str, str]]) -> RedirectPlan:
    """Load the table and check it against the site being built.

    ``content`` is the validated ``ContentSet``; ``specs`` the planned pages;
    ``files`` (url, dest path) of every file MkDocs will write.
    """
    from .pages import item_url

    entries, problems = load_redirects(path, root)
    targets: dict[str, Target] = {}
    for url, _dest in files:
        targets[url] = Target(url=url, title=PurePosixPath(url.rstrip("/")).name or "Accueil")
    for spec in specs:
        targets[spec.url] = Target(url=spec.url, title=spec.title)
    for item in content.items:
        ctype = content.declaration.types[item.type]
        url = item_url(ctype, item)
        targets[item.source] = Target(url=url, title=item.title, draft=item.draft)
        if not item.draft:
            targets[url] = Target(url=url, title=item.title)
    plan = plan_redirects(entries, targets, {dest for _url, dest in files}, _rel(path, root))
    plan.problems[:0] = problems
    return plan


def render_pages(plan: RedirectPlan, env, site_url: str, site_name: str) -> list:
    """The redirect pages as ``OutputFile``s, from the theme's template."""
    from .emit import OutputFile

    template = env.get_template(REDIRECT_TEMPLATE)
    return [OutputFile(path, template.render(**context).encode("utf-8")) for path, context in page_contexts(plan, site_url, site_name)]
