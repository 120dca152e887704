"""Images of the content: checked while validating, processed while building.

Validation stays cheap (``check_entry_images``, called by ``content.py`` for
every file, so ``portail validate`` runs it too): the file's size, the image
header (``Image.open`` then ``verify()``) and its pixel count; for SVG, the
whole XML, which must hold no script and no external reference. Front-matter
images (``image``, ``logo``) and body images (``![alt](chemin)``, found by
``markdown_images``) are checked alike and located by line and field.

The build (``prepare_images``) decodes every published image in full, applies
its EXIF orientation, converts it to sRGB, drops every metadata (EXIF, GPS,
XMP, ICC, comments) and writes variants at ``WIDTHS`` (never upscaled) in WebP
plus a JPEG fallback, or PNG when some pixel is transparent, and a card
thumbnail. It also draws the social cards it is given (``cards.py``). Results
live in ``.cache/images/`` under a key made of the source's sha256 and the
processing settings: an unchanged image is never processed twice and the same
input gives the same bytes. Cache misses are processed on every core.

``ImageSet`` is what the rest of the build sees: problems found while
decoding, the files to publish, and ``PagePictures``, the picture data (URLs
relative to one page) that ``portail/components/picture.html`` renders.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import multiprocessing
import os
import posixpath
import re
import shutil
import tempfile
import warnings
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Protocol
from urllib.parse import unquote, urljoin
from xml.parsers import expat

import PIL
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from .emit import write_atomically
from .fields import FieldContext, FieldError, resolve_repo_file, slugify
from .formatting import file_size_fr, number_fr
from .markdown_images import find_body_images, is_local_src
from .problems import Problem, make_problem
from .source import FieldPath, RawEntry, format_path, read_entry
from .values import Image as ImageValue

if TYPE_CHECKING:
    from .content import ContentSet, Item
    from .declaration import Declaration


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """Beyond these, an image is refused (a message, never a traceback)."""

    max_bytes: int = 25_000_000
    max_pixels: int = 50_000_000  # a 50-megapixel phone photo is 8160 × 6144


LIMITS = ImageLimits()


def limits_of(declaration: "Declaration") -> ImageLimits:
    """The limits set in the declaration (« images: »), the defaults otherwise."""
    return ImageLimits(max_bytes=declaration.image_max_bytes, max_pixels=declaration.image_max_pixels)
WIDTHS = (480, 960, 1600)
THUMBNAIL_WIDTH = 320
WEBP_OPTIONS = {"quality": 80, "method": 4}
JPEG_OPTIONS = {"quality": 82, "optimize": True, "progressive": True}
PNG_OPTIONS = {"optimize": True}
PROCESSING_VERSION = 1  # bump when the pixels written for the same settings change
RASTER_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP", "TIFF"})
EXTENSIONS = {"webp": "webp", "jpeg": "jpg", "png": "png"}
MIME_TYPES = {"webp": "image/webp", "jpeg": "image/jpeg", "png": "image/png"}
CACHE_DIR = ".cache/images"
CARDS_CACHE = "cartes"
MANIFEST = "manifest.json"
SOURCES_INDEX = "sources.json"
_HEX_KEY = re.compile(r"[0-9a-f]{64}")  # an image's entry (cache_key) or a card's (CardSpec.key)
PUBLIC_DIR = "images"  # site folder of the processed files
BODY_PATH = "corps"  # the "field" of problems found in the Markdown body
# Width the content column takes: the whole viewport on small screens, about
# 46rem beside material's sidebars on wide ones.
CONTENT_SIZES = "(min-width: 76.25em) 46rem, 100vw"
_ORIENTATION = 0x0112


def variant_widths(width: int) -> tuple[int, ...]:
    """``WIDTHS`` below the source's width, never upscaled; an image narrower
    than the smallest keeps a single variant at its own width."""
    return tuple(w for w in WIDTHS if w < width) or (width,)


def scaled_height(width: int, height: int, new_width: int) -> int:
    return max(1, round(height * new_width / width))


def settings_fingerprint() -> bytes:
    """Everything that changes the bytes written for a given source."""
    settings = {
        "version": PROCESSING_VERSION,
        "widths": WIDTHS,
        "thumbnail": THUMBNAIL_WIDTH,
        "webp": WEBP_OPTIONS,
        "jpeg": JPEG_OPTIONS,
        "png": PNG_OPTIONS,
        "pillow": PIL.__version__,
    }
    return json.dumps(settings, sort_keys=True).encode()


def cache_key(source_digest: str) -> str:
    """The cache entry of a source (its sha256, hex) under the current settings."""
    return hashlib.sha256(settings_fingerprint() + bytes.fromhex(source_digest)).hexdigest()


class SourceDigests:
    """sha256 of the sources, remembered in the cache by file identity (size,
    mtime, ctime, inode, as git's index does): a warm build does not read
    gigabytes of unchanged photos again. Any change to the file changes its
    identity, and the bytes are hashed again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.known: dict[str, list] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.known = {}
        self.seen: dict[str, list] = {}

    def digest(self, file: Path, name: str) -> str:
        stat = file.stat()
        identity = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
        entry = self.known.get(name)
        if entry is None or entry[:4] != identity:
            entry = identity + [hashlib.sha256(file.read_bytes()).hexdigest()]
        self.seen[name] = entry
        return entry[4]

    def save(self) -> None:
        """Keep the sources of this build only; written in one step."""
        if self.seen == self.known:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, json.dumps(self.seen, sort_keys=True).encode("utf-8"), prefix=".sources-")


