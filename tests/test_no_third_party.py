"""No third party: loading a page of every page type in Chromium requests
nothing from another host (no web fonts, CDN, analytics...), and every local
request it makes succeeds.

Needs /usr/bin/chromium (``bash scripts/setup_system.sh``); skipped without
it, except in CI.
"""

from __future__ import annotations

import pytest

from sitebuild import PAGE_IDS, PAGE_TYPES, FailedRequests, built_site, chromium, require_tools, site_origin  # noqa: F401

LOCAL_SCHEMES = ("data:", "blob:", "about:")


@pytest.fixture(scope="module", autouse=True)
def _tools() -> None:
    require_tools(browser=True)


@pytest.fixture(scope="module")
def loads(chromium, site_origin):
    """``load(url)`` -> (requested URLs, failed local requests); each page loaded once."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    cache: dict[str, tuple[list[str], list[str]]] = {}

    def load(url: str) -> tuple[list[str], list[str]]:
        if url not in cache:
            requests: list[str] = []
            on_request = lambda request: requests.append(request.url)  # noqa: E731
            failed = FailedRequests(page, site_origin).attach()
            page.on("request", on_request)
            try:
                # networkidle: also catch what scripts fetch after the load event.
                page.goto(f"{site_origin}/{url}", wait_until="networkidle")
            finally:
                page.remove_listener("request", on_request)
                failed.detach()
            failures = failed.found()
            cache[url] = (requests, failures)
        return cache[url]

    yield load
    context.close()


@pytest.mark.parametrize("url", PAGE_TYPES, ids=PAGE_IDS)
def test_no_request_to_another_host(loads, site_origin, url):
    requests, _ = loads(url)
    assert requests, f"/{url}: no request recorded"
    foreign = sorted({r for r in requests if not (r.startswith(site_origin + "/") or r.startswith(LOCAL_SCHEMES))})
    if foreign:
        pytest.fail(f"/{url} requests {len(foreign)} URL(s) outside the site:\n" + "\n".join(f"  {r}" for r in foreign), pytrace=False)


@pytest.mark.parametrize("url", PAGE_TYPES, ids=PAGE_IDS)
def test_every_local_request_succeeds(loads, site_origin, url):
    _, failures = loads(url)
    local = sorted({f for f in failures if f"{site_origin}/" in f})
    if local:
        pytest.fail(f"/{url}: {len(local)} local request(s) failed:\n" + "\n".join(f"  {f}" for f in local), pytrace=False)
