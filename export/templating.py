"""The jinja2 environment of the exports (autoescape always on, the console's catalog).

Templates get ``locale`` in their context (``export.language`` for the built theme
page and LED folder) and ``_``/``ngettext`` translate through ``cqfriends.i18n``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from cqfriends.i18n.translate import install

STATIC = files("cqfriends.export") / "static"  # package data
FONTS = STATIC / "fonts"  # Noto Sans SC and Noto Emoji WOFF2 subsets, fonts.css, licences


@lru_cache(maxsize=1)
def get_environment() -> Environment:
    env = Environment(loader=PackageLoader("cqfriends.export", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    install(env)
    return env


def render(name: str, **context: object) -> str:
    return get_environment().get_template(name).render(**context)


def font_files() -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of the vendored font: its CSS, licence and WOFF2 subsets."""
    for entry in sorted(FONTS.iterdir(), key=lambda e: e.name):
        if entry.is_file():
            yield entry.name, entry.read_bytes()


def section_helpers(locale: str) -> dict[str, Any]:
    """``section_name(s)`` in ``locale``, ``other_name(s)`` in the other language."""
    chinese = locale == "zh-Hans"

    def names(s: Any) -> tuple[str, str]:  # a Section, or the dict of an index block
        return (s["name"], s["name_zh"]) if isinstance(s, dict) else (s.name, s.name_zh)

    def section_name(s: Any) -> str:
        name, name_zh = names(s)
        return (name_zh or name) if chinese else name

    def other_name(s: Any) -> str:
        name, name_zh = names(s)
        return name if chinese else name_zh

    return {"section_name": section_name, "other_name": other_name,
            "other_lang": "en" if chinese else "zh-Hans", "locale": locale}