# -- checks (validation: headers only) --------------------------------------


@dataclass(frozen=True, slots=True)
class Header:
    format: str  # Pillow's name ("JPEG", "PNG"...) or "SVG"
    width: int
    height: int


def _megapixels(count: int) -> str:
    return f"{number_fr(round(count / 1_000_000))} millions de pixels"


@contextmanager
def open_checked(path: Path, shown: str, limits: ImageLimits) -> Iterator[Image.Image]:
    """``Image.open`` that turns every failure into a ``FieldError`` naming ``shown``."""
    try:
        with warnings.catch_warnings():
            # Pillow's warning threshold is above ours, which is checked below
            # with the real dimensions; its error (twice as far) is caught.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
    except Image.DecompressionBombError:
        beyond = 2 * (Image.MAX_IMAGE_PIXELS or limits.max_pixels)
        raise FieldError("image_too_many_pixels", value=shown, pixels=f"plus de {_megapixels(beyond)}", max=_megapixels(limits.max_pixels)) from None
    except UnidentifiedImageError:
        raise FieldError("not_an_image", value=shown) from None
    except Exception:  # Pillow's parsers raise many kinds of errors on bad headers
        raise FieldError("corrupt_image", value=shown) from None
    with image:
        if image.format not in RASTER_FORMATS:
            raise FieldError("unsupported_image_format", value=shown, format=image.format or "inconnu")
        width, height = image.size
        if width * height > limits.max_pixels:
            raise FieldError(
                "image_too_many_pixels", value=shown,
                pixels=f"{number_fr(width)} × {number_fr(height)} pixels", max=_megapixels(limits.max_pixels),
            )
        yield image


_headers: dict[tuple, Header | FieldError] = {}


def inspect_image(path: Path, shown: str, limits: ImageLimits | None = None) -> Header:
    """The cheap checks, memoised per file version; raises ``FieldError``."""
    limits = limits or LIMITS
    stat = path.stat()
    memo = (str(path), stat.st_size, stat.st_mtime_ns, limits, shown)
    if memo not in _headers:
        try:
            _headers[memo] = _inspect(path, shown, limits)
        except FieldError as error:
            _headers[memo] = error
    found = _headers[memo]
    if isinstance(found, FieldError):
        raise found
    return found


def _check_weight(path: Path, shown: str, limits: ImageLimits) -> None:
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise FieldError("image_too_heavy", value=shown, size=file_size_fr(size), max=file_size_fr(limits.max_bytes))


def _inspect(path: Path, shown: str, limits: ImageLimits) -> Header:
    _check_weight(path, shown, limits)
    if path.suffix.lower() == ".svg":
        return Header("SVG", *check_svg(path.read_bytes(), shown))
    with open_checked(path, shown, limits) as image:
        header = Header(image.format or "", *image.size)
        try:
            image.verify()  # PNG: every chunk's CRC; WebP: its RIFF sizes
        except Exception:
            raise FieldError("corrupt_image", value=shown) from None
    if not _looks_whole(path, header.format):
        _decode(path, shown, limits)
    return header


# The last bytes of a whole file, by format. libjpeg writes an end marker
# (FF D9) that entropy-coded data cannot hold (an FF there is followed by 00):
# a JPEG cut anywhere in its scans lacks it. verify() already reads a PNG's or
# WebP's every chunk. Other files, and a JPEG without the marker (some have
# bytes after it), are decoded in full, as the build will: a file that only
# the build would refuse is refused here too, for the price of a tail read.
_WHOLE_ENDINGS = {"JPEG": b"\xff\xd9", "MPO": b"\xff\xd9"}
_VERIFIED = frozenset({"PNG", "WEBP"})


def _looks_whole(path: Path, image_format: str) -> bool:
    if image_format in _VERIFIED:
        return True
    ending = _WHOLE_ENDINGS.get(image_format)
    if ending is None:
        return False
    with open(path, "rb") as file:
        file.seek(-len(ending), os.SEEK_END)
        return file.read() == ending


