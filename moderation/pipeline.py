"""The ingest path end to end: read or collect -> normalize -> upsert -> checks.

It sits in ``moderation`` because it ends with the checks that queue posts
for moderators; the CLI, the watch folder and the scheduler all call it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from sqlalchemy.engine import Engine

from normalize.errors import BadInput
from normalize.post import RawRecord
from settings import Settings
from store.db import session_scope
from store.imports import record_import
from store.ingest import IngestSummary, ingest_records, normalize_options

log = logging.getLogger(__name__)
READERS = {"twitter": "search_page", "facebook": "graph_page"}


def read_file(source: str, path: Path) -> Iterator[RawRecord]:
    """The raw records of one archive or export file of ``source``."""
    if source == "douyin":
        from collectors.douyin import read_export
        return read_export(path)
    if source in READERS:
        from collectors.files import read_json_pages
        return read_json_pages(path, source=source, kind=READERS[source])
    raise BadInput(f"unknown source {source!r}; expected twitter, facebook or douyin")


def import_files(
    source: str, paths: Iterable[Path], *, engine: Engine, settings: Settings,
    on_progress: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Import files; a file that cannot be read at all counts as one bad input."""
    total = IngestSummary()
    options = normalize_options(settings)
    for path in paths:
        try:
            digest = _sha256(path)
            summary = ingest_records(read_file(source, path), engine=engine, options=options,
                                     on_progress=on_progress)
        except OSError as e:
            total.add_error(BadInput(f"cannot read: {e.strerror}", file=str(path)))
            total.read += 1
            continue
        except BadInput as e:
            if e.file is None:
                e = BadInput(e.reason, file=str(path), line=e.line, field=e.field)
            total.add_error(e)
            total.read += 1
            continue
        with session_scope(engine) as session:
            record_import(session=session, sha256=digest, name=path.name, source=source,
                          read=summary.read, new=summary.new, updated=summary.updated,
                          bad=summary.bad)
        log.info("imported %s: %s", path, summary.line())
        _merge(total, summary)
    return total


def _merge(total: IngestSummary, part: IngestSummary) -> None:
    total.read += part.read
    total.new += part.new
    total.updated += part.updated
    total.unchanged += part.unchanged
    total.bad += part.bad
    total.errors.extend(part.errors[: max(0, 1000 - len(total.errors))])
    total.warnings.extend(part.warnings[:100])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
