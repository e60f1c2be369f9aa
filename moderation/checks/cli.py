"""``cqf check``: run the checks on posts not yet checked (``--recheck``: all flags again)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from cqfriends.cli import ConfigOption


def register(app: typer.Typer) -> None:
    @app.command("check")
    def check_command(
        recheck: Annotated[bool, typer.Option(
            "--recheck", help="Also re-evaluate language and rule flags of checked posts "
                              "(after a config change); moderator decisions are kept.")] = False,
        config: ConfigOption = None,
    ) -> None:
        """Run duplicate, language and rule checks on posts not yet checked."""
        from cqfriends.cli import console, err_console, load, open_database
        from cqfriends.moderation.checks.runner import run_checks
        from cqfriends.store.checks import count_unchecked
        from cqfriends.store.db import session_scope

        settings = load(config)
        engine = open_database(settings)
        with session_scope(engine) as session:
            total = count_unchecked(session=session, everything=recheck)
        progress = Progress(TextColumn("{task.description}"), BarColumn(),
                            TextColumn("{task.completed}/{task.total} posts"),
                            TimeElapsedColumn(), console=err_console, transient=True)
        with progress:
            task = progress.add_task("checking", total=total or None)
            summary = run_checks(engine=engine, settings=settings, recheck=recheck,
                                 on_progress=lambda n: progress.advance(task, n))
        console.print(escape(summary.line()), highlight=False)