def _decode(path: Path, shown: str, limits: ImageLimits) -> None:
    """Every pixel decoded (a JPEG at 1/8 scale: libjpeg still reads every byte)."""
    with open_checked(path, shown, limits) as image:
        try:
            if image.format in ("JPEG", "MPO"):
                image.draft(None, (math.ceil(image.width / 8), math.ceil(image.height / 8)))
            image.load()
        except Exception:  # truncated data, broken decoder state
            raise FieldError("corrupt_image", value=shown) from None


# -- SVG --------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, code: str, **params: str) -> None:
        super().__init__(code)
        self.code, self.params = code, params


_EXTERNAL_PREFIXES = ("http:", "https:", "//", "ftp:", "file:")
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:text/html", "data:application/")
_ACTIVE_ELEMENTS = frozenset({"script", "foreignObject", "iframe", "embed", "object", "handler", "listener"})


def _compact(value: str) -> str:
    """Lower case without whitespace or control characters ("java\\tscript:" tricks)."""
    return "".join(ch for ch in value if ch > " ").lower()


def _check_svg_value(name: str, value: str) -> None:
    compact = _compact(value)
    if compact.startswith(_SCRIPT_SCHEMES) or "javascript:" in compact or "vbscript:" in compact:
        raise _Refused("unsafe_svg", detail=f"un lien « {value.strip()[:40]} »")
    if name == "href" and compact.startswith(_EXTERNAL_PREFIXES):
        raise _Refused("svg_external_reference", target=value.strip())
    if name == "style" or "url(" in compact:
        _check_css(value)


def _check_css(text: str) -> None:
    compact = _compact(text)
    if "expression(" in compact or "javascript:" in compact:
        raise _Refused("unsafe_svg", detail="un style qui exécute du code")
    if "@import" in compact:
        raise _Refused("svg_external_reference", target="@import")
    for part in compact.split("url(")[1:]:
        target = part.split(")", 1)[0].strip("'\"")
        if target.startswith(_EXTERNAL_PREFIXES):
            raise _Refused("svg_external_reference", target=target)


class _SvgScan:
    """expat handlers: refuse at the first unsafe thing, note the root's size."""

    def __init__(self) -> None:
        self.root: str | None = None
        self.size = (0, 0)
        self.styles = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(" ")[2]
        if self.root is None:
            self.root, self.size = local, _svg_size(attributes)
        if local in _ACTIVE_ELEMENTS:
            raise _Refused("unsafe_svg", detail=f"un élément <{local}>")
        self.styles += local == "style"
        for key, value in attributes.items():
            attribute = key.rpartition(" ")[2]
            if attribute.lower().startswith("on"):
                raise _Refused("unsafe_svg", detail=f"un attribut « {attribute} »")
            _check_svg_value(attribute, value)

    def end(self, name: str) -> None:
        self.styles -= name.rpartition(" ")[2] == "style"

    def text(self, data: str) -> None:
        if self.styles:
            _check_css(data)

    def entity(self, *args: object) -> None:
        # Entities are how "billion laughs" and external entities work: SVG needs none.
        raise _Refused("unsafe_svg", detail="une déclaration d'entité XML")

    def instruction(self, target: str, data: str) -> None:
        if target.lower() == "xml-stylesheet":
            raise _Refused("svg_external_reference", target=f"<?{target} {data.strip()}?>")


def _svg_length(text: str | None) -> float:
    text = (text or "").strip().removesuffix("px")
    try:
        return float(text)
    except ValueError:  # "100%", "10em": no intrinsic size
        return 0.0


def _svg_size(attributes: dict[str, str]) -> tuple[int, int]:
    width, height = _svg_length(attributes.get("width")), _svg_length(attributes.get("height"))
    if not (width and height):
        box = (attributes.get("viewBox") or "").replace(",", " ").split()
        if len(box) == 4:
            width, height = _svg_length(box[2]), _svg_length(box[3])
    return (round(width), round(height)) if width > 0 and height > 0 else (0, 0)


def check_svg(data: bytes, shown: str) -> tuple[int, int]:
    """Refuse scripts, event handlers, ``javascript:`` links and external
    references; return the intrinsic size ((0, 0) when unknown).

    expat, from the standard library, never fetches an external DTD or entity
    here, and any entity declaration is refused."""
    scan = _SvgScan()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.CharacterDataHandler = scan.text
    parser.EntityDeclHandler = scan.entity
    parser.UnparsedEntityDeclHandler = scan.entity
    parser.ProcessingInstructionHandler = scan.instruction
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise FieldError("invalid_svg", value=shown, detail=f"XML mal formé ligne {error.lineno}") from None
    except _Refused as refused:
        raise FieldError(refused.code, value=shown, **refused.params) from None
    if scan.root != "svg":
        raise FieldError("invalid_svg", value=shown, detail="le fichier ne commence pas par un élément <svg>")
    return scan.size


