"""Benchmark: how the build scales, against a bare mkdocs-material and Hugo.

One command, one run. For each corpus size (1,000 and 10,000 sheets by
default, with events, actors, resources, news and aid schemes in proportion,
see ``corpus.py``), in child processes so that each figure stands alone:

- validation: ``portail validate`` on the corpus (the whole command, Python's
  start included, and the loading and checking alone);
- cold build: ``build_site`` (generators, MkDocs, images and social cards
  with an empty image cache, Pagefind), its pages, milliseconds per page and
  peak memory (the summed proportional set size of the build's process tree,
  sampled, and the largest single process as the kernel counted it);
- the baseline: the same Markdown files built by a bare mkdocs-material
  configuration (items out of the navigation, no plugin, lunr search off),
  then indexed by the same Pagefind binary; and the ratio of the two;
- Hugo (Debian's ``hugo`` package, installed here when missing and root):
  the same Markdown files, with a minimal layout, ``hugo --quiet``;
- the warm rebuild after one edited sheet: the cold build left its caches
  (``.cache/pages/`` for rendered pages, ``.cache/images/`` for images and
  social cards); one sheet gets a new sentence and the site is built again,
  with the pages taken from the cache and re-rendered, and the time Pagefind
  took (the parts of the index whose pages changed). It builds over the
  cold build's site, as an editor's second ``make build`` does: the previous
  site is deleted by a detached process once the new one is in place, and
  the benchmark prints how long after the command that took. Then the same
  sheet's summary is edited and the site built again: a summary also shows
  on other pages (the sheet's actors, listings, term pages).

Then the scaling exponent between the smallest and the largest size:
log(t2 / t1) / log(pages2 / pages1), for portail and the baseline (1.0 is
linear). Targets (issue 7, at 10,000 sheets on a 2-core machine): build at
most 1.3 times the baseline, exponent at most 1.05, validation under 3 s,
peak memory under 1 GiB. Prints its figures; asserts nothing.

    .venv/bin/python benchmarks/scale.py                 # 1,000 and 10,000 sheets
    .venv/bin/python benchmarks/scale.py --fiches 500 2000
    .venv/bin/python benchmarks/scale.py --parties 1     # the index in one part

By default the corpora keep the site's default, ``recherche: {parties:
auto}`` (one part per 2,000 pages: one at 1,000 sheets, 8 at 10,000;
generators/search_parts.py). ``--parties N`` builds them with ``parties:
N``. The baseline and Hugo keep one index.

Generated corpora are kept in ``.cache/bench/`` between runs (``corpus.py``).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import cached_corpus  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TODAY = date(2026, 11, 24)
GIB = 1024**3


# -- child processes ---------------------------------------------------------------


def child_validate(root: Path) -> dict:
    from generators.content import Validator
    from generators.declaration import load_declaration
    from generators.territories import TerritoryIndex

    started = time.perf_counter()
    validator = Validator(load_declaration(root / "config" / "types.yml", root), TerritoryIndex.load())
    setup = time.perf_counter() - started
    started = time.perf_counter()
    content = validator.load(keep_items=False)
    return {"setup": setup, "load": time.perf_counter() - started, "problems": len(content.problems)}


class _Messages(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def child_build(root: Path, site: Path) -> dict:
    from generators.build import build_site
    from generators.project import find_project

    project = find_project(config=root / "mkdocs.yml")
    messages = _Messages()
    logging.getLogger("mkdocs").addHandler(messages)
    started = time.perf_counter()
    build_site(project, today=TODAY, site_dir=site)
    result = {"seconds": time.perf_counter() - started, "pagefind": None, "hits": None, "rendered": None}
    for line in messages.lines:
        if found := re.search(r"Pagefind en ([\d,]+) s", line):
            result["pagefind"] = float(found.group(1).replace(",", "."))
        if found := re.search(r"pages : (\d+) reprise\(s\) du cache, (\d+) rendue", line):
            result["hits"], result["rendered"] = int(found.group(1)), int(found.group(2))
    return result


def run_child(*args: str) -> dict:
    """Run this file in a child process and return the JSON it prints last."""
    result = subprocess.run([PYTHON, __file__, "--child", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"échec de {' '.join(args)} :\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- memory of a process tree ------------------------------------------------------------


class TreeMemory:
    """Samples the summed proportional set size (PSS) of a process and its
    descendants: shared pages (forked workers) are counted once."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(_pss(pid) for pid in _tree(self.pid)))
            self._stop.wait(self.interval)


