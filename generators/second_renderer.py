"""Render half of a cold build's pages on the second core (part of the MkDocs adapter).

MkDocs converts and renders pages one after the other in one process. When
many pages must be rendered, the plugin forks this process once the
navigation is known (``on_nav``): the child converts and renders the second
half of the plugin's pages, exactly as MkDocs would (its own ``_populate_page``
and ``_build_page``), and stores each page in the rendered-page cache
(``render_cache.py``) instead of writing it. Meanwhile the parent handles the
first half. Before it reaches the second half, it takes each of those pages
through the cache's ordinary check: same key, and the recorded calls on the
shared indexes give the same answers again. A page that fails the check (the
child warned on it, failed, or was stopped) is converted and rendered by the
parent, so the site is the same bytes as a build in one process, and every
warning is reported by the parent, which counts them for ``--strict``.

Only for builds of ``mkdocs build`` / ``portail build`` with this plugin
alone, the cache on, and fork available: a preview server has threads that a
fork would copy in the middle of their work.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from multiprocessing.connection import Connection
from typing import Callable

from mkdocs.plugins import get_plugin_logger

log = get_plugin_logger("portail")

PARALLEL_PAGES = 400  # below this, a second process costs more than it saves
SECOND_ENV = "PORTAIL_SECOND_PROCESSUS"  # "non": every page in one process; "oui": a second one even for a small site


class SecondRenderer:
    """The child process rendering ``share`` (source URIs, in build order)."""

    def __init__(self, share: list[str], render_share: Callable[[list[str]], list[str]]) -> None:
        self.share = set(share)
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(render_share, share, send), daemon=True)
        self._process.start()
        send.close()
        self.rendered: set[str] = set()

    def wait(self) -> set[str]:
        """Wait for the child; the pages it rendered and stored. If it failed,
        say so (its pages are then rendered by the parent)."""
        failure = ""
        try:
            answer = self._receive.recv()
        except (EOFError, OSError):
            answer = None
        self._receive.close()
        self._process.join()
        if isinstance(answer, list):
            self.rendered = set(answer)
        else:
            self.rendered = set()
            failure = answer if isinstance(answer, str) else f"code de sortie {self._process.exitcode}"
            log.info(f"second processus de rendu arrêté ({failure}) : ses pages sont rendues par le processus principal")
        return self.rendered

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._receive.close()


def split_share(order: list[str]) -> list[str]:
    """The child's pages: the last half of the build order, so the parent
    renders its own half before it needs the child's."""
    return order[len(order) // 2 :]


def can_fork(plugin_names: list[str], pages: int, warm: bool = False) -> bool:
    """``PORTAIL_SECOND_PROCESSUS``: "non" never, "oui" always (tests), else
    from ``PARALLEL_PAGES`` pages on a machine with two cores or more, unless
    the build is ``warm``: the last build had the same build-wide key (code,
    templates, configuration, date, navigation), so most pages will be taken
    from the cache and the child would only check them a second time."""
    wanted = os.environ.get(SECOND_ENV, "").strip().lower()
    if wanted in ("0", "non", "false", "no") or plugin_names != ["portail"] or "fork" not in multiprocessing.get_all_start_methods():
        return False
    return wanted in ("1", "oui", "true", "yes") or (pages >= PARALLEL_PAGES and (os.cpu_count() or 1) >= 2 and not warm)


def _child(render_share: Callable[[list[str]], list[str]], share: list[str], send: Connection) -> None:
    # The parent reports everything: a page that warned here is not stored,
    # so the parent renders it again and logs the warning itself.
    for name in ("mkdocs", ""):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if type(handler).__name__ != "_PageWarnings":
                logger.removeHandler(handler)
    logging.getLogger("mkdocs").propagate = False
    try:
        send.send(render_share(share))
        send.close()
    except BaseException as error:  # noqa: BLE001 - any failure: the parent renders the pages itself
        try:
            send.send(f"{type(error).__name__} : {error}"[:500])
        finally:
            os._exit(1)
    os._exit(0)  # no exit handlers: the parent's worker pools are not this process's