# -- validation of one content file ------------------------------------------


def check_entry_images(entry: RawEntry, images: Iterable[tuple[FieldPath, ImageValue]], ctx: FieldContext) -> list[Problem]:
    """Problems of the images of one file: front matter (``images``: the
    validated values with their paths) and body, each located by line."""
    problems: list[Problem] = []
    for path, image in images:
        try:
            inspect_image(ctx.root / image.src.path, image.src.path, limits_of(ctx.declaration))
        except FieldError as error:
            at = path + ("src",) if path + ("src",) in entry.positions else path
            line, column = entry.position(at)
            problems.append(make_problem(error.code, file=entry.rel, line=line, column=column, path=format_path(at), **error.params))
    for found in find_body_images(entry.body, entry.body_line):
        if not is_local_src(found.src):
            continue
        where = {"file": entry.rel, "line": found.line, "column": found.column, "path": BODY_PATH}
        if not found.alt.strip() and not found.decorative:
            problems.append(make_problem("missing_body_alt", src=found.src, **where))
        try:
            ref = resolve_repo_file(unquote(found.src), ctx)
            inspect_image(ctx.root / ref.path, ref.path, limits_of(ctx.declaration))
        except FieldError as error:
            problems.append(make_problem(error.code, **where, **error.params))
        except (ValueError, OSError):  # a path the system cannot even look up ("\0"...)
            problems.append(make_problem("missing_file", value=found.src, hint="vérifiez le chemin de l'image", **where))
    return problems


# -- processing (build: full decode) -------------------------------------------


@lru_cache(maxsize=1)
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Pixels converted from the embedded colour profile, which is then dropped."""
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if image.mode != "CMYK" and "srgb" in (ImageCms.getProfileDescription(profile) or "").lower():
            return image
        return ImageCms.profileToProfile(image, profile, _srgb(), outputMode="RGBA" if image.mode == "RGBA" else "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: the pixels as they are


def _plain_pixels(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when some pixel is actually transparent."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        if rgba.getchannel("A").getextrema()[0] < 255:
            return rgba
        image = rgba
    return image if image.mode in ("RGB", "CMYK") else image.convert("RGB")


def _encode(image: Image.Image, target: Path, kind: str) -> None:
    # Encoders write what info holds (EXIF, XMP, ICC, comment, dpi), and
    # resize() copies it from the source: clear it, write none of it.
    image.info.clear()
    options = {"webp": WEBP_OPTIONS, "jpeg": JPEG_OPTIONS, "png": PNG_OPTIONS}[kind]
    image.save(target, format=kind.upper(), **options)


def render_variants(path: Path, shown: str, target: Path, limits: ImageLimits | None = None) -> dict:
    """Decode ``path`` in full and write its variants into the folder
    ``target``; return the manifest. Raises ``FieldError``."""
    limits = limits or LIMITS
    _check_weight(path, shown, limits)
    with open_checked(path, shown, limits) as image:
        try:
            stored_width, stored_height = image.size
            turned = image.getexif().get(_ORIENTATION) in (5, 6, 7, 8)
            width, height = (stored_height, stored_width) if turned else (stored_width, stored_height)
            widths = variant_widths(width)
            thumbnail = min(THUMBNAIL_WIDTH, width)
            largest = max(widths + (thumbnail,))
            icc = image.info.get("icc_profile")
            if image.format in ("JPEG", "MPO") and largest < width:
                # libjpeg decodes straight at 1/2, 1/4 or 1/8 scale, still reading
                # every byte (a truncated file fails all the same), much faster.
                scale = largest / width
                image.draft(None, (math.ceil(stored_width * scale), math.ceil(stored_height * scale)))
            image.load()
            frame = _plain_pixels(ImageOps.exif_transpose(image))
        except FieldError:
            raise
        except Exception:  # truncated data, broken decoder state, bad EXIF...
            raise FieldError("corrupt_image", value=shown) from None
    fallback = "png" if frame.mode == "RGBA" else "jpeg"
    if frame.mode == "CMYK":
        frame = _to_srgb(frame, icc) if icc else frame.convert("RGB")
        frame = frame if frame.mode == "RGB" else frame.convert("RGB")
        icc = None
    current = frame
    for index, new_width in enumerate(sorted(set(widths) | {thumbnail}, reverse=True)):
        size = (new_width, scaled_height(width, height, new_width))
        if current.size != size:
            current = current.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        if index == 0:
            current = _to_srgb(current, icc)  # on the largest variant, not the full decode
        for kind in ("webp", fallback):
            _encode(current, target / f"{new_width}.{EXTENSIONS[kind]}", kind)
    return {"width": width, "height": height, "fallback": fallback, "widths": list(widths), "thumbnail": thumbnail}


@dataclass(frozen=True, slots=True)
class _ImageJob:
    source: str  # absolute path
    shown: str  # repository path, for messages
    key: str
    cache: str
    limits: ImageLimits

    def run(self) -> tuple[str, dict]:
        """("ok", manifest) or (problem code, its parameters)."""
        cache = Path(self.cache)
        cache.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{self.key}-", dir=cache))
        try:
            manifest = render_variants(Path(self.source), self.shown, work, self.limits)
            (work / MANIFEST).write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")
            _publish_dir(work, cache / self.key)
            return "ok", manifest
        except FieldError as error:
            return error.code, dict(error.params)
        finally:
            shutil.rmtree(work, ignore_errors=True)


class CardSource(Protocol):
    """A social card to draw (``cards.CardSpec``); ``item`` is (type, slug),
    or None for the site's own card."""

    uri: str
    alt: str
    item: tuple[str, str] | None
    width: int
    height: int

    def key(self) -> str: ...

    def png(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class _CardJob:
    card: CardSource
    target: str

    def run(self) -> tuple[str, dict]:
        target = Path(self.target)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, self.card.png(), prefix=".", suffix=".png")
        return "ok", {}


