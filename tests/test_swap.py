"""Publishing a finished build: ``emit.swap_folder`` puts the new tree in
place by renames and deletes the previous one without making the command
wait for it."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from generators.emit import FolderMaker, swap_folder, write_atomically


def _tree(root: Path, marker: str, files: int = 50) -> Path:
    for n in range(files):
        page = root / f"page-{n}" / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(f"{marker} {n}", encoding="utf-8")
    return root


def _aside(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f".{target.name}.old-*"))


def _gone(paths: list[Path], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(p.exists() for p in paths):
            return True
        time.sleep(0.05)
    return False


def test_the_new_tree_takes_the_place_of_the_old_one_which_is_deleted_after(tmp_path):
    target = _tree(tmp_path / "site", "ancien")
    staging = _tree(tmp_path / ".site-abc", "nouveau")
    swap_folder(staging, target)
    assert (target / "page-7" / "index.html").read_text(encoding="utf-8") == "nouveau 7"
    assert not staging.exists()
    aside = _aside(target)
    # The previous tree is renamed aside at once, then deleted by a detached process.
    assert _gone(aside), aside
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_waiting_deletes_the_old_tree_before_returning(tmp_path):
    target = _tree(tmp_path / "site", "ancien")
    swap_folder(_tree(tmp_path / ".site-abc", "nouveau"), target, wait=True)
    assert _aside(target) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_first_build_has_nothing_to_delete(tmp_path):
    target = tmp_path / "site"
    swap_folder(_tree(tmp_path / ".site-abc", "nouveau"), target)
    assert (target / "page-0" / "index.html").is_file()
    assert _aside(target) == []


def test_trees_left_aside_by_an_interrupted_deletion_go_with_the_next_swap(tmp_path):
    target = _tree(tmp_path / "site", "ancien")
    left = _tree(tmp_path / ".site.old-0badc0de", "interrompu")
    other = _tree(tmp_path / ".autre.old-0badc0de", "autre site")  # another target's: not ours to delete
    swap_folder(_tree(tmp_path / ".site-abc", "nouveau"), target, wait=True)
    assert not left.exists()
    assert (other / "page-0" / "index.html").read_text(encoding="utf-8") == "autre site 0"
    assert (target / "page-0" / "index.html").read_text(encoding="utf-8") == "nouveau 0"


def test_files_written_atomically_get_the_mode_of_a_plain_new_file(tmp_path):
    """Cache entries reach the site as hard links: they must not keep
    mkstemp's private mode (0600), which a web server could not read."""
    write_atomically(tmp_path / "entry.html", b"<p>page</p>")
    (tmp_path / "plain.html").write_bytes(b"<p>page</p>")
    assert (tmp_path / "entry.html").read_bytes() == b"<p>page</p>"
    assert _mode(tmp_path / "entry.html") == _mode(tmp_path / "plain.html")


def test_the_swapped_tree_gets_the_mode_of_a_plain_new_folder(tmp_path):
    (tmp_path / "plain").mkdir()
    staging = Path(tempfile.mkdtemp(dir=tmp_path))  # private, as the build's staging folder
    swap_folder(staging, tmp_path / "site")
    assert _mode(tmp_path / "site") == _mode(tmp_path / "plain")


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o7777


def test_the_folder_maker_makes_the_folders_and_their_parents_under_its_root(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    (root / "existe").mkdir()
    (root / "fichier").write_text("x", encoding="utf-8")
    maker = FolderMaker(root, [
        root / "fiches" / "a" / "b", root / "fiches" / "c", root / "existe", root,
        tmp_path / "ailleurs" / "x",  # outside the root: never made
        root / "fichier" / "dessous",  # a file where a folder would go: left to the writer, no error here
        root / "fichiers",  # after it: still made
    ])
    assert maker.count == 8  # fiches, fiches/a, fiches/a/b, fiches/c, existe, fichier, fichier/dessous, fichiers
    maker.wait()
    made = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir())
    assert made == ["existe", "fiches", "fiches/a", "fiches/a/b", "fiches/c", "fichiers"]
    assert not (tmp_path / "ailleurs").exists()
    maker.wait()  # twice is harmless


def test_a_stopped_folder_maker_is_waited_for_and_nothing_to_make_starts_nothing(tmp_path):
    maker = FolderMaker(tmp_path, [tmp_path / f"page-{n}" for n in range(2000)])
    maker.stop()
    assert maker._process is None
    empty = FolderMaker(tmp_path, [tmp_path, tmp_path.parent])
    assert empty.count == 0 and empty._process is None
