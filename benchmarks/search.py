"""Benchmark: Pagefind on a generated corpus (10,000 sheets by default).

Builds the corpus (which indexes it), then prints:

- the time Pagefind takes to index the built site (indexed again, alone);
- the size of the index on disk (what queries load, and Pagefind's scripts);
- in Chromium, for a first query on a fresh page (a selective one and the
  worst case) and then for a filtered query: the time until the first ten
  results' data are there, and the bytes transferred (counted by the local
  server, requests of Pagefind's worker included; Python's server does not
  compress, so the figure a compressing server would send is given too);
  then the search page's own load (it preloads Pagefind and every filter,
  for the filter panel) and a query typed in Pagefind's UI.

Targets (search issue): indexing 10,000 sheets < 30 s; first query < 300 ms
and < 400 KB. Prints its figures; asserts nothing (machines are noisy).

    .venv/bin/python benchmarks/search.py --fiches 10000
    .venv/bin/python benchmarks/search.py --site path/to/built/site   # no build
"""

from __future__ import annotations

import argparse
import functools
import gzip
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import make_corpus  # noqa: E402
from generators.build import build_site  # noqa: E402
from generators.project import find_project  # noqa: E402
from generators.search import BUNDLE_DIR, index_site  # noqa: E402

TODAY = date(2026, 11, 24)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# The generated sheets draw their text from some forty words: "compostage" is
# in nearly every page (the worst case: the longest posting list), a
# department's name only in the pages placed there (a usual query).
FIRST_QUERIES = ("Somme", "compostage")
FILTERED_QUERY = "réemploi"
FILTERS = {"Thématiques": "Allongement de la durée d'usage", "Région": "Hauts-de-France"}
RESULTS = 10  # Pagefind's UI shows the first ten (pageSize in search.js)

SEARCH = """async ([query, filters, results]) => {
  const started = performance.now();
  window.pagefind = window.pagefind || await import('/pagefind/pagefind.js');
  await window.pagefind.options({excerptLength: 30});
  const found = await window.pagefind.search(query, {filters});
  await Promise.all(found.results.slice(0, results).map(r => r.data()));
  return {ms: performance.now() - started, count: found.results.length};
}"""


def mebibytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} Mio"


def kilobytes(size: int) -> str:
    return f"{size / 1000:.0f} Ko"


def bundle_sizes(bundle: Path) -> tuple[int, int, int]:
    """(bytes of the index proper, bytes of Pagefind's scripts and styles, files of the index)."""
    index = scripts = files = 0
    for path in bundle.rglob("*"):
        if not path.is_file():
            continue
        if path.parent != bundle or path.suffix == ".pf_meta":
            index += path.stat().st_size
            files += 1
        else:
            scripts += path.stat().st_size
    return index, scripts, files


