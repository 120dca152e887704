"""Benchmark: the preview server (``make serve``) after an editor saves one sheet.

For each corpus size (``corpus.py``), ``mkdocs serve --dirty`` runs on the
corpus, as ``make serve`` runs it on the demo. Once the first (full) build is
served, one sheet gets a new sentence, several times in a row; the benchmark
asks the server for that sheet's page every 50 ms and prints:

- the first build's time (MkDocs' own "Documentation built in" line);
- for each save, the time until the server answers with the new text (the
  file watcher's polling, the quick rebuild, then the answer), and the quick
  rebuild's own time;
- the time until the background full build has replaced the served site
  (listings, term pages, feeds, search).

Target (issue 7): the new page served less than 2 s after the save, at
10,000 sheets. Prints its figures; asserts nothing. The sheet is put back as
it was afterwards (the corpus is shared with the other benchmarks).

    .venv/bin/python benchmarks/preview.py --fiches 1000 10000
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import cached_corpus  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MKDOCS = REPO / ".venv" / "bin" / "mkdocs"
TODAY = "2026-11-24"
SAVES = 3


class Server:
    """``mkdocs serve --dirty`` on a corpus, its log read line by line."""

    def __init__(self, root: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {**os.environ, "PORTAIL_DATE": TODAY, "NO_MKDOCS_2_WARNING": "1"}
        self.process = subprocess.Popen(
            [str(MKDOCS), "serve", "--dirty", "-a", f"127.0.0.1:{self.port}"],
            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
        )
        self.lines: list[tuple[float, str]] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._cond:
                self.lines.append((time.perf_counter(), line.rstrip()))
                self._cond.notify_all()

    def wait_for(self, pattern: str, after: int = 0, timeout: float = 3600) -> tuple[int, float, re.Match]:
        """The first log line from index ``after`` matching ``pattern``."""
        regex = re.compile(pattern)
        deadline = time.perf_counter() + timeout
        with self._cond:
            while True:
                for index in range(after, len(self.lines)):
                    found = regex.search(self.lines[index][1])
                    if found:
                        return index, self.lines[index][0], found
                after = len(self.lines)
                if self.process.poll() is not None:
                    raise RuntimeError("le serveur s'est arrêté :\n" + "\n".join(line for _, line in self.lines[-30:]))
                if not self._cond.wait(timeout=max(0.0, deadline - time.perf_counter())) and time.perf_counter() > deadline:
                    raise TimeoutError(pattern)

    def get(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=600) as response:
            return response.read().decode("utf-8")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # as Ctrl+C: MkDocs shuts down, the plugin stops its background build
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def sheet_url(root: Path, sheet: Path) -> str:
    from generators.content import Validator
    from generators.declaration import load_declaration
    from generators.site import item_url

    validator = Validator(load_declaration(root / "config" / "types.yml", root))
    item, _ = validator.validate_file(sheet)
    assert item is not None, sheet
    return "/" + item_url(validator.declaration.types[item.type], item)


def measure(sheets: int) -> None:
    root = cached_corpus(sheets)
    sheet = sorted((root / "fiches").glob("*.md"))[sheets // 3]
    url = sheet_url(root, sheet)
    original = sheet.read_bytes()
    server = Server(root)
    try:
        index, _, found = server.wait_for(r"Documentation built in ([\d.]+) seconds")
        index, _, _ = server.wait_for(r"Serving on", index)
        print(f"[{sheets} fiches] première construction (complète) : {float(found[1]):.1f} s", flush=True)
        server.get(url)
        for save in range(1, SAVES + 1):
            sentence = f"Phrase {save} ajoutée pour mesurer l'aperçu, {time.time_ns()}."
            sheet.write_bytes(sheet.read_bytes() + f"\n{sentence}\n".encode("utf-8"))
            saved = time.perf_counter()
            while sentence not in server.get(url):
                time.sleep(0.05)
            served = time.perf_counter() - saved
            index, _, built = server.wait_for(r"Documentation built in ([\d.]+) seconds", index + 1)
            quick = "aperçu rapide" in "\n".join(line for _, line in server.lines[index - 5 : index + 1])
            index, done, _ = server.wait_for(r"aperçu : listes|mise à jour complète du site a échoué", index)
            print(
                f"[{sheets} fiches] enregistrement {save} : page servie après {served:.2f} s "
                f"(reconstruction {'rapide' if quick else 'complète'} : {float(built[1]):.2f} s) ; "
                f"site complet à jour après {done - saved:.1f} s",
                flush=True,
            )
    finally:
        sheet.write_bytes(original)
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Mesure l'aperçu (make serve) après l'enregistrement d'une fiche.")
    parser.add_argument("--fiches", type=int, nargs="+", default=[1000, 10000], help="tailles de corpus (en fiches)")
    for sheets in sorted(parser.parse_args().fiches):
        measure(sheets)


if __name__ == "__main__":
    main()
