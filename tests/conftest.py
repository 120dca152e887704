"""Shared fixtures: throw-away projects built from the shipped configuration.

``make_project(files)`` builds a project in a temporary folder: the shipped
``config/types.yml`` and ``config/vocabulaires.yml``, a minimal
``mkdocs.yml`` that enables the ``portail`` plugin, then the given files.
``validate(root, *paths)`` loads the project's declaration and runs the
validator on it, keeping the problems of ``paths`` (all of them if none).

The territory index is loaded once per process (``TerritoryIndex.load`` is
memoised) and handed to every validator.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Callable

import pytest
import yaml

from generators.content import ContentSet, Validator
from generators.declaration import load_declaration
from generators.territories import TerritoryIndex

REPO = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO / "config"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
FIXTURE_DIR = GOLDEN_DIR / "_fixture"

MKDOCS_YML = yaml.safe_dump(
    {
        "site_name": "Portail de test",
        "docs_dir": "content",
        "plugins": [{"portail": {"declaration": "config/types.yml"}}],
    },
    allow_unicode=True,
    sort_keys=False,
)


def tiny_jpeg() -> bytes:
    """A real, tiny JPEG image (a few hundred bytes)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (46, 125, 50)).save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


def build_project(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    """Write a project under ``root`` (created if needed) and return ``root``."""
    (root / "config").mkdir(parents=True, exist_ok=True)
    for name in ("types.yml", "vocabulaires.yml"):
        shutil.copyfile(CONFIG_DIR / name, root / "config" / name)
    (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    for rel, content in (files or {}).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_bytes(content.encode("utf-8"))
    return root


def fixture_files() -> dict[str, bytes]:
    """The shared golden fixture tree, as ``{relative path: bytes}``."""
    return {
        path.relative_to(FIXTURE_DIR).as_posix(): path.read_bytes()
        for path in sorted(FIXTURE_DIR.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="session")
def territories() -> TerritoryIndex:
    return TerritoryIndex.load()


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_project({"fiches/x.md": "---\\n...", ...}) -> root``."""
    counter = iter(range(1_000_000))

    def make(files: dict[str, str | bytes] | None = None) -> Path:
        root = tmp_path / f"projet-{next(counter)}"
        return build_project(root, files)

    return make


def run_validator(root: Path, *paths: Path | str, territories: TerritoryIndex | None = None) -> ContentSet:
    declaration = load_declaration(root / "config" / "types.yml", root)
    validator = Validator(declaration, territories or TerritoryIndex.load())
    wanted = [(root / p) if not Path(p).is_absolute() else Path(p) for p in paths]
    return validator.load(wanted or None)


@pytest.fixture
def validate(territories: TerritoryIndex) -> Callable[..., ContentSet]:
    """``validate(root, "fiches/x.md")`` -> ContentSet (paths relative to root or absolute)."""

    def run(root: Path, *paths: Path | str) -> ContentSet:
        return run_validator(root, *paths, territories=territories)

    return run
