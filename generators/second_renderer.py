"""Render half of a cold build's pages, or check part of a warm build's, on the second core
(part of the MkDocs adapter).

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

A warm build (the last build had the same build-wide key) renders few pages
but still keys and checks every one of them against the cache, about 0.7 ms
a page. There the child only checks the last 40 % of the pages
(``CHECK_SHARE``; ``_check_share``: its own ``_populate_page``, whose
``on_page_markdown`` keys the page and checks its entry) and sends back
the pages it found in the cache, with their key and HTML size. The parent takes those as hits without keying them: the
child is a fork made once the navigation was known, so the same objects give
the same keys and the same answers to the recorded calls. The pages it did
not find, and all of them if it failed, the parent checks and renders
itself.

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
        answer = self.receive("de rendu", "rendues")
        self.rendered = set(answer) if answer is not None else set()
        return self.rendered

    def receive(self, role: str, done: str) -> list | None:
        """Wait for the child; its answer (a list), or None if it failed,
        which is then said (its pages are ``done`` by the parent)."""
        try:
            answer = self._receive.recv()
        except (EOFError, OSError):
            answer = None
        self._receive.close()
        self._process.join()
        if isinstance(answer, list):
            return answer
        failure = answer if isinstance(answer, str) else f"code de sortie {self._process.exitcode}"
        log.info(f"second processus {role} arrêté ({failure}) : ses pages sont {done} par le processus principal")
        return None

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._receive.close()


# The checking child's share of a warm build's pages. It pays copy-on-write
# faults on what it touches, and the last pages of the build order (sheets,
# listings with many cards) cost more to key: with half, the parent waited
# 2.1-2.3 s for its answer at 10,000 sheets; with 40 %, 0.1-0.2 s.
CHECK_SHARE = 0.4


def split_share(order: list[str], share: float = 0.5) -> list[str]:
    """The child's pages: the last ``share`` of the build order (half by
    default), so the parent handles its own pages before it needs the
    child's."""
    return order[len(order) - int(len(order) * share) :]


def can_fork(plugin_names: list[str], pages: int) -> bool:
    """``PORTAIL_SECOND_PROCESSUS``: "non" never, "oui" always (tests), else
    from ``PARALLEL_PAGES`` pages on a machine with two cores or more.

    When the last build had the same build-wide key (code, templates,
    configuration, date, navigation), most pages will be taken from the
    cache: the child then only checks its share (``CHECK_SHARE``; the
    plugin's ``_check_share``), and the parent takes its verdicts instead of keying
    and checking those pages itself."""
    wanted = os.environ.get(SECOND_ENV, "").strip().lower()
    if wanted in ("0", "non", "false", "no") or plugin_names != ["portail"] or "fork" not in multiprocessing.get_all_start_methods():
        return False
    return wanted in ("1", "oui", "true", "yes") or (pages >= PARALLEL_PAGES and (os.cpu_count() or 1) >= 2)


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
