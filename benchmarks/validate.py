"""Benchmark: validate N generated initiative sheets read from disk.

Target (issue 2): 10,000 sheets, cross-references included, under 3 s on a
2-core machine. Prints its figures; asserts nothing (machines are noisy).

    .venv/bin/python benchmarks/validate.py --fiches 10000
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import make_corpus  # noqa: E402
from generators.content import Validator  # noqa: E402
from generators.declaration import load_declaration  # noqa: E402
from generators.territories import TerritoryIndex  # noqa: E402


def run(sheets: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="portail-bench-") as tmp:
        root = Path(tmp) / "corpus"
        started = time.perf_counter()
        make_corpus(root, sheets)
        print(f"corpus : {sheets} fiches + {max(5, sheets // 5)} acteurs générés en {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        declaration = load_declaration(root / "config" / "types.yml", root)
        territories = TerritoryIndex.load()
        validator = Validator(declaration, territories)
        setup = time.perf_counter() - started
        print(f"mise en route (déclaration, modèles, référentiel géographique) : {setup * 1000:.0f} ms")

        timings = []
        for _ in range(repeat):
            gc.collect()
            started = time.perf_counter()
            content = validator.load(keep_items=False)
            timings.append(time.perf_counter() - started)
        if content.problems:
            print(f"ATTENTION : {len(content.problems)} problème(s), le premier : {content.problems[0].format_text()}")
        gc.collect()
        started = time.perf_counter()
        validator.load(keep_items=True)
        full = time.perf_counter() - started
        best, worst = min(timings), max(timings)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"validation de {content.files_read} fichiers : meilleur {best:.2f} s, pire {worst:.2f} s sur {repeat} essai(s)")
        print(f"soit {best / content.files_read * 1e6:.0f} µs par fichier ; mémoire maximale du processus {peak:.0f} Mio")
        print(f"validation gardant les contenus typés (celle de la construction) : {full:.2f} s")
        print(f"objectif < 3 s pour 10 000 fiches : {'atteint' if best < 3 or sheets < 10000 else 'NON atteint'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fiches", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    run(args.fiches, args.repeat)


if __name__ == "__main__":
    main()
