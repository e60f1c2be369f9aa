"""The watch folder's files: which are ready to read, and moving exactly the one that was read.

A file is ready when it is a regular file inside the folder (symlinks, and
``done/``, ``failed/``, hidden and ``~$`` office lock files are never looked at)
and neither its content nor its metadata changed for ``settle_seconds``: its
mtime *and* ctime are that old.  The ctime matters because copy tools set the
mtime back to the original's, while every write still moves the ctime.

``Snapshot`` is what a file was (device, inode, size, times in ns): taken before a
read and again after it, it tells whether the file changed while it was read;
``move_read_file`` moves a file only while the path still holds that same inode.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
WATCH_MOVED_SECONDS = 3600.0  # a file moved to done/ is watched this long for late rows
SUFFIXES = (".ndjson", ".jsonl", ".json", ".csv", ".xlsx")
SKIP_DIRS = ("done", "failed")
REPORT_SUFFIX = ".report.txt"


@dataclass(frozen=True)
class Snapshot:
    path: Path
    dev: int
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, path: Path) -> Snapshot:
        st = os.lstat(path)
        return cls(Path(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def same_file(self, other: Snapshot) -> bool:
        return (self.dev, self.ino) == (other.dev, other.ino)

    def quiet_for(self, now: float) -> float:
        """Seconds since the last change of content or metadata."""
        return now - max(self.mtime_ns, self.ctime_ns) / 1e9


def waiting_files(folder: Path, *, settle_seconds: float, now: float | None = None
                  ) -> tuple[list[Snapshot], list[Snapshot]]:
    """(files ready to read, oldest first; files still changing or too fresh)."""
    now = time.time() if now is None else now
    ready: list[Snapshot] = []
    settling: list[Snapshot] = []
    for snap in _scan(Path(folder)):
        (ready if snap.quiet_for(now) >= settle_seconds else settling).append(snap)
    ready.sort(key=lambda s: (s.mtime_ns, str(s.path)))
    return ready, settling


def _scan(folder: Path) -> list[Snapshot]:
    try:
        root = Path(os.path.realpath(folder))
        if not root.is_dir():
            return []
    except OSError:
        return []
    found: list[Snapshot] = []
    stack = [root]
    while stack:
        here = stack.pop()
        try:
            entries = list(os.scandir(here))
        except OSError as e:  # an unreadable subfolder is logged, never a stop
            log.warning("cannot list %s: %s", here, e.strerror)
            continue
        for entry in entries:
            if entry.name.startswith((".", "~$")) or entry.is_symlink():
                continue  # a link may point anywhere, also out of the folder: never followed
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIP_DIRS:
                    stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False) and _wanted(entry.name):
                snap = _snapshot(Path(entry.path))
                if snap is not None and snap.size > 0:
                    found.append(snap)
    return found


def _wanted(name: str) -> bool:
    return name.lower().endswith(SUFFIXES)


def _snapshot(path: Path) -> Snapshot | None:
    try:
        return Snapshot.of(path)
    except OSError:  # gone meanwhile
        return None


def move_read_file(read: Snapshot, to: str) -> Path | None:
    """Move the file that was read into ``<its folder>/<to>/``; None when it is not there.

    Never overwrites (``name-1.csv``, ...).  The move is checked by inode: a file put
    in its place between the last look and the move (``os.replace``) is moved back,
    to be read in its turn.
    """
    path = read.path
    try:
        if not read.same_file(Snapshot.of(path)):
            return None
    except FileNotFoundError:
        return None
    target_dir = path.parent / to
    target_dir.mkdir(exist_ok=True)
    target = free_name(target_dir, path.name)
    try:
        os.rename(path, target)
    except OSError as e:
        if e.errno != errno.EXDEV:
            raise
        shutil.move(str(path), str(target))  # done/ on another file system: copied
        return target
    if not read.same_file(Snapshot.of(target)):
        _put_back(target, path)
        return None
    log.info("moved %s to %s", path, target)
    remember_moved(target, path)
    return target


def _put_back(moved: Path, path: Path) -> None:
    try:
        os.link(moved, path)  # fails if yet another file appeared there: keep both then
        os.unlink(moved)
    except OSError:
        log.warning("%s was replaced while it was moved; the new one is in %s", path, moved)


def free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``stem-1.ext``, ``stem-2.ext``, ... when taken."""
    plain = Path(name)
    target, n = folder / name, 1
    while target.exists() or report_path(target).exists():  # nor another file's old report
        target = folder / f"{plain.stem}-{n}{plain.suffix}"
        n += 1
    return target


def report_path(path: Path) -> Path:
    return path.with_name(path.name + REPORT_SUFFIX)


# done/ path -> (what it was right after the move, where it came from, when): a writer
# that paused longer than settle_seconds and then goes on writing its (moved) file.
_moved: dict[Path, tuple[Snapshot, Path, float]] = {}


def remember_moved(target: Path, origin: Path) -> None:
    try:
        _moved[target] = (Snapshot.of(target), origin, time.monotonic())
    except OSError:
        pass


def return_grown_files() -> list[Path]:
    """Files moved to done/ that changed since (rows added late): back in the inbox, to be
    read again whole once they settle.  Returns where they are now."""
    returned = []
    for target, (after, origin, when) in list(_moved.items()):
        try:
            now = Snapshot.of(target)
        except OSError:
            now = None
        if now is None or time.monotonic() - when > WATCH_MOVED_SECONDS:
            _moved.pop(target, None)
            continue
        if now == after:
            continue
        back = free_name(origin.parent, origin.name) if origin.exists() else origin
        os.rename(target, back)
        report_path(target).unlink(missing_ok=True)
        _moved.pop(target, None)
        log.warning("%s changed after it was read (a writer still had it open): moved back "
                    "to %s, to be read again", target, back)
        returned.append(back)
    return returned
