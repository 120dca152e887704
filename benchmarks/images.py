"""Benchmark: process N phone-size photos, cold then warm.

Generates N photos of 4032 × 3024 pixels (JPEG, gradients and noise, EXIF
with orientation, GPS position and camera), one initiative sheet per photo,
then measures, on every core:

- validation of the sheets (image headers only);
- a cold run of ``images.prepare_images`` (empty cache: every photo decoded,
  turned upright, stripped, resized to 480/960/1600 px in WebP and JPEG plus
  a 320 px thumbnail);
- a warm run (same photos: nothing processed, everything from the cache);
- bytes: the sources, the largest variant of each photo, everything published.

Prints its figures; asserts nothing (machines are noisy).

    .venv/bin/python benchmarks/images.py --photos 500
    .venv/bin/python benchmarks/images.py --photos 500 --dossier benchmarks/out/photos   # keep the photos for next time
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageChops  # noqa: E402

from generators.content import Validator  # noqa: E402
from generators.declaration import load_declaration  # noqa: E402
from generators.images import prepare_images  # noqa: E402
from generators.territories import TerritoryIndex  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SIZE = (4032, 3024)


@lru_cache(maxsize=1)
def _grain() -> Image.Image:
    """Sensor-like fine noise, made once per worker (the slow part) and shifted per photo."""
    return Image.effect_noise(SIZE, 22)


def make_photo(index: int) -> bytes:
    rng = random.Random(index)
    width, height = SIZE
    gradient = Image.linear_gradient("L").rotate(rng.randrange(360)).resize(SIZE, Image.Resampling.BILINEAR)
    blotches = Image.effect_noise((width // 24, height // 24), 90).resize(SIZE, Image.Resampling.BICUBIC)
    grain = ImageChops.offset(_grain(), rng.randrange(width), rng.randrange(height))
    red = ImageChops.add(gradient, grain, 1.0, -128)
    green = ImageChops.blend(gradient.transpose(Image.Transpose.ROTATE_180), blotches, 0.5)
    blue = ImageChops.add(blotches, grain, 1.0, -120)
    photo = Image.merge("RGB", (red, green, blue))
    exif = Image.Exif()
    exif[0x0112] = 6 if index % 4 == 0 else 1  # a quarter held upright, stored sideways
    exif[0x010F], exif[0x0110] = "Fabricant", "Téléphone 12"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, float(index % 60)), 3: "E", 4: (2.0, 21.0, 7.0)}
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def _write_photo(job: tuple[int, str]) -> int:
    index, path = job
    data = make_photo(index)
    Path(path).write_bytes(data)
    return len(data)


def make_corpus(root: Path, photos: int, reuse: Path | None) -> int:
    """A project with one sheet per photo; returns the photos' total bytes."""
    shutil.copytree(REPO / "config", root / "config")
    images = root / "fiches" / "images"
    images.mkdir(parents=True)
    (root / "content").mkdir()
    todo = []
    for index in range(photos):
        name = f"photo-{index:04d}.jpg"
        kept = reuse / name if reuse else None
        if kept and kept.is_file():
            os.link(kept, images / name) if kept.stat().st_dev == images.stat().st_dev else shutil.copy(kept, images / name)
        else:
            todo.append((index, str(images / name)))
        (root / "fiches" / f"photo-{index:04d}.md").write_text(
            "---\n"
            f"titre: Initiative photographiée numéro {index}\n"
            "resume: Une fiche illustrée par une photo de téléphone.\n"
            "territoires: [Somme]\n"
            "thematiques: [recyclage]\n"
            f"image: {{src: images/{name}, alt: Photo numéro {index} prise sur le terrain}}\n"
            "---\n\nTexte de la fiche.\n",
            encoding="utf-8",
        )
    if todo:
        with ProcessPoolExecutor(os.cpu_count() or 1, mp_context=multiprocessing.get_context("fork")) as pool:
            list(pool.map(_write_photo, todo, chunksize=4))
    if reuse:
        reuse.mkdir(parents=True, exist_ok=True)
        for _, path in todo:
            shutil.copy(path, reuse / Path(path).name)
    return sum(p.stat().st_size for p in images.iterdir())


