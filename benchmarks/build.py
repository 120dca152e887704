"""Benchmark: full builds of the demo site and of generated corpora.

Prints seconds and milliseconds per page for each; asserts nothing.

    .venv/bin/python benchmarks/build.py --fiches 1000 5000
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import make_corpus  # noqa: E402
from generators.build import build_site  # noqa: E402
from generators.project import find_project  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 24)


def count_pages(site: Path) -> int:
    return sum(1 for _ in site.rglob("index.html"))


def timed_build(root: Path) -> tuple[float, int]:
    project = find_project(config=root / "mkdocs.yml")
    started = time.perf_counter()
    site = build_site(project, today=TODAY, site_dir=root / "site")
    return time.perf_counter() - started, count_pages(site)


def demo_copy(tmp: Path) -> Path:
    root = tmp / "demo"
    root.mkdir()
    for name in ("mkdocs.yml", "config", "content", "fiches", "theme_overrides"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy(source, root / name)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fiches", type=int, nargs="*", default=[1000, 5000])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="portail-build-bench-") as tmp:
        tmp_path = Path(tmp)
        seconds, pages = timed_build(demo_copy(tmp_path))
        rows.append(("démo", pages, seconds))
        for sheets in args.fiches:
            root = make_corpus(tmp_path / f"corpus-{sheets}", sheets)
            seconds, pages = timed_build(root)
            rows.append((f"{sheets} fiches", pages, seconds))
            shutil.rmtree(root)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'corpus':<14} {'pages':>7} {'secondes':>9} {'ms/page':>8}")
    for name, pages, seconds in rows:
        print(f"{name:<14} {pages:>7} {seconds:>9.1f} {seconds / pages * 1000:>8.1f}")
    print(f"mémoire maximale du processus : {peak:.0f} Mio (machine : {os.cpu_count()} cœurs)")


if __name__ == "__main__":
    main()
