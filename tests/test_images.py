"""Images: checked while validating (headers), processed while building (full
decode, orientation, no metadata, variants, cache), rendered as <picture>.

Every image is generated here with Pillow: a phone photo with EXIF
orientation 6 and GPS tags, a PNG with transparency, headers of huge images,
a truncated JPEG, a text file named .jpg, SVGs with a script or an external
reference. Two builds of a copy of the demo site check the end result.
"""

from __future__ import annotations

import io
import os
import logging
import struct
import zlib
import re
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageDraw

from generators.build import BuildFailed, build_site
from generators.declaration import DeclarationError, load_declaration
from generators.images import PagePictures, prepare_images, variant_widths
from generators.markdown_images import find_body_images, fragment_to_element
from generators.project import find_project
from sitebuild import copy_sources

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 24)

RED, BLUE = (230, 20, 20), (30, 90, 200)


# -- images made here ----------------------------------------------------------


def phone_photo(size: tuple[int, int] = (2000, 1200), orientation: int = 6, seed: int = 0) -> bytes:
    """A JPEG as a phone writes it: stored sideways (EXIF orientation), with
    GPS position, camera make, a comment, XMP and an ICC profile. The stored
    top-left corner is red: orientation 6 turns it to the top-right."""
    image = Image.new("RGB", size, BLUE)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0] // 5, size[1] // 5), fill=RED)
    draw.line((0, size[1] - 1, size[0], seed % size[1]), fill=(250, 250, 250), width=9)
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "FabricantTelephone"
    exif[0x0110] = "ModeleSecret"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 7.0)})
    buffer = io.BytesIO()
    image.save(
        buffer, "JPEG", quality=90, exif=exif, comment=b"commentaire secret",
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">lieu secret</x:xmpmeta>',
    )
    return buffer.getvalue()


