"""``cqf media fetch``, ``cqf media status`` and ``cqf media copy``: the archive from a shell."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from cqfriends.cli import ConfigOption, console, err_console, load, open_database

media_app = typer.Typer(no_args_is_help=True,
                        help="The media archive: our copies of the works' photos and videos.")
STATES = ("archived", "due", "fetching", "retry", "failed", "none", "removed")


@media_app.command("fetch")
def fetch_command(
    key: Annotated[str | None, typer.Option(help="only this post (source:source_id)")] = None,
    status: Annotated[str | None, typer.Option(
        help="only posts in this status (collected, pending, approved)")] = None,
    config: ConfigOption = None,
) -> None:
    """Fetch what is due now (media.fetch); exit 1 if some files failed."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from cqfriends.jobs.media import fetch_media
    from cqfriends.normalize.post import split_key
    from cqfriends.store.models import POST_STATUSES

    if status is not None and status not in POST_STATUSES:
        raise typer.BadParameter(f"use one of {', '.join(POST_STATUSES)}", param_hint="--status")
    if key is not None:
        try:
            split_key(key)
        except ValueError as e:
            raise typer.BadParameter(str(e), param_hint="--key") from e
    settings = load(config)
    engine = open_database(settings)
    progress = Progress(TextColumn("{task.description}"), BarColumn(),
                        TextColumn("{task.completed}/{task.total} files"), TimeElapsedColumn(),
                        console=err_console, transient=True)
    with progress:
        task = progress.add_task("archiving", total=None)
        summary = fetch_media(
            engine=engine, settings=settings, key=key, status=status,
            on_start=lambda total: progress.update(task, total=total or None),
            on_progress=lambda _outcome: progress.advance(task))
    if summary.retrying:
        err_console.print(f"{summary.retrying} of the failed will be tried again later "
                          "(`cqf media status`)", highlight=False)
    console.print(summary.line(), markup=False, highlight=False)
    raise typer.Exit(1 if summary.failed else 0)


@media_app.command("status")
def status_command(config: ConfigOption = None) -> None:
    """Archive rows by state (previews and full files), and the archive's size."""
    from rich.table import Table

    from cqfriends.store.db import session_scope
    from cqfriends.store.media import archived_bytes, state_counts

    settings = load(config)
    with session_scope(open_database(settings)) as session:
        counts = state_counts(session=session)
        files, size = archived_bytes(session=session)
    table = Table("state", "preview", "full", "total")
    for state in STATES:
        preview, full = counts.get(("preview", state), 0), counts.get(("full", state), 0)
        table.add_row(state, str(preview), str(full), str(preview + full))
    console.print(table)
    where = settings.media.store or settings.media.dir
    console.print(f"archived originals: {files} files, {size / 1e6:.1f} MB in {escape(where)} "
                  f"(fetch: {settings.media.fetch})", highlight=False)


@media_app.command("copy")
def copy_command(
    to: Annotated[str, typer.Option("--to", help="s3://bucket/prefix, or a folder")],
    endpoint_url: Annotated[str | None, typer.Option(
        help="the S3 service of the target (default: media.endpoint_url)")] = None,
    config: ConfigOption = None,
) -> None:
    """Copy every archived file into another store (then point media.store at it)."""
    from rich.progress import Progress, TextColumn, TimeElapsedColumn

    from cqfriends.media.storage import copy_all, open_store, store_for

    settings = load(config)
    source = open_store(settings)
    target = store_for(to, endpoint_url or settings.media.endpoint_url)
    progress = Progress(TextColumn("copying {task.completed} files"), TimeElapsedColumn(),
                        console=err_console, transient=True)
    with progress:
        task = progress.add_task("copying", total=None)
        copied, kept = copy_all(source, target, on_file=lambda: progress.advance(task))
    console.print(f"copied {copied}, already there {kept} ({source.description} -> "
                  f"{target.description})", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(media_app, name="media")
