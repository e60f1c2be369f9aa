"""The house: every import says ``cqfriends.``, and data flows one way between the rooms.

collectors -> normalize -> store <- media <- moderation / export <- uploads <- jobs <- web /
scheduler
<- mainjob <- cli.
A room may import the rooms below it, never one above; each room's ``cli.py`` is
part of the shell and may import anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("i18n", "collectors", "normalize", "store", "media", "moderation", "export",
         "uploads", "jobs", "web")
MODULES = ("cli", "settings", "scheduler", "mainjob", "errors")
BASE = {"errors", "settings"}
# What each room (or root module) may import from cqfriends besides itself.
ALLOWED = {
    "errors": set(),
    "i18n": set(),  # the catalog and its machinery: every room that shows people text uses it
    "settings": {"errors"},
    "normalize": {"errors"},
    "collectors": BASE | {"normalize"},
    "store": BASE | {"normalize", "i18n"},
    "media": BASE | {"normalize", "store", "i18n"},
    "moderation": BASE | {"normalize", "store", "media", "i18n"},
    "export": BASE | {"normalize", "store", "media", "i18n"},
    # Participants' uploads: into the archive (media) and through the checks and the
    # takedown path (moderation), like any collected post.
    "uploads": BASE | {"normalize", "store", "media", "moderation", "i18n"},
    "jobs": BASE | {"collectors", "normalize", "store", "media", "moderation", "export",
                    "uploads", "i18n"},
    "web": BASE | {"normalize", "store", "media", "moderation", "export", "uploads", "jobs",
                   "i18n"},
    "scheduler": BASE | {"store", "jobs", "i18n"},
    "mainjob": BASE | {"store", "jobs", "web", "scheduler", "i18n"},
}


def code_files() -> list[Path]:
    files = [ROOT / f"{name}.py" for name in (*MODULES, "__init__", "__main__")]
    for room in ROOMS:
        files += sorted((ROOT / room).rglob("*.py"))
    return files


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def room_of(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


@pytest.mark.parametrize("path", [*code_files(), *sorted((ROOT / "tests").rglob("*.py")),
                                  *sorted((ROOT / "bench").glob("*.py"))],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_import_of_our_code_names_the_package(path):
    bare = [f"line {line}: {name}" for line, name in imported_modules(path)
            if name.split(".")[0] in (*ROOMS, *MODULES)]
    assert not bare, f"{path.name} imports our code without 'cqfriends.': {bare}"


@pytest.mark.parametrize("path", code_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_rooms_import_only_the_rooms_below_them(path):
    room = room_of(path)
    if path.name in ("cli.py", "__main__.py", "__init__.py") and path.parent == ROOT:
        return  # the shell and the package itself
    if path.name == "cli.py":
        return  # a room's commands are part of the shell
    allowed = ALLOWED[room] | {room}
    wrong = []
    for line, name in imported_modules(path):
        parts = name.split(".")
        if parts[0] == "cqfriends" and len(parts) > 1 and parts[1] not in allowed:
            wrong.append(f"line {line}: {name}")
    assert not wrong, f"{room} may import {sorted(allowed)}; {path.name} imports {wrong}"
