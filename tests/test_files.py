"""Reading only regular files, and globbing that follows links to folders without looping."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from covgap.files import (
    FolderGuard,
    NotRegularFileError,
    glob_once,
    read_bytes,
    read_text,
    special_kind,
)

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


def link(target: str, path: Path) -> None:
    """A symbolic link at ``path`` to ``target`` (relative to the link's folder)."""
    try:
        path.symlink_to(target, target_is_directory=True)
    except OSError as exc:  # Windows without the privilege
        pytest.skip(f"cannot make a symbolic link here: {exc}")


def write(root: Path, *names: str) -> Path:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    return root


@needs_fifo
@pytest.mark.timeout(10)
def test_a_fifo_is_refused_unopened(tmp_path: Path) -> None:
    """A FIFO without a writer is refused at once (opening it would wait for a writer), with
    an OSError that says what it is, so that readers skipping unreadable files skip it."""
    os.mkfifo(tmp_path / "coverage.json")
    with pytest.raises(NotRegularFileError, match=r"not a regular file \(a FIFO\)") as raised:
        read_bytes(tmp_path / "coverage.json")
    assert isinstance(raised.value, OSError)
    assert raised.value.filename == str(tmp_path / "coverage.json")


def test_a_folder_raises_is_a_directory(tmp_path: Path) -> None:
    """A folder is the usual IsADirectoryError, as ``Path.read_bytes`` raises it on POSIX."""
    with pytest.raises(IsADirectoryError):
        read_bytes(tmp_path)


def test_regular_files_and_links_to_them_read_as_path_does(tmp_path: Path) -> None:
    """Bytes as written; text in UTF-8 with universal newlines, as ``Path.read_text``."""
    data = b"a\r\nb\rc\n\xc3\xa9"
    (tmp_path / "f.txt").write_bytes(data)
    (tmp_path / "l.txt").symlink_to(tmp_path / "f.txt")
    assert read_bytes(tmp_path / "l.txt") == data
    assert read_text(tmp_path / "f.txt") == (tmp_path / "f.txt").read_text(encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff")
    with pytest.raises(UnicodeDecodeError):
        read_text(tmp_path / "bad.txt")
    assert read_text(tmp_path / "bad.txt", errors="replace") == "\ufffd"


@needs_fifo
def test_special_kind(tmp_path: Path) -> None:
    """What a path is when reading it could block; None for files, folders, missing paths."""
    os.mkfifo(tmp_path / "pipe")
    write(tmp_path, "file.py")
    assert special_kind(tmp_path / "pipe") == "a FIFO"
    assert special_kind(tmp_path / "file.py") is None
    assert special_kind(tmp_path) is None
    assert special_kind(tmp_path / "missing") is None
    if Path("/dev/null").exists():
        assert special_kind("/dev/null") == "a character device"


def test_the_guard_refuses_an_ancestor_and_a_second_link(tmp_path: Path) -> None:
    """Entered folders are refused until left; a folder reached through a link only once."""
    write(tmp_path, "a/b/x")
    guard = FolderGuard()
    top = guard.enter(tmp_path, linked=False)
    assert top is not None
    assert guard.enter(tmp_path, linked=True) is None  # a link to an ancestor: a loop
    inner = guard.enter(tmp_path / "a", linked=True)
    assert inner is not None
    guard.leave(inner)
    assert guard.enter(tmp_path / "a", linked=True) is None  # that linked folder was walked
    assert guard.enter(tmp_path / "a", linked=False) is not None  # its own path, once more
    assert guard.enter(tmp_path / "missing", linked=False) is None


PATTERNS = [
    pytest.param("tests", id="literal"),
    pytest.param("**/tests", id="a folder at any depth"),
    pytest.param("**", id="everything"),
    pytest.param("**/", id="every folder"),
    pytest.param("tests/**", id="below a folder"),
    pytest.param("tests/**/", id="folders below a folder"),
    pytest.param("tests/**/test_*.py", id="files at any depth below"),
    pytest.param("*/**/tests", id="a wildcard before"),
    pytest.param("**/**/test_*.py", id="two in a row"),
    pytest.param("**/.hidden/**", id="a hidden folder named"),
    pytest.param("docs/linked/**", id="through a link"),
    pytest.param("nothing/**/x", id="no match"),
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_glob_once_finds_what_glob_finds(tmp_path: Path, pattern: str) -> None:
    """On a tree without loops, the paths ``glob.glob(recursive=True)`` finds (pytest globs
    testpaths with it)."""
    write(
        tmp_path,
        "tests/test_a.py",
        "tests/unit/deep/test_c.py",
        "tests/.hidden/tests/test_e.py",
        "pkg/tests/test_d.py",
        ".git/tests/x",
        "docs/index.md",
    )
    link("../pkg", tmp_path / "docs" / "linked")
    # pytest's own call, the reference here
    found = glob.glob(pattern, root_dir=tmp_path, recursive=True)  # noqa: PTH207
    assert {Path(p) for p in glob_once(tmp_path, pattern)} == {Path(p) for p in found}


@pytest.mark.timeout(10)
def test_glob_once_ends_on_links_to_an_ancestor(tmp_path: Path) -> None:
    """With two links to an ancestor, ``glob.glob("**/tests")`` would not end; each real folder
    is searched once."""
    write(tmp_path, "tests/test_a.py")
    link("..", tmp_path / "tests" / "self")
    link("..", tmp_path / "tests" / "self2")
    assert glob_once(tmp_path, "**/tests") == ["tests"]
    assert glob_once(tmp_path, "**/test_*.py") == [str(Path("tests", "test_a.py"))]