def _publish_dir(work: Path, final: Path) -> None:
    """Move a finished folder into the cache in one step: an interrupted build
    leaves no half-written entry that a later build would trust."""
    try:
        work.rename(final)
    except OSError:  # another build wrote it meanwhile: same key, same bytes
        pass


def _run_job(job: _ImageJob | _CardJob) -> tuple[str, dict]:
    return job.run()


def run_jobs(jobs: list, workers: int | None = None) -> list[tuple[str, dict]]:
    """Every job, on every core when there are several; results in job order."""
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [job.run() for job in jobs]
    context = multiprocessing.get_context("fork")  # workers inherit the loaded modules, fonts included
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(_run_job, jobs, chunksize=1))


class PendingCards:
    """Social cards drawn in worker processes while MkDocs renders the pages
    (which need only their size and address), by one worker per core the
    main process leaves free: on two cores, one worker, and both cores stay
    busy. On one core they are drawn when waited for.

    The workers are spawned, not forked: a forked worker shares the build's
    memory only until it touches it, and at 10,000 sheets each one ended up
    at about 200 MiB (proportional set size) against about 70 MiB spawned,
    during the rendering that holds the build's peak of memory
    (benchmarks/scale.py). Spawning costs each worker about half a second of
    imports, while the main process renders."""

    def __init__(self, jobs: list["_CardJob"], workers: int | None = None) -> None:
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list = []
        # One worker per core the main process leaves free: the main process
        # (and, in a large cold build, the second renderer) keep the others.
        cores = workers or os.cpu_count() or 1
        if cores >= 2 and jobs:
            self._pool = ProcessPoolExecutor(max_workers=min(cores - 1, len(jobs)), mp_context=multiprocessing.get_context("spawn"))
            self._futures = [self._pool.submit(_run_job, job) for job in jobs]

    def wait(self) -> None:
        if self._pool is None:
            for job in self.jobs:
                job.run()
            return
        try:
            for future in self._futures:
                future.result()
        finally:
            self._pool.shutdown()
            self._pool = None

    def cancel(self) -> None:
        """A failed build: drop the cards not started yet (the pool stays
        referenced: its manager thread cancels nothing once it is collected)."""
        for future in self._futures:
            future.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


# -- what the build publishes ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """A raster image's variants in the cache, and where each is published."""

    source: str  # repository path
    key: str
    width: int  # after orientation
    height: int
    fallback: str  # "jpeg" or "png"
    widths: tuple[int, ...]
    thumbnail: int
    cache: Path

    @classmethod
    def from_manifest(cls, source: str, key: str, cache: Path, manifest: dict) -> "ProcessedImage":
        return cls(
            source=source, key=key, width=manifest["width"], height=manifest["height"], fallback=manifest["fallback"],
            widths=tuple(manifest["widths"]), thumbnail=manifest["thumbnail"], cache=cache,
        )

    def uri(self, width: int, kind: str) -> str:
        return f"{PUBLIC_DIR}/{_public_stem(self.source)}-{self.key[:12]}-{width}.{EXTENSIONS[kind]}"

    def files(self) -> Iterator[tuple[str, Path]]:
        for width in sorted(set(self.widths) | {self.thumbnail}):
            for kind in ("webp", self.fallback):
                yield self.uri(width, kind), self.cache / self.key / f"{width}.{EXTENSIONS[kind]}"


