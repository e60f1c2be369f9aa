"""Collectors: I/O only.  They fetch raw pages or read export files and yield ``RawRecord``.

``get_collector(name)`` names the live collectors the scheduler runs; Douyin has
no live API (its exports arrive through the watch folder).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from cqfriends.errors import ConfigError


@dataclass(frozen=True)
class Collector:
    name: str
    module_name: str
    token_field: str  # the settings field holding its token (fingerprinted, never stored)

    def module(self) -> ModuleType:
        return importlib.import_module(self.module_name)


LIVE = {
    "twitter": Collector("twitter", "cqfriends.collectors.twitter", "bearer_token"),
    "facebook": Collector("facebook", "cqfriends.collectors.facebook", "access_token"),
}


def get_collector(name: str) -> Collector:
    try:
        return LIVE[name]
    except KeyError:
        known = ", ".join(LIVE)
        raise ConfigError([f"no live collector {name!r}; expected one of {known}"]) from None