class _CountingHandler(SimpleHTTPRequestHandler):
    """Serves the site and notes every response's path and body size.

    Counted on the server, so requests made by Pagefind's web worker are
    included. Python's server does not compress: Pagefind's index files are
    gzip'd already, its scripts and WebAssembly are counted uncompressed.
    """

    served: list[tuple[str, int, int]] = []  # (path, bytes, bytes if the server gzip'd text files)
    _gzipped: dict[str, int] = {}

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "content-length":
            size = int(value)
            self.served.append((self.path, size, self._compressed(size)))
        super().send_header(keyword, value)

    def _compressed(self, size: int) -> int:
        """What a server compressing text (HTML, CSS, JS, JSON) would send;
        Pagefind's index and WebAssembly files are compressed already."""
        path = self.translate_path(self.path)
        if not path.endswith((".html", ".css", ".js", ".json", "/")):
            return size
        if path not in self._gzipped:
            file = Path(path) / "index.html" if path.endswith("/") else Path(path)
            self._gzipped[path] = len(gzip.compress(file.read_bytes(), 6)) if file.is_file() else size
        return self._gzipped[path]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def serve(site: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_CountingHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


class Traffic:
    """What the server sent since a mark: (bytes, requests)."""

    def mark(self) -> int:
        return len(_CountingHandler.served)

    def since(self, mark: int) -> str:
        sent = _CountingHandler.served[mark:]
        raw, compressed = sum(s[1] for s in sent), sum(s[2] for s in sent)
        return f"{kilobytes(raw)} en {len(sent)} requêtes (≈ {kilobytes(compressed)} si le serveur compresse le texte)"


def browser_figures(site: Path) -> list[tuple[str, str]]:
    from playwright.sync_api import sync_playwright

    server, origin = serve(site)
    rows: list[tuple[str, str]] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context().new_page()
                traffic = Traffic()
                start = traffic.mark()
                page.goto(f"{origin}/recherche/", wait_until="networkidle")
                rows.append(("page /recherche/ (thème, interface, Pagefind et ses filtres préchargés)", traffic.since(start)))
                page.context.close()

                # API level: Pagefind itself, each first query from a fresh page
                # that has not loaded it (the home page).
                for number, first in enumerate(FIRST_QUERIES):
                    page = browser.new_context().new_page()
                    traffic = Traffic()
                    page.goto(f"{origin}/", wait_until="networkidle")
                    queries = [(f"1re requête « {first} »", first, {})]
                    if number == 0:
                        filters = ", ".join(f"{k} = {v}" for k, v in FILTERS.items())
                        queries.append((f"puis requête filtrée « {FILTERED_QUERY} » + {filters}", FILTERED_QUERY, FILTERS))
                    for label, query, filters in queries:
                        mark = traffic.mark()
                        result = page.evaluate(SEARCH, [query, filters, RESULTS])
                        page.wait_for_timeout(200)  # let the last responses be counted
                        rows.append((label, f"{result['ms']:.0f} ms, {result['count']} résultats ; {traffic.since(mark)}"))
                    page.context.close()

                # UI level: typing in Pagefind's UI once its page has loaded, until the results are drawn.
                page = browser.new_context().new_page()
                traffic = Traffic()
                page.goto(f"{origin}/recherche/", wait_until="networkidle")
                field = page.locator(".pagefind-ui__search-input")
                mark = traffic.mark()
                started = time.perf_counter()
                field.fill(FIRST_QUERIES[0])
                page.wait_for_function(
                    "() => { const m = document.querySelector('.pagefind-ui__message');"
                    " return m && /résultat/.test(m.textContent) && !/^Recherche/.test(m.textContent.trim())"
                    " && !document.querySelector('.pagefind-ui__results .pagefind-ui__loading'); }"
                )
                elapsed = (time.perf_counter() - started) * 1000
                page.wait_for_load_state("networkidle")
                rows.append(
                    (f"interface : « {FIRST_QUERIES[0]} » tapé sur la page chargée, résultats affichés",
                     f"{elapsed:.0f} ms dont 300 ms d'attente de fin de frappe ; {traffic.since(mark)}")
                )
                page.context.close()
            finally:
                browser.close()
    finally:
        server.shutdown()
    return rows


def arguments(description: str) -> argparse.Namespace:
    """The options the browser benchmarks share: corpus size, or a site already built."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fiches", type=int, default=10_000)
    parser.add_argument("--site", type=Path, help="a site already built: measure it only")
    parser.add_argument("--garder", type=Path, help="build the corpus in this folder and keep it")
    return parser.parse_args()


def corpus_site(args: argparse.Namespace, tmp: str, rows: list[tuple[str, str]], note: str = "") -> Path:
    """``--site`` as given, else the generated corpus built (its time added to ``rows``)."""
    if args.site:
        return args.site.resolve()
    root = make_corpus((args.garder or Path(tmp)) / "corpus", args.fiches)
    started = time.perf_counter()
    site = build_site(find_project(config=root / "mkdocs.yml"), today=TODAY, site_dir=root / "site")
    rows.append((f"construction complète ({args.fiches} fiches{note})", f"{time.perf_counter() - started:.0f} s"))
    return site


def print_table(rows: list[tuple[str, str]], footer: str) -> None:
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print(footer)


def main() -> None:
    args = arguments(__doc__)
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="portail-search-bench-") as tmp:
        site = corpus_site(args, tmp, rows, ", indexation comprise")
        shutil.rmtree(site / BUNDLE_DIR, ignore_errors=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        report = index_site(site)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        # CPU time is what a busy machine inflates least: wall time on an idle
        # machine is about CPU time / cores, Pagefind using every core.
        rows.append((f"indexation Pagefind ({report.pages} pages)", f"{report.seconds:.1f} s ({cpu:.1f} s de CPU ; charge {os.getloadavg()[0]:.1f})"))
        index, scripts, files = bundle_sizes(site / BUNDLE_DIR)
        rows.append(("index sur disque", f"{mebibytes(index)} en {files} fichiers (+ {kilobytes(scripts)} de scripts et styles Pagefind)"))
        rows.extend(browser_figures(site))
    print_table(rows, f"(machine : {os.cpu_count()} cœurs ; cibles : indexation de 10 000 fiches < 30 s, 1re requête < 300 ms et < 400 Ko)")


if __name__ == "__main__":
    main()
