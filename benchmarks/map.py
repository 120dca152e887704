"""Benchmark: the map page (/carte/) with 10,000 pinned items.

Builds a generated corpus (``benchmarks/corpus.py``: every sheet has
coordinates, so 10,000 sheets are 10,000 pinned items, plus the actors and
events placed at their commune's centre), then prints:

- the page's weight: its HTML, and every byte the browser fetched to draw the
  interactive map (theme, Leaflet, the boundaries), counted by the local
  server, with what a server compressing text would send;
- in Chromium, the time to interactive: from navigation start until
  ``assets/portail/map.js`` has drawn the markers (``data-ready-ms``), and
  the time a filter takes to redraw the markers and the list;
- the same page without JavaScript (its static SVG map and the list).

Prints its figures; asserts nothing (machines are noisy).

    .venv/bin/python benchmarks/map.py --fiches 10000
    .venv/bin/python benchmarks/map.py --site path/to/built/site   # no build
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.search import CHROMIUM, CHROMIUM_ARGS, Traffic, arguments, corpus_site, kilobytes, print_table, serve  # noqa: E402

THEME_FILTER = "Thématiques"
# A filter chosen in the page: from the change event until the next frame is
# drawn (map.js filters the list and the markers synchronously).
FILTER = """async ([name, value]) => {
  const select = document.querySelector(`select[data-filter-name='${name}']`);
  select.value = value;
  const started = performance.now();
  select.dispatchEvent(new Event('change'));
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  return performance.now() - started;
}"""


def browser_figures(site: Path) -> list[tuple[str, str]]:
    from playwright.sync_api import sync_playwright

    server, origin = serve(site)
    rows: list[tuple[str, str]] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for javascript in (True, False):
                    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=javascript)
                    page = context.new_page()
                    traffic = Traffic()
                    mark = traffic.mark()
                    page.goto(f"{origin}/carte/", wait_until="load")
                    if javascript:
                        page.wait_for_selector("[data-portail-map][data-ready]", timeout=120_000)
                        ready = int(page.get_attribute("[data-portail-map]", "data-ready-ms"))
                        page.wait_for_load_state("networkidle")
                        markers = page.get_attribute("[data-portail-map]", "data-markers")
                        entries = page.eval_on_selector_all(".portail-map__entry", "items => items.length")
                        rows.append(("/carte/ avec JavaScript : octets transférés", traffic.since(mark)))
                        rows.append(("temps jusqu'à l'interactivité (marqueurs dessinés)", f"{ready} ms ({markers} marqueurs, {entries} contenus listés)"))
                        select = page.locator(f"select[data-filter-name='{THEME_FILTER}']")
                        option = select.locator("option").nth(1)
                        value, label = option.get_attribute("value"), option.text_content()
                        elapsed = page.evaluate(FILTER, [THEME_FILTER, value])
                        rows.append((f"filtre {THEME_FILTER} « {label.strip()} », liste et marqueurs redessinés", f"{elapsed:.0f} ms ({page.get_attribute('[data-portail-map]', 'data-markers')} marqueurs)"))
                    else:
                        page.wait_for_load_state("networkidle")
                        rows.append(("/carte/ sans JavaScript : octets transférés", traffic.since(mark)))
                    context.close()
            finally:
                browser.close()
    finally:
        server.shutdown()
    return rows


def main() -> None:
    args = arguments(__doc__)
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="portail-map-bench-") as tmp:
        site = corpus_site(args, tmp, rows)
        html = site / "carte" / "index.html"
        rows.append(("HTML de /carte/ (carte SVG et liste comprises)", f"{kilobytes(html.stat().st_size)}"))
        rows.extend(browser_figures(site))
    print_table(rows, f"(machine : {os.cpu_count()} cœurs, partagés)")

if __name__ == "__main__":
    main()
