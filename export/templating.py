"""The jinja2 environment of the exports (autoescape always on)."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from jinja2 import Environment, PackageLoader, StrictUndefined

STATIC = files("cqfriends.export") / "static"  # package data


@lru_cache(maxsize=1)
def get_environment() -> Environment:
    return Environment(loader=PackageLoader("cqfriends.export", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render(name: str, **context: object) -> str:
    return get_environment().get_template(name).render(**context)