def cpu_seconds() -> float:
    """Processor time of this process and of its finished workers."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def megabytes(count: int) -> str:
    return f"{count / 1e6:,.1f} Mo".replace(",", " ")


def run(photos: int, reuse: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="portail-bench-images-") as tmp:
        root = Path(tmp) / "corpus"
        started = time.perf_counter()
        source_bytes = make_corpus(root, photos, reuse)
        print(f"corpus : {photos} photos {SIZE[0]} × {SIZE[1]} ({megabytes(source_bytes)}) prêtes en {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        validator = Validator(load_declaration(root / "config" / "types.yml", root), TerritoryIndex.load())
        content = validator.load()
        print(f"validation de {content.files_read} fiches, en-têtes d'images compris : {time.perf_counter() - started:.2f} s")
        if content.problems:
            print(f"ATTENTION : {len(content.problems)} problème(s), le premier : {content.problems[0].format_text()}")

        cache = root / ".cache" / "images"
        cpu_before, started = cpu_seconds(), time.perf_counter()
        cold = prepare_images(content, docs_dir=root / "content", cache_dir=cache)
        cold_time, cold_cpu = time.perf_counter() - started, cpu_seconds() - cpu_before
        started = time.perf_counter()
        warm = prepare_images(content, docs_dir=root / "content", cache_dir=cache)
        warm_time = time.perf_counter() - started
        count = max(cold.processed, 1)
        print(f"à froid : {cold.processed} photos traitées en {cold_time:.1f} s sur {os.cpu_count()} cœur(s), "
              f"soit {cold_time / count * 1000:.0f} ms par photo ; temps processeur {cold_cpu:.0f} s, "
              f"{cold_cpu / count * 1000:.0f} ms par photo ; charge de la machine {os.getloadavg()[0]:.1f}")
        print(f"à chaud : {warm.processed} photo traitée, {warm.reused} reprises du cache, en {warm_time:.2f} s")
        sources_index = cache / "sources.json"
        sources_index.unlink()
        started = time.perf_counter()
        prepare_images(content, docs_dir=root / "content", cache_dir=cache)
        print(f"à chaud sans l'index des empreintes (sha256 de chaque source relu) : {time.perf_counter() - started:.2f} s")
        if cold.problems or warm.problems:
            print(f"ATTENTION : {len(cold.problems)} problème(s), le premier : {cold.problems[0].format_text()}")

        largest = {"jpeg": 0, "webp": 0}
        published = 0
        for image in cold.images.values():
            for uri, path in image.files():
                size = path.stat().st_size
                published += size
                if uri.endswith(f"-{image.widths[-1]}.webp"):
                    largest["webp"] += size
                elif uri.endswith(f"-{image.widths[-1]}.jpg"):
                    largest["jpeg"] += size
        print(f"octets : sources {megabytes(source_bytes)} ; plus grande variante (1600 px) "
              f"JPEG {megabytes(largest['jpeg'])}, WebP {megabytes(largest['webp'])} ; "
              f"économie {megabytes(source_bytes - largest['webp'])} ({100 * (1 - largest['webp'] / source_bytes):.1f} %) "
              f"en WebP, {megabytes(source_bytes - largest['jpeg'])} ({100 * (1 - largest['jpeg'] / source_bytes):.1f} %) en JPEG")
        print(f"tout ce qui est publié (4 largeurs × 2 formats) : {megabytes(published)}")
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"mémoire maximale : processus {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} Mio, "
              f"processus de traitement {children:.0f} Mio")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--dossier", type=Path, help="garder les photos générées ici et les reprendre au prochain lancement")
    arguments = parser.parse_args()
    run(arguments.photos, arguments.dossier.resolve() if arguments.dossier else None)


if __name__ == "__main__":
    main()