def _tree(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def timed(command: list[str], cwd: Path | None = None, memory: bool = False) -> tuple[float, int, str, float]:
    """Wall time, peak tree memory (bytes, 0 if not sampled), stdout, and the
    CPU time (user + system) of the command and all its descendants: on a
    shared machine, CPU time compares better than wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if memory:
        with TreeMemory(process.pid) as sampler:
            out, err = process.communicate()
        peak = sampler.peak
    else:
        out, err = process.communicate()
        peak = 0
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode != 0:
        raise SystemExit(f"échec de {' '.join(command[:3])}… :\n{(out + err)[-3000:]}")
    return seconds, peak, out, cpu


# -- the baseline and Hugo: the same Markdown ----------------------------------------------


BASELINE_CONFIG = """\
site_name: Référence
site_url: https://reference.example.org/
docs_dir: docs
use_directory_urls: true
theme:
  name: material
  language: fr
  font: false
plugins: []
nav:
  - index.md
not_in_nav: |
  *
"""

HUGO_CONFIG = """\
baseURL = "https://reference.example.org/"
languageCode = "fr"
title = "Référence"
disableKinds = ["taxonomy", "term", "RSS", "sitemap"]
"""

HUGO_PAGE = """\
<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><header><a href="/">Accueil</a></header><main><h1>{{ .Title }}</h1>{{ .Content }}
{{ range .Pages }}<p><a href="{{ .RelPermalink }}">{{ .Title }}</a></p>{{ end }}</main></body></html>
"""


def markdown_sources(root: Path) -> list[tuple[str, Path]]:
    """(path under the docs folder, source) of every Markdown file of the corpus."""
    found = [(path.relative_to(root / "content").as_posix(), path) for path in sorted((root / "content").rglob("*.md"))]
    found += [(f"fiches/{path.name}", path) for path in sorted((root / "fiches").glob("*.md"))]
    return found


def baseline_project(root: Path, work: Path) -> Path:
    project = work / "reference-mkdocs"
    docs = project / "docs"
    for relative, source in markdown_sources(root):
        (docs / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, docs / relative)
    (project / "mkdocs.yml").write_text(BASELINE_CONFIG, encoding="utf-8")
    return project


def hugo_project(root: Path, work: Path) -> Path:
    """The same bodies under a ``title`` front matter (Hugo reads ``date`` and
    other keys by its own rules, which the corpus does not follow)."""
    import yaml

    project = work / "reference-hugo"
    for relative, source in markdown_sources(root):
        text = source.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        meta = yaml.safe_load(front) or {}
        title = str(meta.get("titre") or meta.get("nom") or Path(relative).stem)
        target = project / "content" / ("_index.md" if relative == "index.md" else relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\n---\n{body}", encoding="utf-8")
    (project / "config.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    layouts = project / "layouts" / "_default"
    layouts.mkdir(parents=True)
    for name in ("single.html", "list.html"):
        (layouts / name).write_text(HUGO_PAGE, encoding="utf-8")
    return project


def hugo_binary() -> str | None:
    """Debian's hugo, installed when missing and we are root; None otherwise."""
    found = shutil.which("hugo")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "hugo"], env=env, check=False, capture_output=True)
        found = shutil.which("hugo")
    return found


def count_pages(site: Path) -> int:
    return sum(1 for _ in site.rglob("index.html"))


# -- one corpus size ------------------------------------------------------------


@dataclass
class Row:
    sheets: int
    validate_process: float
    validate_load: float
    problems: int
    build: float
    pages: int
    peak_tree: int
    peak_process: int
    peak_children: int
    baseline: float
    baseline_pages: int
    hugo: float | None
    hugo_pages: int
    hugo_note: str
    build_cpu: float
    baseline_cpu: float
    warm: float
    warm_pagefind: float | None
    warm_hits: int | None
    warm_rendered: int | None
    validate_cached: float = 0.0  # a second run, with .cache/validation from the first
    validate_checkout: float = 0.0  # the same cache, every file dated anew as by a fresh checkout
    summary: float = 0.0  # warm again, the same sheet's summary edited too
    summary_pagefind: float | None = None
    summary_hits: int | None = None
    summary_rendered: int | None = None