def plain_jpeg(size: tuple[int, int], colour: tuple[int, int, int] = BLUE) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def noisy_jpeg(size: tuple[int, int] = (800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def transparent_png(size: tuple[int, int] = (700, 500)) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((50, 50, size[0] - 50, size[1] - 50), fill=(30, 107, 52, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height``: enough for the header checks."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


SAFE_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 32"><circle cx="16" cy="16" r="14" fill="#1e6b34"/></svg>'
SCRIPT_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><script>alert(1)</script></svg>'
ONLOAD_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" viewBox="0 0 10 10"/>'
JAVASCRIPT_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="java\tscript:alert(1)"><rect width="5" height="5"/></a></svg>'
EXTERNAL_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="https://pistage.example.com/p.png" width="5" height="5"/></svg>'
PROTOCOL_RELATIVE_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><use href="//cdn.example.com/sprite.svg#a"/></svg>'
CSS_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><style>rect { fill: url(https://example.com/f.svg#g) }</style><rect width="5" height="5"/></svg>'
ENTITY_SVG = b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>'
BROKEN_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>'


def fiche(image: str | None = None, body: str = "Le texte de la fiche.", alt: str = "Une photo prise sur place", title: str = "Une fiche avec image") -> str:
    lines = ["---", f"titre: {title}", "resume: Un résumé court.", "territoires: [Somme]", "thematiques: [recyclage]"]
    if image:
        lines += ["image:", f"  src: {image}", f"  alt: {alt}"]
    return "\n".join(lines + ["---", "", body, ""])


def codes(content) -> list[tuple[str, int, str, str]]:
    return [(p.file, p.line, p.path, p.code) for p in content.problems]


# -- rules ---------------------------------------------------------------------------


def test_variant_widths_never_upscale():
    assert variant_widths(4032) == (480, 960, 1600)
    assert variant_widths(1600) == (480, 960)
    assert variant_widths(1200) == (480, 960)
    assert variant_widths(481) == (480,)
    assert variant_widths(480) == (480,)  # nothing below it: the source's own width
    assert variant_widths(300) == (300,)


# -- validation: headers only, every problem located in French ------------------------


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("texte.jpg", "ceci n'est pas une image\n".encode(), "not_an_image"),
        ("vide.png", b"", "not_an_image"),
        ("enorme.png", png_header(20_000, 20_000), "image_too_many_pixels"),  # beyond Pillow's own bomb limit
        ("grande.png", png_header(9_000, 6_000), "image_too_many_pixels"),  # beyond ours, below Pillow's
        ("script.svg", SCRIPT_SVG, "unsafe_svg"),
        ("onload.svg", ONLOAD_SVG, "unsafe_svg"),
        ("lien.svg", JAVASCRIPT_SVG, "unsafe_svg"),
        ("entites.svg", ENTITY_SVG, "unsafe_svg"),
        ("externe.svg", EXTERNAL_SVG, "svg_external_reference"),
        ("relatif.svg", PROTOCOL_RELATIVE_SVG, "svg_external_reference"),
        ("style.svg", CSS_SVG, "svg_external_reference"),
        ("casse.svg", BROKEN_SVG, "invalid_svg"),
    ],
)
def test_bad_front_matter_image_is_a_located_problem(make_project, validate, name, data, code):
    root = make_project({"fiches/f.md": fiche(f"images/{name}"), f"fiches/images/{name}": data})
    content = validate(root)
    assert codes(content) == [("fiches/f.md", 7, "image.src", code)], [p.format_text() for p in content.problems]
    problem = content.problems[0]
    assert f"fiches/images/{name}" in problem.message and problem.hint
    assert "Traceback" not in problem.message and "Error" not in problem.message


def test_pixel_limit_message_gives_the_size(make_project, validate):
    root = make_project({"fiches/f.md": fiche("images/grande.png"), "fiches/images/grande.png": png_header(9_000, 6_000)})
    message = validate(root).problems[0].message
    assert "×" in message and "pixels" in message and "50 millions de pixels au plus" in message


def set_image_limits(root, text: str) -> None:
    """Set the declaration's « images: » block (the limits are configuration)."""
    types = root / "config" / "types.yml"
    declaration = re.sub(r"\nimages:\n(  .*\n)*", "\n", types.read_text(encoding="utf-8"))
    types.write_text(declaration.replace("vocabulaires: vocabulaires.yml\n", f"vocabulaires: vocabulaires.yml\n{text}", 1), encoding="utf-8")


def test_byte_limit_comes_from_the_declaration(make_project, validate):
    root = make_project({"fiches/f.md": fiche("images/photo.jpg"), "fiches/images/photo.jpg": noisy_jpeg((200, 200))})
    assert not validate(root).problems  # the default limit: 25 Mo
    set_image_limits(root, "images:\n  poids_max_mo: 0,002\n")
    content = validate(root)
    assert codes(content) == [("fiches/f.md", 7, "image.src", "image_too_heavy")]
    assert "2 ko" in content.problems[0].message


def test_pixel_limit_comes_from_the_declaration(make_project, validate):
    root = make_project({"fiches/f.md": fiche("images/photo.png"), "fiches/images/photo.png": png_header(3_000, 2_000)})
    assert not [p for p in validate(root).problems if p.code == "image_too_many_pixels"]
    set_image_limits(root, "images:\n  megapixels_max: 5\n")
    assert [p.code for p in validate(root).problems if p.code.startswith("image_")] == ["image_too_many_pixels"]


def test_bad_image_limits_are_located_declaration_errors(make_project):
    root = make_project({})
    set_image_limits(root, "images:\n  poids_max_mo: beaucoup\n  largeur: 3\n")
    with pytest.raises(DeclarationError) as caught:
        load_declaration(root / "config" / "types.yml", root)
    messages = [(p.path, p.message) for p in caught.value.problems]
    assert any(path == "images.poids_max_mo" and "nombre positif" in message for path, message in messages), messages
    assert any(path == "images.largeur" and "option inconnue" in message for path, message in messages), messages


def test_good_images_pass_validation(make_project, validate):
    root = make_project(
        {
            "fiches/a.md": fiche("images/photo.jpg"),
            "fiches/b.md": fiche("images/logo.png", title="Deux"),
            "fiches/c.md": fiche("images/logo.svg", title="Trois"),
            "fiches/images/photo.jpg": phone_photo(),
            "fiches/images/logo.png": transparent_png(),
            "fiches/images/logo.svg": SAFE_SVG,
        }
    )
    assert validate(root).problems == []


def test_truncated_jpeg_fails_validation_as_it_fails_the_build(make_project, validate, tmp_path):
    """A JPEG cut in its scans has no end marker: validation decodes it, as
    the build does, and both refuse it with the same located problem."""
    data = noisy_jpeg()
    root = make_project({"fiches/f.md": fiche("images/coupee.jpg"), "fiches/images/coupee.jpg": data[: len(data) // 2]})
    content = validate(root)
    assert codes(content) == [("fiches/f.md", 7, "image.src", "corrupt_image")]
    assert content.problems[0].message == "l'image « fiches/images/coupee.jpg » est tronquée ou abîmée"
    result = prepare_images(content, docs_dir=root / "content", cache_dir=tmp_path / "cache", workers=1)
    assert [(p.file, p.line, p.path, p.code) for p in result.problems] == [("fiches/f.md", 7, "image.src", "corrupt_image")]
    assert "fiches/images/coupee.jpg" not in result.images


def _saved(image: Image.Image, kind: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("kind", "suffix", "options"),
    [("JPEG", "jpg", {"progressive": True}), ("GIF", "gif", {}), ("BMP", "bmp", {}), ("TIFF", "tif", {})],
)
def test_truncated_images_of_formats_verify_does_not_read_fail_validation(make_project, validate, kind, suffix, options):
    data = _saved(Image.effect_noise((300, 200), 60).convert("RGB"), kind, **options)
    root = make_project({"fiches/f.md": fiche(f"images/coupee.{suffix}"), f"fiches/images/coupee.{suffix}": data[: len(data) * 9 // 10]})
    assert codes(validate(root)) == [("fiches/f.md", 7, "image.src", "corrupt_image")]


def test_bytes_after_a_jpeg_end_marker_are_accepted_after_a_full_decode(make_project, validate, tmp_path):
    """Some cameras and editors append data after the end marker: the tail
    check then fails, and the full decode, which the build also makes, passes."""
    data = noisy_jpeg() + b"\x00" * 16 + b"TRAILER"
    root = make_project({"fiches/f.md": fiche("images/suite.jpg"), "fiches/images/suite.jpg": data})
    content = validate(root)
    assert content.problems == []
    result = prepare_images(content, docs_dir=root / "content", cache_dir=tmp_path / "cache", workers=1)
    assert result.problems == [] and "fiches/images/suite.jpg" in result.images


def test_truncated_png_fails_validation(make_project, validate):
    buffer = io.BytesIO()
    Image.effect_noise((300, 300), 50).save(buffer, "PNG")
    data = buffer.getvalue()
    root = make_project({"fiches/f.md": fiche("images/coupee.png"), "fiches/images/coupee.png": data[: len(data) - 200]})
    assert [p.code for p in validate(root).problems] == ["corrupt_image"]


BODY = """Premier paragraphe.

![Un établi de réparation](images/etabli.png)

```
![exemple dans du code](absente.png)
```

![](images/etabli.png)

Une image décorative : ![](images/etabli.png){: .decoratif }

![Introuvable](images/absente.jpg)

![Un texte](images/texte.jpg)

![Sur le web](https://exemple.fr/photo.jpg)
"""


def test_body_images_are_checked_with_their_line(make_project, validate):
    root = make_project(
        {
            "fiches/f.md": fiche(body=BODY),
            "fiches/images/etabli.png": transparent_png(),
            "fiches/images/texte.jpg": b"pas une image",
        }
    )
    content = validate(root)
    body_start = 8  # the body's first line in the file
    assert codes(content) == [
        ("fiches/f.md", body_start + 8, "corps", "missing_body_alt"),
        ("fiches/f.md", body_start + 12, "corps", "missing_file"),
        ("fiches/f.md", body_start + 14, "corps", "not_an_image"),
    ], [p.format_text() for p in content.problems]
    missing_alt = content.problems[0]
    assert missing_alt.column == 1 and "![description](images/etabli.png)" in missing_alt.hint and "{: .decoratif }" in missing_alt.hint


def test_find_body_images():
    found = find_body_images("Texte\n\nAvant ![Un chat](<mon chat.jpg>) après\n\n![ref][r]\n\n[r]: images/b.png\n", first_line=10)
    assert [(f.src, f.alt, f.line, f.column) for f in found] == [("mon chat.jpg", "Un chat", 12, 7), ("images/b.png", "ref", 16, 6)]
    assert find_body_images("    ![code](x.png)\n") == []
    assert find_body_images("pas d'image") == []


# -- processing ------------------------------------------------------------------------


@pytest.fixture
def photo_project(make_project, validate):
    """Three published images (phone photo, transparent PNG, small JPEG) and a draft's."""

    def make(extra: dict | None = None):
        files = {
            "fiches/photo.md": fiche("images/photo.jpg", title="Photo"),
            "fiches/logo.md": fiche("images/logo.png", title="Logo"),
            "fiches/petite.md": fiche("images/petite.jpg", title="Petite"),
            "fiches/brouillon.md": fiche("images/brouillon.jpg", title="Brouillon").replace("---\n\n", "brouillon: oui\n---\n\n", 1),
            "fiches/images/photo.jpg": phone_photo(),
            "fiches/images/logo.png": transparent_png(),
            "fiches/images/petite.jpg": plain_jpeg((300, 200)),
            "fiches/images/brouillon.jpg": plain_jpeg((900, 600)),
            **(extra or {}),
        }
        root = make_project(files)
        content = validate(root)
        assert content.problems == []
        return root, content

    return make


def _variants(result, source: str) -> dict[str, Path]:
    return {uri: path for uri, path in result.published_files() if f"/{Path(source).stem}-" in uri}


def test_phone_photo_is_turned_upright_and_stripped(photo_project, tmp_path):
    root, content = photo_project()
    result = prepare_images(content, docs_dir=root / "content", cache_dir=tmp_path / "cache")
    assert result.problems == []
    processed = result.images["fiches/images/photo.jpg"]
    assert (processed.width, processed.height, processed.fallback) == (1200, 2000, "jpeg")  # 2000 × 1200 stored sideways
    assert processed.widths == (480, 960) and processed.thumbnail == 320
    files = _variants(result, "photo.jpg")
    assert sorted(files) == sorted(
        f"images/photo-{processed.key[:12]}-{w}.{ext}" for w in (320, 480, 960) for ext in ("webp", "jpg")
    )
    for uri, path in files.items():
        data = path.read_bytes()
        with Image.open(path) as image:
            width = int(uri.rsplit("-", 1)[1].split(".")[0])
            assert image.size == (width, round(2000 * width / 1200)), uri
            assert not image.getexif(), uri
            assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"} & set(image.info), (uri, image.info.keys())
            rgb = image.convert("RGB")
            # the stored top-left (red) is now top-right; the stored bottom-right, bottom-left
            assert _near(rgb.getpixel((width - 5, 5)), RED) and _near(rgb.getpixel((5, image.height - 5)), BLUE), uri
        for secret in (b"Exif", b"FabricantTelephone", b"ModeleSecret", b"commentaire secret", b"lieu secret", b"ICC_PROFILE", b"ICCP", b"XMP "):
            assert secret not in data, (uri, secret)


def _near(colour, expected, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected))


def test_transparent_png_keeps_alpha_with_a_png_fallback(photo_project, tmp_path):
    root, content = photo_project()
    result = prepare_images(content, docs_dir=root / "content", cache_dir=tmp_path / "cache")
    processed = result.images["fiches/images/logo.png"]
    assert processed.fallback == "png" and processed.widths == (480,)
    for uri, path in _variants(result, "logo.png").items():
        with Image.open(path) as image:
            assert image.mode == "RGBA", uri
            assert image.getchannel("A").getextrema() == (0, 255), uri
            assert image.format == ("WEBP" if uri.endswith(".webp") else "PNG")


def test_small_image_is_never_upscaled_and_drafts_are_left_out(photo_project, tmp_path):
    root, content = photo_project()
    result = prepare_images(content, docs_dir=root / "content", cache_dir=tmp_path / "cache")
    small = result.images["fiches/images/petite.jpg"]
    assert small.widths == (300,) and small.thumbnail == 300
    for path in _variants(result, "petite.jpg").values():
        with Image.open(path) as image:
            assert image.size == (300, 200)
    assert "fiches/images/brouillon.jpg" not in result.images
    assert result.replaced_sources() == {
        "fiches/images/photo.jpg", "fiches/images/logo.png", "fiches/images/petite.jpg",
        "fiches/images/brouillon.jpg",  # not processed, but never published as it is either
    }


def test_full_size_variants(make_project, validate, tmp_path):
    root = make_project({"fiches/f.md": fiche("images/grande.jpg"), "fiches/images/grande.jpg": phone_photo((4032, 3024), orientation=1)})
    result = prepare_images(validate(root), docs_dir=root / "content", cache_dir=tmp_path / "cache")
    processed = result.images["fiches/images/grande.jpg"]
    assert processed.widths == (480, 960, 1600)
    sizes = {}
    for uri, path in _variants(result, "grande.jpg").items():
        with Image.open(path) as image:
            sizes[uri.rsplit("-", 1)[1]] = image.size
    assert sizes == {
        "320.webp": (320, 240), "320.jpg": (320, 240), "480.webp": (480, 360), "480.jpg": (480, 360),
        "960.webp": (960, 720), "960.jpg": (960, 720), "1600.webp": (1600, 1200), "1600.jpg": (1600, 1200),
    }


def test_cache_hit_then_changed_image_processed_again(photo_project, tmp_path):
    root, content = photo_project()
    cache = tmp_path / "cache"
    first = prepare_images(content, docs_dir=root / "content", cache_dir=cache, workers=2)
    assert (first.processed, first.reused) == (3, 0)
    second = prepare_images(content, docs_dir=root / "content", cache_dir=cache, workers=2)
    assert (second.processed, second.reused) == (0, 3)
    assert second.published_files() == first.published_files()
    (root / "fiches/images/petite.jpg").write_bytes(plain_jpeg((300, 200), RED))
    third = prepare_images(content, docs_dir=root / "content", cache_dir=cache, workers=2)
    assert (third.processed, third.reused) == (1, 2)
    assert third.images["fiches/images/petite.jpg"].key != first.images["fiches/images/petite.jpg"].key


def test_prune_keeps_what_the_build_used_and_nothing_else(photo_project, validate, tmp_path):
    """A cache kept from build to build (CI) stays the size of the site:
    replaced images and cards whose text changed are removed, the rest stays
    and is reused; files being written (dotted names) are not touched."""
    from generators.cards import social_cards

    root, content = photo_project()
    cache = tmp_path / "cache"
    first = prepare_images(content, docs_dir=root / "content", cache_dir=cache, cards=social_cards(content, "Réseau"))
    assert first.prune_cache() == 0
    (root / "fiches/images/petite.jpg").write_bytes(plain_jpeg((300, 200), RED))
    (cache / ".en-cours-0123").mkdir()
    logo = root / "fiches/logo.md"
    logo.write_text(logo.read_text(encoding="utf-8").replace("Logo", "Logo renommé", 1), encoding="utf-8")
    renamed = validate(root)
    assert renamed.problems == []
    second = prepare_images(renamed, docs_dir=root / "content", cache_dir=cache, cards=social_cards(renamed, "Réseau"))
    assert second.processed == 1 and second.drawn == 1
    old_image = cache / first.images["fiches/images/petite.jpg"].key
    old_card = first.cards[("fiche", "logo")].path
    assert old_image.is_dir() and old_card.is_file()
    assert second.prune_cache() == 2
    assert not old_image.exists() and not old_card.exists()
    assert (cache / ".en-cours-0123").is_dir() and (cache / "sources.json").is_file()
    for _, path in second.published_files():
        assert path.is_file(), path
    third = prepare_images(renamed, docs_dir=root / "content", cache_dir=cache, cards=social_cards(renamed, "Réseau"))
    assert (third.processed, third.drawn) == (0, 0)
    assert third.prune_cache() == 0


def test_output_is_deterministic(photo_project, tmp_path):
    """Same input, same bytes: in one process or on two cores, in any cache."""
    root, content = photo_project()
    one = prepare_images(content, docs_dir=root / "content", cache_dir=tmp_path / "un", workers=1)
    two = prepare_images(content, docs_dir=root / "content", cache_dir=tmp_path / "deux", workers=2)
    assert [uri for uri, _ in one.published_files()] == [uri for uri, _ in two.published_files()]
    for (uri, a), (_, b) in zip(one.published_files(), two.published_files()):
        assert a.read_bytes() == b.read_bytes(), uri


def test_pictures_for_a_page(photo_project, tmp_path):
    root, content = photo_project()
    result = prepare_images(content, docs_dir=root / "content", cache_dir=tmp_path / "cache")
    item = next(i for i in content.items if i.slug == "photo")
    pictures = result.for_page("fiches/photo.md", "fiches/photo/", item)
    assert isinstance(pictures, PagePictures) and pictures.has_main_image
    main = pictures.picture(item.data["image"], eager=True)
    key = result.images["fiches/images/photo.jpg"].key[:12]
    assert main.src == f"../../images/photo-{key}-960.jpg"
    assert main.srcset == f"../../images/photo-{key}-480.jpg 480w, ../../images/photo-{key}-960.jpg 960w"
    assert main.sources[0].type == "image/webp" and main.sources[0].srcset.endswith("-960.webp 960w")
    assert (main.width, main.height, main.lazy, main.alt) == (960, 1600, False, "Une photo prise sur place")
    thumbnail = pictures.thumbnail(item.data["image"])
    assert (thumbnail.src, thumbnail.srcset, thumbnail.sizes, thumbnail.lazy) == (f"../../images/photo-{key}-320.jpg", "", "", True)
    assert thumbnail.sources[0].srcset == f"../../images/photo-{key}-320.webp"


def test_fragment_to_element():
    element = fragment_to_element('\n<picture><source type="image/webp" srcset="a.webp"><img src="a.jpg" alt="Un &quot;chat&quot;" decoding="async">\n</picture>\n')
    assert element.tag == "picture" and [child.tag for child in element] == ["source", "img"]
    assert element[1].get("alt") == 'Un "chat"'


# -- builds ------------------------------------------------------------------------------


def _copy_demo(root: Path, extra: dict[str, str | bytes]) -> Path:
    copy_sources(root)
    for rel, data in extra.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return root


def _build(root: Path) -> Path:
    logger = logging.getLogger("mkdocs")
    handlers, level = logger.handlers[:], logger.level
    try:
        return build_site(find_project(config=root / "mkdocs.yml"), today=TODAY)
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)


BUILD_BODY = """Le texte commence ici.

![Un établi de réparation avec des outils](images/etabli.png)

Une frise : ![](images/frise.jpg){: .decoratif }
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = _copy_demo(
        tmp_path_factory.mktemp("images-site"),
        {
            "fiches/atelier-photo.md": fiche("images/atelier-photo.jpg", body=BUILD_BODY, title="Un atelier en photo"),
            "fiches/images/atelier-photo.jpg": phone_photo((2400, 1600)),
            "fiches/images/etabli.png": transparent_png((1100, 700)),
            "fiches/images/frise.jpg": plain_jpeg((1000, 100)),
        },
    )
    return root, _build(root)


def test_item_page_has_pictures(built):
    root, site = built
    html = (site / "fiches/atelier-photo/index.html").read_text(encoding="utf-8")
    pictures = html.split("<picture>")[1:]
    assert len(pictures) == 3, html.count("<picture>")
    main, body, decorative = (p.split("</picture>")[0] for p in pictures)
    assert '<source type="image/webp" srcset="../../images/atelier-photo-' in main and "1600w" not in main
    assert 'width="960" height="1440"' in main and 'alt="Une photo prise sur place"' in main
    assert 'loading="lazy"' not in main and 'decoding="async"' in main  # first image: above the fold
    assert 'alt="Un établi de réparation avec des outils"' in body and 'loading="lazy"' in body
    assert "etabli-" in body and ".png" in body and 'sizes="(min-width: 76.25em) 46rem, 100vw"' in body
    assert 'alt=""' in decorative and 'class="decoratif"' in decorative
    for attribute in ("src", "srcset"):
        for part in html.split(f' {attribute}="')[1:]:
            for candidate in part.split('"')[0].split(","):
                url = candidate.split()[0]
                if url.startswith("../../images/"):
                    assert (site / "fiches/atelier-photo" / url).resolve().is_file(), url


def test_originals_are_not_published(built):
    _, site = built
    assert not (site / "fiches/images").exists()
    published = sorted((site / "images").glob("atelier-photo-*"))
    assert len(published) == 6  # 320, 480, 960 in WebP and JPEG
    for path in published:
        assert b"FabricantTelephone" not in path.read_bytes() and b"Exif" not in path.read_bytes()


def test_listing_card_thumbnail(built):
    _, site = built
    html = (site / "fiches/index.html").read_text(encoding="utf-8")
    card = html.split('href="atelier-photo/"')[1].split("</li>")[0]
    assert '<div class="portail-image portail-card__thumbnail"><picture>' in card
    assert "-320.webp" in card and 'width="320" height="480"' in card and 'loading="lazy"' in card


def test_social_card_of_the_item(built):
    _, site = built
    html = (site / "fiches/atelier-photo/index.html").read_text(encoding="utf-8")
    url = "https://reseau-economie-circulaire.example.org/fiches/atelier-photo/partage.png"
    assert f'<meta property="og:image" content="{url}">' in html
    assert f'<meta name="twitter:image" content="{url}">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    with Image.open(site / "fiches/atelier-photo/partage.png") as card:
        assert card.size == (1200, 630)


def test_cached_files_are_linked_and_editor_files_never_are(built):
    """Variants and cards come from .cache/images by hard links (emit.place_cached);
    no published file shares its inode with an editor's file."""
    root, site = built
    cache = root / ".cache" / "images"
    cached = {p.stat().st_ino for p in cache.rglob("*") if p.is_file()}
    variants = sorted((site / "images").glob("atelier-photo-*"))
    assert variants and all(p.stat().st_ino in cached for p in variants)
    assert (site / "fiches/atelier-photo/partage.png").stat().st_ino in cached
    editors = {p.stat().st_ino for p in root.rglob("*") if p.is_file() and not {".cache", "site"} & set(p.relative_to(root).parts)}
    shared = [p for p in site.rglob("*") if p.is_file() and p.stat().st_ino in editors]
    assert shared == []
    assert (site / "medias" / "guide-ess-economie-circulaire-collectivites.pdf").is_file()


def test_the_pages_artifact_holds_no_link(built, tmp_path):
    """GitHub Pages refuses links. Each variant or card is linked once into
    the site (its other name is in .cache, outside the archive); two items
    with identical cards would share one file at two site paths, which a
    plain tar stores as a link. actions/upload-pages-artifact (publish.yml)
    archives with GNU tar's --dereference --hard-dereference: run as it does,
    the archive holds only plain files."""
    import subprocess
    import tarfile

    _, site = built
    card = site / "fiches/atelier-photo/partage.png"
    twin = site / "fiches/atelier-photo/partage-jumelle.png"
    os.link(card, twin)  # what two identical cards give
    try:
        links = {}
        for name, extra in {"plain": [], "action": ["--dereference", "--hard-dereference"]}.items():
            archive = tmp_path / f"{name}.tar"
            subprocess.run(["tar", *extra, "--directory", str(site), "-cf", str(archive), "--exclude=.git", "--exclude=.github", "."], check=True)
            with tarfile.open(archive) as tar:
                links[name] = sorted(m.name for m in tar.getmembers() if m.islnk() or m.issym())
                if name == "action":
                    assert tar.extractfile("./fiches/atelier-photo/partage-jumelle.png").read() == card.read_bytes()
    finally:
        twin.unlink()
    assert len(links["plain"]) == 1  # the twin, and nothing else
    assert links["action"] == []


def test_placing_a_cached_file_never_writes_through_an_old_link(tmp_path, monkeypatch):
    from generators.emit import place_cached

    old, new, target = tmp_path / "ancienne.png", tmp_path / "nouvelle.png", tmp_path / "site.png"
    old.write_bytes(b"ancienne")
    new.write_bytes(b"nouvelle")
    place_cached(old, target)
    assert target.stat().st_ino == old.stat().st_ino
    place_cached(new, target)  # the same site path, another entry: the old one is untouched
    assert (old.read_bytes(), target.read_bytes()) == (b"ancienne", b"nouvelle")
    assert target.stat().st_ino == new.stat().st_ino
    with pytest.raises(FileNotFoundError):  # the caller makes the folder (plugin._CachedFile), once per folder
        place_cached(old, tmp_path / "absent" / "site.png")

    def no_links(*_):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr("generators.emit.os.link", no_links)
    place_cached(old, target)  # another file system: a copy
    assert target.read_bytes() == b"ancienne" and target.stat().st_ino != old.stat().st_ino


def test_rebuild_uses_the_cache(built, caplog):
    root, _ = built
    with caplog.at_level(logging.INFO, logger="mkdocs"):
        _build(root)
    lines = [r.getMessage() for r in caplog.records if "images :" in r.getMessage()]
    assert lines and "0 traitée(s), 0 carte(s) de partage dessinée(s)" in lines[-1], lines


def test_bad_image_stops_the_build(tmp_path, caplog):
    data = noisy_jpeg()
    root = _copy_demo(
        tmp_path / "projet",
        {"fiches/coupee.md": fiche("images/coupee.jpg", title="Coupée"), "fiches/images/coupee.jpg": data[: len(data) // 2]},
    )
    with caplog.at_level(logging.ERROR, logger="mkdocs"), pytest.raises(BuildFailed):
        _build(root)
    assert not (root / "site").exists()
    messages = [r.getMessage() for r in caplog.records]
    assert any(
        "fiches/coupee.md:7:3: image.src: l'image « fiches/images/coupee.jpg » est tronquée ou abîmée [corrupt_image]" in m
        for m in messages
    ), messages
