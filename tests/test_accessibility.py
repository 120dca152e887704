"""Accessibility: axe-core's WCAG 2.0/2.1 A and AA rules on every page type,
in Debian's Chromium, at desktop and phone widths and in the dark palette.

Needs /usr/bin/chromium and tests/browser/node_modules (``bash
scripts/setup_system.sh``); skipped without them, except in CI.
"""

from __future__ import annotations

import pytest

from sitebuild import AXE_JS, PAGE_IDS, PAGE_TYPES, built_site, chromium, require_tools, site_origin  # noqa: F401

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# (id, viewport, colour scheme); the dark palette is the slate scheme of mkdocs-material.
VARIANTS = [
    ("bureau", {"width": 1280, "height": 900}, "light"),
    ("telephone", {"width": 390, "height": 844}, "light"),
    ("bureau-sombre", {"width": 1280, "height": 900}, "dark"),
]

AXE_RUN = """
() => axe.run(document, {
    runOnly: {type: 'tag', values: %s},
    resultTypes: ['violations'],
}).then(results => results.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    count: v.nodes.length,
    targets: v.nodes.slice(0, 3).map(n => n.target.map(t => Array.isArray(t) ? t.join(' >>> ') : t).join(' >> ')),
    summary: (v.nodes[0] && v.nodes[0].failureSummary) || '',
})))
""" % (WCAG_TAGS,)


def format_violations(url: str, variant: str, violations: list[dict]) -> str:
    lines = [f"/{url} ({variant}): {len(violations)} axe violation(s)"]
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v['count']} element(s); {v['helpUrl']})")
        for target in v["targets"]:
            lines.append(f"    at {target}")
        detail = " ".join(v["summary"].split())
        if detail:
            lines.append(f"    first: {detail[:400]}")
    return "\n".join(lines)


@pytest.fixture(scope="module", autouse=True)
def _tools() -> None:
    require_tools(browser=True, axe=True)


@pytest.fixture(scope="module")
def variant_pages(chromium):
    """One browser context and tab per variant, reused from page to page (faster)."""
    pages = {}

    def get(variant: str, viewport: dict, scheme: str):
        if variant not in pages:
            context = chromium.new_context(viewport=viewport, color_scheme=scheme, reduced_motion="reduce", locale="fr-FR")
            pages[variant] = context.new_page()
        return pages[variant]

    yield get
    for page in pages.values():
        page.context.close()


@pytest.mark.parametrize("variant, viewport, scheme", VARIANTS, ids=[v[0] for v in VARIANTS])
@pytest.mark.parametrize("url", PAGE_TYPES, ids=PAGE_IDS)
def test_no_axe_violation(variant_pages, site_origin, url, variant, viewport, scheme):
    page = variant_pages(variant, viewport, scheme)
    response = page.goto(f"{site_origin}/{url}", wait_until="load")
    assert response is not None and response.ok, f"/{url}: HTTP {response.status if response else '?'}"
    if scheme == "dark":
        palette = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
        assert palette == "slate", f"/{url}: the dark palette is not applied (data-md-color-scheme={palette!r})"
    page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(AXE_RUN)
    if violations:
        pytest.fail(format_violations(url, variant, violations), pytrace=False)
