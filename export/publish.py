"""Atomic publishing of a built directory tree.

A build is written into a fresh sibling folder (``.NAME.builds/b-...``); files
whose bytes did not change are hard-linked from the current build (same inode,
same mtime).  Publishing swaps the symlink ``NAME`` to the new build with one
``os.replace``, so a reader sees the old site or the new one, never a mix.  A
build where nothing changed is thrown away and ``NAME`` is left untouched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)
MANIFEST = ".manifest.json"


@dataclass
class PublishResult:
    path: Path
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    published: bool = False
    files: int = field(default=0)


class Publisher:
    def __init__(self, target: Path) -> None:
        self.target = Path(target).absolute()
        self.builds = self.target.parent / f".{self.target.name}.builds"
        self.builds.mkdir(parents=True, exist_ok=True)
        self.current = self.target.resolve() if self.target.exists() else None
        self.previous = _read_manifest(self.current) if self.current else {}
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        self.build = self.builds / f"b-{stamp}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        self.build.mkdir()
        self.manifest: dict[str, str] = {}
        self.result = PublishResult(path=self.target)
        self._made: set[Path] = {self.build}
        self._unchanged: list[str] = []

    def write(self, rel: str, data: bytes) -> None:
        digest = hashlib.sha256(data).hexdigest()
        self.manifest[rel] = digest
        if self.current is not None and self.previous.get(rel) == digest:
            self._unchanged.append(rel)  # linked at commit, and only if anything changed
            self.result.unchanged += 1
            return
        self._write(rel, data)

    def copy(self, rel: str, identity: str, chunks: Callable[[], Iterable[bytes]]) -> None:
        """Stream a file in by ``identity`` (an archive key: the same key, the same bytes),
        so a file already published is linked, never read again."""
        if rel in self.manifest:
            return
        digest = f"copy:{identity}"
        self.manifest[rel] = digest
        if self.current is not None and self.previous.get(rel) == digest:
            self._unchanged.append(rel)
            self.result.unchanged += 1
            return
        dest = self._dest(rel)
        try:
            with open(dest, "wb") as out:
                for chunk in chunks():
                    out.write(chunk)
        except BaseException:
            dest.unlink(missing_ok=True)
            del self.manifest[rel]
            raise
        self.result.written += 1

    def _dest(self, rel: str) -> Path:
        dest = self.build / rel
        if dest.parent not in self._made:
            dest.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(dest.parent)
        return dest

    def _write(self, rel: str, data: bytes) -> None:
        _write_file(str(self._dest(rel)), data)
        self.result.written += 1

    def _link_unchanged(self) -> None:
        assert self.current is not None
        for rel in self._unchanged:
            dest = self._dest(rel)
            try:
                os.link(self.current / rel, dest)
            except OSError:  # links unsupported or the old file is gone: copy it
                shutil.copy2(self.current / rel, dest)

    def commit(self) -> PublishResult:
        result = self.result
        result.files = len(self.manifest)
        result.removed = len(set(self.previous) - set(self.manifest))
        if self.current is not None and not result.written and not result.removed:
            shutil.rmtree(self.build)
            log.info("nothing changed in %s: left as it is", self.target)
            return result
        if self._unchanged:
            self._link_unchanged()
        (self.build / MANIFEST).write_text(json.dumps(self.manifest, sort_keys=True))
        self._swap()
        result.published = True
        self._forget_removed()
        self._prune()
        return result

    def _forget_removed(self) -> None:
        """Delete what the new build dropped from the build kept before it too: a taken-down
        work's page and files leave at once, not one publish later."""
        if self.current is None:
            return
        for rel in set(self.previous) - set(self.manifest):
            (self.current / rel).unlink(missing_ok=True)

    def abort(self) -> None:
        shutil.rmtree(self.build, ignore_errors=True)

    def _swap(self) -> None:
        if self.target.exists() and not self.target.is_symlink():
            # A plain folder from elsewhere: move it aside once, then use the link.
            aside = self.builds / f"old-{time.monotonic_ns()}"
            os.replace(self.target, aside)
        link = self.target.parent / f".{self.target.name}.link-{os.getpid()}"
        if link.is_symlink() or link.exists():
            link.unlink()
        os.symlink(os.path.relpath(self.build, self.target.parent), link)
        os.replace(link, self.target)

    def _prune(self) -> None:
        """Keep the new build and the one before (a reader may still be inside it)."""
        keep = {self.build.resolve()}
        if self.current is not None:
            keep.add(self.current)
        for child in self.builds.iterdir():
            if child.resolve() not in keep:
                shutil.rmtree(child, ignore_errors=True)


def _write_file(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _read_manifest(folder: Path) -> dict[str, str]:
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
