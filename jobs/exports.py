"""Rebuilding the exports (theme page, LED playlist) when a post changed since the last one."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.engine import Engine

from cqfriends.settings import Settings
from cqfriends.store.db import session_scope

log = logging.getLogger(__name__)


class Exporter:
    """Regenerates the theme page and LED playlist when a post changed since the last export."""

    def __init__(self, settings: Settings, engine: Engine,
                 exports: Iterable[tuple[str, str, str]]):
        """``exports``: (module, function, export-settings dir field) of each target."""
        self.settings, self.engine = settings, engine
        self.targets: list[tuple[str, Callable[..., Any], str]] = []
        for module_name, func_name, dir_field in exports:
            try:
                func = getattr(importlib.import_module(module_name), func_name)
            except (ImportError, AttributeError):
                continue
            self.targets.append((module_name.rsplit(".", 1)[1], func, dir_field))
        self.names = [name for name, _, _ in self.targets]
        self.exported: tuple[Any, ...] | None = None  # the change marker last exported

    def run_if_changed(self) -> str:
        marker = self.change_marker()
        if marker == self.exported:
            return "unchanged"
        for name, func, dir_field in self.targets:
            func(engine=self.engine, settings=self.settings,
                 out_dir=getattr(self.settings.export, dir_field))
            log.info("exported %s", name)
        self.exported = marker
        return "exported " + ", ".join(self.names)

    def change_marker(self) -> tuple[Any, ...]:
        """Moves whenever a post changes in a way exports mirror (read before exporting)."""
        from cqfriends.store.maintenance import last_change_at
        from cqfriends.store.media import archive_marker

        with session_scope(self.engine) as session:
            try:
                from cqfriends.store.exports import current_change_seq
                seq: Any = current_change_seq(session=session)
            except ImportError:
                seq = None
            # A copy archived after the approval shows at the next rebuild too.
            return (last_change_at(session=session), seq, archive_marker(session=session))