@lru_cache(maxsize=8192)
def _public_stem(source: str) -> str:
    """The start of a published variant's name (asked for each picture of each page)."""
    return slugify(Path(source).stem) or "image"


@dataclass(frozen=True, slots=True)
class SvgImage:
    """An SVG, checked and published as it is (browsers scale it themselves)."""

    source: str
    uri: str
    width: int
    height: int
    path: Path


@dataclass(frozen=True, slots=True)
class SocialCard:
    uri: str
    alt: str
    path: Path
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class PictureSource:
    type: str
    srcset: str


@dataclass(frozen=True, slots=True)
class Picture:
    """What ``picture.html`` renders; URLs are relative to the page."""

    src: str
    srcset: str
    sizes: str
    sources: tuple[PictureSource, ...]
    width: int
    height: int
    alt: str
    lazy: bool


@dataclass(frozen=True, slots=True)
class _Use:
    """Where a file uses an image: a front-matter field, or a body line."""

    source: str
    path: FieldPath | None = None
    line: int = 1
    column: int = 1


@dataclass
class ImageSet:
    """The images of one build, once processed (or taken from the cache)."""

    images: dict[str, ProcessedImage | SvgImage] = field(default_factory=dict)
    cards: dict[tuple[str, str], SocialCard] = field(default_factory=dict)
    default_card: SocialCard | None = None
    body_paths: dict[tuple[str, str], str] = field(default_factory=dict)  # (item source, src as written) -> repo path
    withheld: set[str] = field(default_factory=set)  # drafts' raster images: neither processed nor published
    problems: list[Problem] = field(default_factory=list)
    processed: int = 0  # images processed by this build
    drawn: int = 0  # social cards drawn by this build
    reused: int = 0  # images and cards taken from the cache
    pending: PendingCards | None = None  # cards still being drawn (prepare_images(defer_cards=True))
    cache: Path | None = None  # the cache folder prepare_images used

    def all_cards(self) -> list[SocialCard]:
        """The items' cards, then the site's own, if any."""
        return [*self.cards.values(), *([self.default_card] if self.default_card else [])]

    def published_files(self) -> list[tuple[str, Path]]:
        """(site path, file to copy) of every processed file, SVG and card."""
        found: dict[str, Path] = {}
        for image in self.images.values():
            if isinstance(image, ProcessedImage):
                found.update(image.files())
            else:
                found[image.uri] = image.path
        drawing = {job.target for job in self.pending.jobs} if self.pending else set()
        for card in self.all_cards():
            if str(card.path) not in drawing:  # those are copied by finish_cards()
                found[card.uri] = card.path
        return sorted(found.items())

    def finish_cards(self, site_dir: Path) -> None:
        """Wait for the cards still being drawn, then publish them into ``site_dir``."""
        from .emit import copy_outputs

        if self.pending is None:
            return
        pending, self.pending = self.pending, None
        pending.wait()
        drawn = {job.target for job in pending.jobs}
        cards = self.all_cards()
        copy_outputs(site_dir, sorted({(card.uri, card.path) for card in cards if str(card.path) in drawn}))

    def prune_cache(self) -> int:
        """Remove what the cache holds for no image or card of this set: the
        variants of an image since replaced or no longer published, a card
        whose text changed. A cache kept from build to build (in CI) then
        stays the size of the site. Folders and files being written (dotted
        names) are left alone. Returns how many entries were removed."""
        if self.cache is None or self.pending is not None:
            return 0
        used = {image.key for image in self.images.values() if isinstance(image, ProcessedImage)}
        cards = {card.path.name for card in self.all_cards()}
        removed = 0
        for folder, kept, is_entry in (
            (self.cache, used, lambda path: path.is_dir() and _HEX_KEY.fullmatch(path.name) is not None),
            (self.cache / CARDS_CACHE, cards, lambda path: path.suffix == ".png" and _HEX_KEY.fullmatch(path.stem) is not None),
        ):
            try:
                found = list(folder.iterdir())
            except OSError:
                continue
            for path in found:
                if path.name in kept or not is_entry(path):
                    continue
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed += 1
        return removed

    def cancel_cards(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
            self.pending = None

    def replaced_sources(self) -> set[str]:
        """Raster originals, never published: their metadata may hold GPS
        positions and the camera's serial number. Published items' are replaced
        by their variants; drafts' are not published at all."""
        return self.withheld | {path for path, image in self.images.items() if isinstance(image, ProcessedImage)}

    def for_page(self, src_uri: str, page_url: str, item: "Item | None" = None) -> "PagePictures":
        return PagePictures(self, src_uri, page_url, item)

    def social(self, item: "Item | None", site_url: str) -> dict | None:
        """og:image data of a page: its item's card, else the site's card."""
        card = self.cards.get((item.type, item.slug)) if item is not None else None
        card = card or self.default_card
        if card is None or not site_url:
            return None  # og:image must be absolute
        return {"url": urljoin(site_url, card.uri), "alt": card.alt, "type": "image/png", "width": card.width, "height": card.height}


class PagePictures:
    """Pictures as seen from one page: templates call ``picture`` and
    ``thumbnail``; the Markdown treeprocessor calls ``for_body``."""

    def __init__(self, images: ImageSet, src_uri: str, page_url: str, item: "Item | None") -> None:
        self.images, self.src_uri, self.page_url, self.item = images, src_uri, page_url, item
        main = (item.data.get("image") or item.data.get("logo")) if item is not None else None
        self.has_main_image = isinstance(main, ImageValue) and main.src.path in images.images

    def url(self, uri: str) -> str:
        from mkdocs.utils import get_relative_url

        return get_relative_url(uri, self.page_url)

    def picture(self, image: ImageValue | None, eager: bool = False) -> Picture | None:
        """The item's main image, in the content column."""
        if not isinstance(image, ImageValue) or image.src.path not in self.images.images:
            return None
        return self._picture(self.images.images[image.src.path], image.alt, lazy=not eager)

    def thumbnail(self, image: ImageValue | None) -> Picture | None:
        """A listing card's small image."""
        if not isinstance(image, ImageValue) or image.src.path not in self.images.images:
            return None
        return self._picture(self.images.images[image.src.path], image.alt, lazy=True, thumbnail=True)

    def for_body(self, src: str, alt: str, *, eager: bool) -> Picture | None:
        """A body image; its ``src`` is left relative to the page's source
        file, as MkDocs' own link processing (which runs next) expects."""
        if self.item is None:
            return None
        repo_path = self.images.body_paths.get((self.item.source, src))
        published = self.images.images.get(repo_path or "")
        if published is None:
            return None
        picture = self._picture(published, alt, lazy=not eager)
        fallback = published.uri if isinstance(published, SvgImage) else published.uri(published.widths[-1], published.fallback)
        relative = posixpath.relpath(fallback, posixpath.dirname(self.src_uri) or ".")
        return replace(picture, src=relative)

    def _picture(self, image: ProcessedImage | SvgImage, alt: str, *, lazy: bool, thumbnail: bool = False) -> Picture:
        if isinstance(image, SvgImage):
            width = min(image.width, THUMBNAIL_WIDTH) if thumbnail and image.width else image.width
            height = scaled_height(image.width, image.height, width) if image.width else image.height
            return Picture(src=self.url(image.uri), srcset="", sizes="", sources=(), width=width, height=height, alt=alt, lazy=lazy)
        widths = (image.thumbnail,) if thumbnail else image.widths
        sizes = "" if len(widths) == 1 else CONTENT_SIZES

        def srcset(kind: str) -> str:
            if len(widths) == 1:
                return self.url(image.uri(widths[0], kind))
            return ", ".join(f"{self.url(image.uri(w, kind))} {w}w" for w in widths)

        largest = widths[-1]
        return Picture(
            src=self.url(image.uri(largest, image.fallback)),
            srcset=srcset(image.fallback) if len(widths) > 1 else "",
            sizes=sizes,
            sources=(PictureSource(type=MIME_TYPES["webp"], srcset=srcset("webp")),),
            width=largest,
            height=scaled_height(image.width, image.height, largest),
            alt=alt,
            lazy=lazy,
        )


def public_path(absolute: Path, docs_dir: Path, repo_path: str) -> str:
    """Where a file is published as it is: its place under docs_dir, or its repository path."""
    try:
        return absolute.resolve().relative_to(docs_dir.resolve()).as_posix()
    except ValueError:
        return repo_path


def prepare_images(
    content: "ContentSet",
    *,
    docs_dir: Path,
    cards: Iterable[CardSource] = (),
    cache_dir: Path | None = None,
    limits: ImageLimits | None = None,
    workers: int | None = None,
    defer_cards: bool = False,
) -> ImageSet:
    """Process every image of the published items and draw ``cards``; the
    cache is used for what has not changed. Problems are collected, not raised.
    With ``defer_cards``, the cards are drawn in the background (``pending``)
    and ``finish_cards`` publishes them; ``published_files`` leaves them out."""
    limits = limits or limits_of(content.declaration)
    root = content.declaration.root
    cache = cache_dir or root / CACHE_DIR
    result = ImageSet(cache=cache)
    uses = _collect_uses(content, result)
    jobs: list[_ImageJob | _CardJob] = []
    waiting: list[tuple[str, str]] = []  # (repo path, key) of each image job
    failures: dict[str, FieldError] = {}
    digests = SourceDigests(cache / SOURCES_INDEX)
    for repo_path in sorted(uses):
        absolute = root / repo_path
        try:
            _check_weight(absolute, repo_path, limits)
            if absolute.suffix.lower() == ".svg":
                width, height = check_svg(absolute.read_bytes(), repo_path)
                result.images[repo_path] = SvgImage(repo_path, public_path(absolute, docs_dir, repo_path), width, height, absolute)
                continue
            key = cache_key(digests.digest(absolute, repo_path))
        except FieldError as error:
            failures[repo_path] = error
            continue
        manifest = cache / key / MANIFEST
        if manifest.is_file():
            result.images[repo_path] = ProcessedImage.from_manifest(repo_path, key, cache, json.loads(manifest.read_text(encoding="utf-8")))
            result.reused += 1
        else:
            jobs.append(_ImageJob(str(absolute), repo_path, key, str(cache), limits))
            waiting.append((repo_path, key))
    drawing: set[Path] = set()
    for card in cards:
        target = cache / CARDS_CACHE / f"{card.key()}.png"
        social = SocialCard(uri=card.uri, alt=card.alt, path=target, width=card.width, height=card.height)
        if card.item is None:
            result.default_card = social
        else:
            result.cards[card.item] = social
        if target.is_file():
            result.reused += 1
        elif target not in drawing:  # two identical cards: drawn once
            drawing.add(target)
            jobs.append(_CardJob(card, str(target)))
    digests.save()
    card_jobs = [job for job in jobs if isinstance(job, _CardJob)]
    if defer_cards and card_jobs:
        outcomes = run_jobs([job for job in jobs if not isinstance(job, _CardJob)], workers)
        result.pending = PendingCards(card_jobs, workers)
    else:
        outcomes = run_jobs(jobs, workers)
    for (repo_path, key), (code, data) in zip(waiting, outcomes):
        if code == "ok":
            result.images[repo_path] = ProcessedImage.from_manifest(repo_path, key, cache, data)
            result.processed += 1
        else:
            failures[repo_path] = FieldError(code, **data)
    result.drawn = len(card_jobs)
    result.problems = _located(failures, uses, root)
    return result


def image_signature(declaration: "Declaration", item: "Item") -> tuple:
    """The images an item uses, as prepare_images sees them: two versions of
    an item with the same signature need no image processed again."""
    from .content import ContentSet  # content.py imports this module

    result = ImageSet()
    uses = _collect_uses(ContentSet(declaration, items=[item]), result)
    return (sorted(uses), sorted(result.body_paths.items()), sorted(result.withheld))


def _collect_uses(content: "ContentSet", result: ImageSet) -> dict[str, list[_Use]]:
    """Every image of the published items, with where each file uses it;
    drafts' raster images go to ``result.withheld``."""
    from .content import iter_values_of_kind  # content.py imports this module

    root = content.declaration.root
    uses: dict[str, list[_Use]] = {}
    for item in content.items:
        ctype = content.declaration.types[item.type]
        here = [(image.src.path, _Use(item.source, path=path)) for path, image in iter_values_of_kind(ctype.fields, item.data, "image")]
        # resolve_repo_file needs only the folders of the context.
        ctx = FieldContext(root=root, file_dir=(root / item.source).parent, declaration=content.declaration, territories=None)  # type: ignore[arg-type]
        for found in find_body_images(item.body, item.body_line):
            if not is_local_src(found.src):
                continue
            try:
                ref = resolve_repo_file(unquote(found.src), ctx)
            except (FieldError, ValueError, OSError):
                continue  # reported by validation
            here.append((ref.path, _Use(item.source, line=found.line, column=found.column)))
            if not item.draft:
                result.body_paths[(item.source, found.src)] = ref.path
        if item.draft:
            result.withheld.update(path for path, _ in here if not path.lower().endswith(".svg"))
            continue
        for path, use in here:
            uses.setdefault(path, []).append(use)
    return uses


def _located(failures: dict[str, FieldError], uses: dict[str, list[_Use]], root: Path) -> list[Problem]:
    """One problem per use of each failed image, at the field or body line."""
    problems: list[Problem] = []
    entries: dict[str, RawEntry] = {}
    for repo_path, error in sorted(failures.items()):
        for use in uses[repo_path]:
            if use.path is None:
                line, column, path_text = use.line, use.column, BODY_PATH
            else:
                if use.source not in entries:  # positions are re-read only for files with a problem
                    entries[use.source] = read_entry(root / use.source, root)
                entry = entries[use.source]
                at = use.path + ("src",) if use.path + ("src",) in entry.positions else use.path
                (line, column), path_text = entry.position(at), format_path(at)
            problems.append(make_problem(error.code, file=use.source, line=line, column=column, path=path_text, **error.params))
    return problems