def checkout(root: Path) -> None:
    """Date every file and folder of ``root`` anew, as a fresh checkout (CI)
    does; the contents stay the same, and so does the cache in .cache/."""
    when = time.time() - 60  # older than validation_cache.RACY_NS
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if name != ".cache"]
        for name in names:
            os.utime(os.path.join(folder, name), (when, when))
        os.utime(folder, (when, when))


def set_search_parts(root: Path, parts: int | str) -> None:
    """The corpus's mkdocs.yml with ``recherche: {parties: parts}`` (cached_corpus() copies it anew each time)."""
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    anchor = "      declaration: config/types.yml\n"
    if anchor not in text:
        raise SystemExit(f"{config} : la ligne « declaration » du greffon portail est introuvable")
    config.write_text(text.replace(anchor, f"{anchor}      recherche:\n        parties: {parts}\n", 1), encoding="utf-8")


def wait_for_discarded(site: Path) -> float:
    """Seconds until the previous site, deleted by a detached process, is gone."""
    returned = time.perf_counter()
    while any(site.parent.glob(f".{site.name}.old-*")):
        time.sleep(0.1)
    return time.perf_counter() - returned


def measure(sheets: int, work: Path, parts: int | str = "auto") -> Row:
    started = time.perf_counter()
    root = cached_corpus(sheets)
    if parts != "auto":
        set_search_parts(root, parts)
    print(f"[{sheets} fiches] corpus prêt en {time.perf_counter() - started:.1f} s ({root})", flush=True)

    shutil.rmtree(root / ".cache", ignore_errors=True)
    validate_process, _, _, _ = timed([str(REPO / ".venv" / "bin" / "portail"), "validate"], cwd=root)
    # Files written in the last 2 s are not kept by the cache (validation_cache.RACY_NS).
    time.sleep(max(0.0, 2.5 - (time.time() - max(p.stat().st_mtime for p in (root / "fiches").glob("*.md")))))
    timed([str(REPO / ".venv" / "bin" / "portail"), "validate"], cwd=root)  # fills the cache for the files now old enough
    validate_cached, _, _, _ = timed([str(REPO / ".venv" / "bin" / "portail"), "validate"], cwd=root)
    checkout(root)
    validate_checkout, _, _, _ = timed([str(REPO / ".venv" / "bin" / "portail"), "validate"], cwd=root)
    loading = run_child("validate", str(root))
    print(
        f"[{sheets} fiches] validation : {validate_process:.2f} s ; avec le cache de validation : {validate_cached:.2f} s, "
        f"{validate_checkout:.2f} s juste après un checkout (mêmes contenus, nouvelles dates)",
        flush=True,
    )

    site = work / f"site-{sheets}"
    shutil.rmtree(root / ".cache", ignore_errors=True)  # cold: no image, card or page cache
    _, peak_tree, out, build_cpu = timed([PYTHON, __file__, "--child", "build", str(root), str(site)], memory=True)
    child = json.loads(out.strip().splitlines()[-1])
    build, peak_process, peak_children = child["seconds"], child["maxrss"] * 1024, child["maxrss_children"] * 1024
    pages = count_pages(site)
    print(f"[{sheets} fiches] construction à froid : {build:.1f} s, {pages} pages", flush=True)

    # Warm: one sheet edited, the caches of the cold build kept. The corpus is
    # shared between runs: the sheet is put back as it was afterwards.
    sheet = sorted((root / "fiches").glob("*.md"))[len(list((root / "fiches").glob("*.md"))) // 2]
    original = sheet.read_bytes()
    try:
        sheet.write_bytes(original + "\nUne phrase ajoutée pour mesurer la reconstruction.\n".encode("utf-8"))
        warm = run_child("build", str(root), str(site))  # over the cold build's site, as an editor's second build
        discarded = wait_for_discarded(site)
        print(
            f"[{sheets} fiches] reconstruction à chaud (1 fiche modifiée) : {warm['seconds']:.1f} s dont Pagefind "
            f"{warm['pagefind']} s ; {warm['hits']} pages reprises du cache, {warm['rendered']} rendues ; "
            f"l'ancien site, supprimé en arrière-plan, a disparu {discarded:.1f} s après la fin de la commande",
            flush=True,
        )
        # Then the same sheet's summary: it shows on other pages too (its
        # actors' pages, listings, term pages), which render again.
        edited = sheet.read_text(encoding="utf-8")
        summary = re.sub(r"^(resume: .*)$", r"\1 Résumé complété.", edited, count=1, flags=re.MULTILINE)
        if summary == edited:
            raise SystemExit(f"{sheet} : pas de ligne « resume: » à modifier")
        sheet.write_text(summary, encoding="utf-8")
        warm_summary = run_child("build", str(root), str(site))
        wait_for_discarded(site)
    finally:
        sheet.write_bytes(original)
    print(
        f"[{sheets} fiches] reconstruction à chaud (résumé de la même fiche modifié) : {warm_summary['seconds']:.1f} s "
        f"dont Pagefind {warm_summary['pagefind']} s ; {warm_summary['hits']} pages reprises du cache, "
        f"{warm_summary['rendered']} rendues",
        flush=True,
    )
    shutil.rmtree(site)
    shutil.rmtree(root / ".cache", ignore_errors=True)

    project = baseline_project(root, work)
    from generators.search import pagefind_executable

    mkdocs_seconds, _, _, mkdocs_cpu = timed([str(REPO / ".venv" / "bin" / "mkdocs"), "build", "--quiet", "-f", str(project / "mkdocs.yml"), "-d", str(project / "site")])
    pagefind_seconds, _, _, pagefind_cpu = timed([str(pagefind_executable()), "--site", str(project / "site"), "--quiet"])
    baseline_pages = count_pages(project / "site")
    print(f"[{sheets} fiches] référence : {mkdocs_seconds:.1f} s MkDocs + {pagefind_seconds:.1f} s Pagefind", flush=True)
    shutil.rmtree(project)

    hugo, hugo_pages, hugo_note = None, 0, ""
    binary = hugo_binary()
    if binary is None:
        hugo_note = "n/a (hugo absent ; apt-get install hugo)"
    else:
        project = hugo_project(root, work)
        hugo, _, _, _ = timed([binary, "--quiet", "-s", str(project), "-d", str(project / "public")])
        hugo_pages = count_pages(project / "public")
        print(f"[{sheets} fiches] Hugo : {hugo:.1f} s, {hugo_pages} pages", flush=True)
        shutil.rmtree(project)

    return Row(
        sheets, validate_process, loading["load"], loading["problems"], build, pages, peak_tree, peak_process, peak_children,
        mkdocs_seconds + pagefind_seconds, baseline_pages, hugo, hugo_pages, hugo_note, build_cpu, mkdocs_cpu + pagefind_cpu,
        warm["seconds"], warm["pagefind"], warm["hits"], warm["rendered"], validate_cached, validate_checkout,
        warm_summary["seconds"], warm_summary["pagefind"], warm_summary["hits"], warm_summary["rendered"],
    )


def exponent(t1: float, n1: int, t2: float, n2: int) -> float:
    return math.log(t2 / t1) / math.log(n2 / n1)


def report(rows: list[Row]) -> None:
    mib = lambda size: f"{size / 1048576:.0f} Mio"  # noqa: E731
    print()
    print(f"Machine : {os.cpu_count()} cœurs, partagée (mesures bruitées). Date de construction : {TODAY.isoformat()}.")
    header = (
        f"{'fiches':>7} {'pages':>7} {'valid. s':>9} {'(chargt)':>9} {'froid s':>8} {'ms/page':>8} {'mém. arbre':>11} "
        f"{'mém. proc.':>11} {'réf. s':>7} {'rapport':>8} {'Hugo s':>7} {'Hugo ms/p':>10} {'à chaud s':>10} {'(Pagefind)':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        hugo = f"{r.hugo:>7.1f} {r.hugo / r.hugo_pages * 1000:>10.2f}" if r.hugo is not None else f"{'n/a':>7} {'':>10}"
        print(
            f"{r.sheets:>7} {r.pages:>7} {r.validate_process:>9.2f} {r.validate_load:>9.2f} {r.build:>8.1f} "
            f"{r.build / r.pages * 1000:>8.2f} {mib(r.peak_tree):>11} {mib(r.peak_process):>11} {r.baseline:>7.1f} "
            f"{r.build / r.baseline:>8.2f} {hugo} {r.warm:>10.1f} {r.warm_pagefind if r.warm_pagefind is not None else 'n/a':>11}"
        )
    for r in rows:
        print(
            f"{r.sheets} fiches, à chaud (1 fiche modifiée) : {r.warm:.1f} s, dont Pagefind {r.warm_pagefind} s ; "
            f"{r.warm_hits} pages reprises du cache, {r.warm_rendered} rendues ; cible : moins que Hugo à froid"
            + (f" ({r.hugo:.1f} s)" if r.hugo is not None else "")
        )
        print(
            f"{r.sheets} fiches, à chaud (puis le résumé de la même fiche modifié) : {r.summary:.1f} s, dont Pagefind "
            f"{r.summary_pagefind} s ; {r.summary_hits} pages reprises du cache, {r.summary_rendered} rendues"
        )
    for r in rows:
        print(
            f"{r.sheets} fiches, temps processeur (utilisateur + système, arbre de processus) : portail {r.build_cpu:.0f} s, "
            f"référence {r.baseline_cpu:.0f} s, rapport {r.build_cpu / r.baseline_cpu:.2f} ; mémoire : processus Python "
            f"{mib(r.peak_process)}, plus gros sous-processus (Pagefind ou atelier d'images) {mib(r.peak_children)}"
        )
    for r in rows:
        if r.problems:
            print(f"ATTENTION : {r.problems} problème(s) de validation dans le corpus de {r.sheets} fiches")
        if r.hugo_note:
            print(f"Hugo, {r.sheets} fiches : {r.hugo_note}")
    print(
        "Référence : les mêmes fichiers Markdown construits par mkdocs-material nu (hors navigation, sans extension, "
        "sans recherche lunr) puis indexés par Pagefind ; pages de la référence : "
        + ", ".join(f"{r.baseline_pages} ({r.sheets} fiches)" for r in rows)
    )
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        print(
            f"Exposant d'échelle de {first.sheets} à {last.sheets} fiches (sur les pages) : "
            f"portail {exponent(first.build, first.pages, last.build, last.pages):.2f}, "
            f"référence {exponent(first.baseline, first.baseline_pages, last.baseline, last.baseline_pages):.2f} ; "
            # The lists and term pages do not grow with the sheets: portail's
            # pages grow less than ten times, its work (cards, images, items) ten times.
            f"sur le nombre de fiches : portail {exponent(first.build, first.sheets, last.build, last.sheets):.2f}, "
            f"référence {exponent(first.baseline, first.sheets, last.baseline, last.sheets):.2f}"
        )
    last = rows[-1]
    print(
        f"Cibles à 10 000 fiches : construction ≤ 1,3 × la référence (ici {last.build / last.baseline:.2f}), "
        f"exposant ≤ 1,05, validation < 3 s (ici {last.validate_process:.2f} s sans cache, "
        f"{last.validate_cached:.2f} s avec le cache de validation, {last.validate_checkout:.2f} s avec le cache "
        f"juste après un checkout), mémoire < 1 Gio "
        f"(ici {last.peak_tree / GIB:.2f} Gio pour l'arbre de processus)."
    )


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        kind, *args = sys.argv[2:]
        result = child_validate(Path(args[0])) if kind == "validate" else child_build(Path(args[0]), Path(args[1]))
        result["maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result["maxrss_children"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Pagefind, image workers
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description="Mesure la montée en charge de la construction face à mkdocs-material nu et Hugo.")
    parser.add_argument("--fiches", type=int, nargs="+", default=[1000, 10000], help="tailles de corpus (en fiches)")
    parser.add_argument("--parties", type=lambda v: v if v == "auto" else int(v), default="auto",
                        help="index de recherche en N parties (recherche.parties ; défaut : auto)")
    args = parser.parse_args()
    rows = []
    print(f"Index de recherche : parties {args.parties} (recherche.parties) ; la référence et Hugo n'en ont qu'un.", flush=True)
    with tempfile.TemporaryDirectory(prefix="portail-scale-") as tmp:
        for sheets in sorted(args.fiches):
            rows.append(measure(sheets, Path(tmp), args.parties))
    report(rows)


if __name__ == "__main__":
    main()
