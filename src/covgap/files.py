"""The project's files opened only when they are regular files, and its folders walked once."""

from __future__ import annotations

import errno
import fnmatch
import glob
import os
import stat
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "FolderGuard",
    "NotRegularFileError",
    "entry_is_dir",
    "entry_is_file",
    "glob_once",
    "is_link",
    "open_regular",
    "read_bytes",
    "read_text",
    "special_kind",
]

#: What a file that is not a regular file is, in words, by ``stat.S_IFMT`` of its mode.
_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


class NotRegularFileError(OSError):
    """A path names a FIFO, a device or a socket: reading it could block forever or never end.

    An ``OSError``, so that every reader that already skips an unreadable file skips it too;
    its ``strerror`` is "not a regular file ({kind})"."""

    def __init__(self, path: str | os.PathLike[str], mode: int) -> None:
        kind = _KINDS.get(stat.S_IFMT(mode), "an unknown kind of file")
        super().__init__(errno.EINVAL, f"not a regular file ({kind})", os.fspath(path))


def _check(path: str | os.PathLike[str], mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(path, mode)


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """``path`` opened for reading in binary; ``NotRegularFileError`` for a FIFO, a device or a
    socket, ``IsADirectoryError`` for a folder, other ``OSError``\\ s as ``open`` raises them.

    The mode is looked up before opening (opening a FIFO waits for a writer, opening a device may
    act on it), then checked again on the open file, with ``O_NONBLOCK`` so that a FIFO put in the
    file's place in between cannot block either."""
    _check(path, Path(path).stat().st_mode)
    nonblocking = getattr(os, "O_NONBLOCK", 0)  # POSIX only; Windows has no FIFO files
    flags = os.O_RDONLY | nonblocking | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    descriptor = os.open(path, flags)
    try:
        _check(path, os.fstat(descriptor).st_mode)
        if nonblocking:
            os.set_blocking(descriptor, True)  # a regular file: reads as usual
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file (see ``open_regular``)."""
    with open_regular(path) as handle:
        return handle.read()


def read_text(path: str | os.PathLike[str], *, errors: str = "strict") -> str:
    """The text of a regular file in UTF-8, with universal newlines as ``Path.read_text``."""
    data = read_bytes(path).decode("utf-8", errors)
    return data.replace("\r\n", "\n").replace("\r", "\n")


def special_kind(path: str | os.PathLike[str]) -> str | None:
    """What ``path`` is in words when it is a FIFO, a device or a socket (following links);
    None for a file, a folder, or a path that cannot be looked up."""
    try:
        mode = Path(path).stat().st_mode
    except (OSError, ValueError):
        return None
    return _KINDS.get(stat.S_IFMT(mode))


#: A folder as the file system knows it: device and inode (or real path, without inodes).
_Identity = tuple[int, int | str]


class FolderGuard:
    """Which folders a walk that follows symbolic links enters, so that it ends: never a folder
    it is already inside (``tests/self -> ..`` is a loop), and a folder reached through a link
    only once however many links lead to it. A linked folder elsewhere in the project is still
    walked (once), as pytest collects it.

    Folders are known by ``(st_dev, st_ino)``, which names the real folder whatever the path."""

    def __init__(self) -> None:
        self._inside: set[_Identity] = set()
        self._linked: set[_Identity] = set()

    def enter(self, folder: str | os.PathLike[str], linked: bool) -> _Identity | None:
        """The folder's identity when the walk may enter it (call ``leave`` with it after);
        None when it must not: a loop, a linked folder already walked, or a folder that cannot
        be looked up. ``linked``: the path's last part is a symbolic link."""
        try:
            status = Path(folder).stat()
            # st_ino is 0 where the file system has no inode numbers (FAT on Windows)
            identity: _Identity = (status.st_dev, status.st_ino or str(Path(folder).resolve()))
        except (OSError, ValueError, RuntimeError):
            return None
        if identity in self._inside or (linked and identity in self._linked):
            return None
        if linked:
            self._linked.add(identity)
        self._inside.add(identity)
        return identity

    def leave(self, identity: _Identity) -> None:
        """The walk is done with the folder ``enter`` returned ``identity`` for."""
        self._inside.discard(identity)


def is_link(path: Path) -> bool:
    """Whether ``path`` is a symbolic link (False when it cannot be looked up)."""
    try:
        return path.is_symlink()
    except (OSError, ValueError):
        return False


def entry_is_dir(entry: os.DirEntry[str]) -> bool:
    """Whether a scanned entry is a folder, links followed (False when it cannot be told)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def entry_is_file(entry: os.DirEntry[str]) -> bool:
    """Whether a scanned entry is a file, links followed (False when it cannot be told)."""
    try:
        return entry.is_file()
    except OSError:
        return False


def glob_once(root: Path, pattern: str) -> list[str]:
    """``glob.glob(pattern, root_dir=root, recursive=True)``, except that a ``**`` follows a
    symbolic link to a folder once and never into a folder it is inside: with two links to an
    ancestor, ``glob.glob("**/tests")`` runs until the paths are too long for the system, which
    for two links is 2 to the power of dozens of folders.

    The paths found are the same for a tree without such links (a test compares them); the
    order is the walk's, sorted at each folder."""
    if "**" not in pattern:
        return glob.glob(pattern, root_dir=root, recursive=True)  # noqa: PTH207
    anchor = Path(pattern).anchor
    start = Path(anchor) if anchor else root
    parts = Path(pattern).parts[1 if anchor else 0 :]
    guards: dict[int, FolderGuard] = {}
    found: list[tuple[str, ...]] = []

    def names(folder: Path, part: str) -> list[str]:
        try:
            listed = sorted(child.name for child in folder.iterdir())
        except (OSError, ValueError):
            return []
        return listed if part.startswith(".") else [n for n in listed if not n.startswith(".")]

    def match(relative: tuple[str, ...], index: int) -> None:
        folder = start.joinpath(*relative)
        if index == len(parts):
            found.append(relative)
            return
        part, last = parts[index], index == len(parts) - 1
        if part == "**":
            guard = guards.setdefault(index, FolderGuard())
            identity = guard.enter(folder, is_link(folder))
            if identity is None:
                return
            try:
                if not last or relative:
                    match(relative, index + 1)  # no folder at all
                for name in names(folder, part):
                    if (folder / name).is_dir():
                        match((*relative, name), index)  # one folder more
                    elif last:
                        match((*relative, name), index + 1)
            finally:
                guard.leave(identity)
        elif glob.has_magic(part):
            for name in fnmatch.filter(names(folder, part), part):
                if last or (folder / name).is_dir():
                    match((*relative, name), index + 1)
        elif (folder / part).is_dir() or (last and _lexists(folder / part)):
            match((*relative, part), index + 1)

    match((), 0)
    if pattern.endswith(("/", os.sep)):  # folders only, as glob reads a trailing slash
        found = [path for path in found if start.joinpath(*path).is_dir()]
    return [str(Path(anchor, *path)) for path in found]


def _lexists(path: Path) -> bool:
    """Whether ``path`` exists, a broken symbolic link included (as ``glob`` counts it)."""
    try:
        path.lstat()
    except (OSError, ValueError):
        return False
    return True
