"""Benchmark: one Pagefind index against the same site indexed in parts.

Pagefind keeps every parsed page in memory until it writes its index (about
0.4 KB per indexed word, so about 200 KB per generated sheet), and it has no
incremental mode. Both limits of issue 7 that Pagefind decides (peak memory
under 1 GiB, a warm rebuild faster than Hugo) could only be met by splitting
the index into parts that the browser merges (Pagefind's ``mergeIndex``).
This benchmark measures that option on a built site, without changing the
build, so that the choice can be made on figures:

- Pagefind over the whole site, as the build runs it: peak memory (the
  kernel's maximum resident set of that process), wall and CPU time;
- the same pages split into N parts (by a hash of their path; the pages are
  hard-linked into one folder per part), each part indexed in turn: the
  largest peak of one part, the summed wall and CPU time, and one part's
  time, which is what a rebuild after one edit would pay if each part's
  index were kept in the build cache;
- in Chromium, a first query on a fresh page with the parts merged: time
  until the first ten results' data are there, bytes and requests, next to
  the same query on the single index.

Relevance is computed per part and the merged results are ordered by score;
for a sort by date, Pagefind's score is the page's rank within its own part,
so merged parts give newest-first only approximately (see issue 7's note).
This script measures; it does not check result order. Prints its figures;
asserts nothing.

    .venv/bin/python benchmarks/search_parts.py --site .cache/bench/site-10000
    .venv/bin/python benchmarks/search_parts.py --fiches 10000 --parties 4 16
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.search import CHROMIUM, CHROMIUM_ARGS, FIRST_QUERIES, RESULTS, Traffic, corpus_site, kilobytes, print_table, serve  # noqa: E402
from generators.search import BUNDLE_DIR, pagefind_command  # noqa: E402
from generators.search_parts import part_of  # noqa: E402

PARTS_DIR = "pagefind-parties"

MERGED_SEARCH = """async ([query, primary, parts, results]) => {
  const started = performance.now();
  const pagefind = await import(primary + 'pagefind.js');
  await pagefind.options({excerptLength: 30});
  for (const part of parts) await pagefind.mergeIndex(part);
  const found = await pagefind.search(query);
  await Promise.all(found.results.slice(0, results).map(r => r.data()));
  return {ms: performance.now() - started, count: found.results.length};
}"""


def run_pagefind(site: Path, output: Path) -> tuple[int, float, float]:
    """Pagefind over ``site`` into ``output``: (peak resident bytes, wall s, CPU s)."""
    command = pagefind_command(site, output_path=output)
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            log.seek(0)
            raise SystemExit(f"Pagefind a échoué sur {site} : {log.read().decode(errors='replace')[-1000:]}")
    return usage.ru_maxrss * 1024, wall, usage.ru_utime + usage.ru_stime


def html_pages(site: Path) -> list[Path]:
    skipped = {BUNDLE_DIR, PARTS_DIR, "admin"}
    return sorted(p for p in site.rglob("*.html") if not skipped.intersection(p.relative_to(site).parts))


def split(site: Path, pages: list[Path], parts: int, into: Path) -> list[Path]:
    """Hard-link each page into one of ``parts`` folders, by a hash of its path (the build's ``part_of``)."""
    folders = [into / str(number) for number in range(parts)]
    for page in pages:
        relative = page.relative_to(site)
        target = folders[part_of(relative.as_posix(), parts) - 1] / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(page, target)
    return folders


def browser_rows(site: Path, parts: int) -> list[tuple[str, str]]:
    from playwright.sync_api import sync_playwright

    server, origin = serve(site)
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for query in FIRST_QUERIES:
                    merged = [f"/{PARTS_DIR}/{n}/" for n in range(1, parts)]
                    for label, primary, others in (("1 index", f"/{BUNDLE_DIR}/", []), (f"{parts} parties", f"/{PARTS_DIR}/0/", merged)):
                        page = browser.new_context().new_page()
                        page.goto(f"{origin}/", wait_until="networkidle")
                        traffic = Traffic()
                        mark = traffic.mark()
                        result = page.evaluate(MERGED_SEARCH, [query, primary, others, RESULTS])
                        page.wait_for_timeout(200)
                        rows.append((f"1re requête « {query} », {label}", f"{result['ms']:.0f} ms, {result['count']} résultats ; {traffic.since(mark)}"))
                        page.context.close()
            finally:
                browser.close()
    finally:
        server.shutdown()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fiches", type=int, default=10_000)
    parser.add_argument("--site", type=Path, help="un site déjà construit : le mesurer seulement")
    parser.add_argument("--garder", type=Path, help="construire le corpus dans ce dossier et le garder")
    parser.add_argument("--parties", type=int, nargs="+", default=[16], help="nombres de parties à mesurer")
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="portail-parts-bench-") as tmp:
        site = corpus_site(args, tmp, rows)
        pages = html_pages(site)
        single = Path(tmp) / "single"
        peak, wall, cpu = run_pagefind(site, single)
        rows.append((f"1 index ({len(pages)} pages HTML)", f"pic {peak / 2**20:,.0f} Mio ; {wall:.1f} s ; {cpu:.1f} s de CPU"))
        rows.append(("1 index sur disque", kilobytes(sum(f.stat().st_size for f in single.rglob("*") if f.is_file()))))
        shutil.rmtree(single)
        for parts in args.parties:
            split_dir = Path(tempfile.mkdtemp(prefix="parts-", dir=site.parent))
            try:
                folders = split(site, pages, parts, split_dir)
                shutil.rmtree(site / PARTS_DIR, ignore_errors=True)
                figures = [run_pagefind(folder, site / PARTS_DIR / str(number)) for number, folder in enumerate(folders)]
            finally:
                shutil.rmtree(split_dir)
            peaks, walls, cpus = zip(*figures)
            rows.append(
                (f"{parts} parties, l'une après l'autre",
                 f"pic {max(peaks) / 2**20:,.0f} Mio (la plus grosse partie) ; {sum(walls):.1f} s ; {sum(cpus):.1f} s de CPU ;"
                 f" une partie : {sum(walls) / parts:.1f} s en moyenne")
            )
            size = sum(f.stat().st_size for f in (site / PARTS_DIR).rglob("*") if f.is_file())
            rows.append((f"{parts} parties sur disque", kilobytes(size)))
            rows.extend(browser_rows(site, parts))
            shutil.rmtree(site / PARTS_DIR)
    print_table(rows, f"(machine : {os.cpu_count()} cœurs ; les parties sont fusionnées dans le navigateur par mergeIndex de Pagefind)")


if __name__ == "__main__":
    main()
