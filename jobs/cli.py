"""``cqf collect``, ``run``, ``demo``, ``jobs`` and ``status``: the main job from a shell.

(No ``from __future__ import annotations`` here: typer reads the annotations of the
commands defined inside ``register``.)
"""

import sys
from pathlib import Path
from typing import Annotated

import typer

from cqfriends.cli import (
    ConfigOption,
    console,
    err_console,
    json_line,
    load,
    open_database,
    printable,
    printable_tree,
)


def register(app: typer.Typer) -> None:
    """Add collect, run, demo, jobs and status to the ``cqf`` command."""

    @app.command("collect")
    def collect_command(
        source: Annotated[str | None, typer.Argument(
            help="twitter, facebook or douyin (the watch folder); default: every enabled one",
            show_default=False)] = None,
        config: ConfigOption = None,
    ) -> None:
        """Run the collectors once now; exit 1 if one failed."""
        from cqfriends.jobs.collect import collect_source
        from cqfriends.jobs.watch import import_watch_folder
        from cqfriends.scheduler import LIVE_SOURCES

        settings = load(config)
        engine = open_database(settings)
        names = [source] if source else [n for n in (*LIVE_SOURCES, "douyin")
                                         if getattr(settings.sources, n).enabled]
        failed = False
        for name in names:
            if name == "douyin":
                summary = import_watch_folder(engine=engine, settings=settings)
            else:
                summary = collect_source(name, engine=engine, settings=settings)
            failed = failed or bool(summary.error)
            out = err_console if summary.error or summary.skipped else console
            out.print(printable(summary.line()), markup=False, highlight=False)
        if not names:
            console.print("no source is enabled in the config")
        raise typer.Exit(1 if failed else 0)

    @app.command("run")
    def run_command(
        host: Annotated[str | None, typer.Option(help="default: web.host")] = None,
        port: Annotated[int | None, typer.Option(help="default: web.port")] = None,
        config: ConfigOption = None,
    ) -> None:
        """The main job: migrations, the scheduler (if this process leads) and the web app."""
        from cqfriends.mainjob import MainJob, claim_sqlite_leadership, serve

        settings = load(config)
        engine = open_database(settings)
        main = MainJob(settings, engine)
        claim_sqlite_leadership(main)
        host, port = host or settings.web.host, port or settings.web.port
        serve(settings, main, host=host, port=port,
              on_ready=lambda: console.print(f"cqf running on http://{host}:{port}/ "
                                             "(Ctrl+C stops)", markup=False))

    @app.command("demo")
    def demo_command(
        dir: Annotated[Path, typer.Option("--dir", help="working folder")] = Path("cqf-demo"),
        host: Annotated[str, typer.Option()] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
        serve_: Annotated[bool, typer.Option("--serve/--no-serve",
                                             help="start the main job and web app")] = True,
        reset: Annotated[bool, typer.Option(
            "--reset", help="wipe the demo already in DIR and start a fresh one")] = False,
        config: ConfigOption = None,
    ) -> None:
        """A fresh demo: sample data imported and checked, demo users, main job and web app."""
        from cqfriends.jobs.demo import check_port_free, existing_demo, prepare_demo
        from cqfriends.mainjob import MainJob, claim_sqlite_leadership, serve

        if serve_:
            check_port_free(host, port)  # before anything is touched
        existing_demo(dir, reset=reset)

        def claim(settings, engine):  # type: ignore[no-untyped-def]
            main = MainJob(settings, engine)
            claim_sqlite_leadership(main)
            return main

        settings, engine, main, users = prepare_demo(dir, claim=claim, template=config)
        console.print(f"demo database: {settings.database.url}", markup=False, soft_wrap=True)
        for user, role, password in users:
            console.print(f"demo {role}: user {user} password {password}", markup=False,
                          highlight=False, soft_wrap=True)
        console.print(f"other commands on this demo: add --config {dir / 'config.yaml'} "
                      f"(e.g. cqf status --config {dir / 'config.yaml'})", markup=False,
                      highlight=False, soft_wrap=True)
        if not serve_:
            main.leadership.release()
            return
        url = f"http://{host}:{port}/"
        serve(settings, main, host=host, port=port, on_ready=lambda: console.print(
            f"open {url}moderation and log in as a demo user above (Ctrl+C stops)",
            markup=False))

    @app.command("jobs")
    def jobs_command(config: ConfigOption = None) -> None:
        """The configured jobs and their next run times (campaign time zone)."""
        from rich.table import Table

        from cqfriends.scheduler import list_jobs

        settings = load(config)
        engine = open_database(settings)
        table = Table("job", "what", "schedule", "next run")
        for row in list_jobs(settings, engine):
            table.add_row(*(printable(row[k]) for k in ("id", "name", "schedule", "next_run")))
        console.print(table)

    @app.command("status")
    def status_command(
        format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
        config: ConfigOption = None,
    ) -> None:
        """Per source: enabled, last success, last error, next run, cursor, token; the queue."""
        from cqfriends.jobs.status import print_status, status_report

        settings = load(config)
        report = status_report(engine=open_database(settings), settings=settings)
        if format == "json":
            sys.stdout.write(json_line(report, indent=2))
            return
        print_status(printable_tree(report), console)  # errors quote what sources sent

    @app.command("renormalize")
    def renormalize_command(
        source: Annotated[str | None, typer.Option(
            "--source", help="only this source (twitter, facebook, instagram, douyin, tiktok)",
            show_default=False)] = None,
        config: ConfigOption = None,
    ) -> None:
        """Map every stored raw payload again with today's normalizers; moderation is kept.

        Prints how many posts changed; exit 1 if some payloads could not be mapped.
        """
        from cqfriends.jobs.renormalize import renormalize_posts

        settings = load(config)
        summary = renormalize_posts(engine=open_database(settings), settings=settings,
                                    source=source)
        for problem in summary.problems:
            err_console.print(f"not re-mapped: {problem}", markup=False, highlight=False)
        console.print(summary.line(), markup=False, highlight=False)
        raise typer.Exit(1 if summary.failed else 0)
