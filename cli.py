"""``cqf``: a thin command-line shell over the Python API.

Commands of other packages register themselves through ``register(app)``
(see COMMAND_MODULES) so each package keeps its own commands beside its code.
"""

from __future__ import annotations

import gc
import importlib
import json
import logging
import os
import re
import sys
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from cqfriends.errors import BadInput, ConfigError, CqfError

if TYPE_CHECKING:  # imported where used: `cqf --help` must start fast
    from rich.progress import Progress
    from rich.table import Table
    from sqlalchemy.engine import Engine

    from cqfriends.settings import Settings

console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # one error, one line: greppable


# What a terminal would act on instead of print: C0/C1 controls (ESC starts colour and
# cursor sequences), bidi overrides and zero-width characters that reorder or hide text.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
# In JSON: json.dumps escapes C0 itself, and the layout's own newlines stay.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def printable(value: object, *, one_line: bool = True) -> str:
    """``value`` with every control, bidi or zero-width character shown as an escape.

    Newlines and tabs become spaces (``one_line``: table cells), else are kept.
    """
    text = "" if value is None else str(value)
    if one_line:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")

    def shown(match: re.Match[str]) -> str:
        char = match.group(0)
        if not one_line and char in "\n\t":
            return char
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _UNSAFE.sub(shown, text)


def term(value: object, *, one_line: bool = True) -> str:
    """``value`` safe to print on a rich console: controls shown as escapes, markup escaped."""
    return escape(printable(value, one_line=one_line))


def printable_tree(data: Any) -> Any:
    """Every string inside ``data`` (dicts, lists) made ``printable``."""
    if isinstance(data, str):
        return printable(data)
    if isinstance(data, dict):
        return {k: printable_tree(v) for k, v in data.items()}
    if isinstance(data, list):
        return [printable_tree(v) for v in data]
    return data


def json_line(data: object, indent: int | None = None) -> str:
    """JSON (one line unless ``indent``) whose every control or bidi character is a \\u
    escape: safe on a terminal, the same data for a program."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text) + "\n"


def key_table(*columns: str, keys: Iterable[str] = (), whole: tuple[str, ...] = (),
              **options: Any) -> Table:
    """A rich table whose first column (post keys) is never cut: ``cqf decide`` needs them
    whole; columns named in ``whole`` are not wrapped either, the others wrap instead."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, **options)
    table.add_column(columns[0], no_wrap=True, min_width=max((len(k) for k in keys),
                                                             default=len(columns[0])))
    for name in columns[1:]:
        table.add_column(name, no_wrap=name in whole, overflow="fold")
    return table


class CqfGroup(TyperGroup):
    """Every command's errors end the same way: one red line each and the exit code."""

    def invoke(self, ctx: Any) -> Any:  # a typer/click Context
        try:
            return super().invoke(ctx)
        except ConfigError as e:
            for problem in e.problems:
                err_console.print(f"[red]config error:[/] {term(problem)}")
            ctx.exit(e.exit_code)
        except BadInput as e:
            err_console.print(f"[red]error:[/] {term(e)}")
            ctx.exit(2)
        except CqfError as e:
            err_console.print(f"[red]error:[/] {term(e)}")
            ctx.exit(e.exit_code)
        except Exception as e:
            if not _is_environment_error(e):
                raise
            err_console.print(f"[red]error:[/] {escape(_environment_error_line(e))}")
            ctx.exit(DATABASE_EXIT if _database_url and not isinstance(e, OSError) else 1)


DATABASE_EXIT = 3  # the database could not be used (unreachable, read-only, full)
_database_url = ""  # the database of the running command, for its error messages


def _is_environment_error(error: Exception) -> bool:
    """Failures of the database, disk or network a person can fix, not bugs of ours."""
    if isinstance(error, OSError):
        return True
    if "sqlalchemy" not in sys.modules:
        return False
    from cqfriends.store.db import is_database_error

    return is_database_error(error)


def _environment_error_line(error: Exception) -> str:
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror or error}"
    from cqfriends.store.db import describe_database_error

    return describe_database_error(error, _database_url)


app = typer.Typer(cls=CqfGroup, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False,
                  help="cqfriends: collect, check, moderate and export hashtag-campaign posts.")
log = logging.getLogger("cqf")

ConfigOption = Annotated[Path | None, typer.Option(
    "--config", envvar="CQF_CONFIG", help="config.yaml to use (default: the bundled one).",
    show_default=False)]
COMMAND_MODULES = ("cqfriends.moderation.checks.cli", "cqfriends.moderation.cli",
                   "cqfriends.web.cli", "cqfriends.export.cli", "cqfriends.jobs.cli",
                   "cqfriends.media.cli")


def load(config: Path | None) -> Settings:
    from cqfriends.settings import load_settings

    global _database_url
    settings = load_settings(config)
    _database_url = settings.database.url
    return settings


def open_database(settings: Settings) -> Engine:
    """The database of ``settings``, migrated to the newest schema."""
    from cqfriends.store.db import get_engine, migrate

    migrate(settings.database.url)
    return get_engine(settings.database.url)


class Format(StrEnum):
    table = "table"
    jsonl = "jsonl"


class ImportSource(StrEnum):
    twitter = "twitter"
    facebook = "facebook"
    douyin = "douyin"
    tiktok = "tiktok"


@app.command("init")
def init_command(config: ConfigOption = None) -> None:
    """Create or upgrade the database, and create the first admin."""
    from cqfriends.store.db import safe_url
    from cqfriends.store.users import ensure_first_admin

    settings = load(config)
    engine = open_database(settings)
    generated = ensure_first_admin(engine=engine, password=os.environ.get("CQF_ADMIN_PASSWORD"))
    console.print(f"database ready: {escape(safe_url(settings.database.url))}")
    if generated:
        console.print("created user 'admin'; its password (shown once):")
        console.print(generated, markup=False, highlight=False)


@app.command("import")
def import_command(
    source: ImportSource,
    files: Annotated[list[Path], typer.Argument(exists=False, show_default=False)],
    config: ConfigOption = None,
) -> None:
    """Import archive files (API pages, exports); exit 0 ok, 1 some rows bad, 2 nothing usable.

    Then every post still unchecked is checked (``scheduler.checks_after_collect``), so
    checks an earlier run did not finish are finished now.
    """
    from cqfriends.jobs.ingest import import_files
    from cqfriends.moderation.checks.language import close_pool, open_pool
    from cqfriends.moderation.checks.runner import run_checks

    settings = load(config)
    engine = open_database(settings)
    checking = settings.scheduler.checks_after_collect
    # Opened first: its workers load the language profiles while the files are read.
    pool = open_pool(settings.languages.workers, preload=False) if checking else None
    try:
        with _progress() as progress:
            task = progress.add_task("importing", total=None)
            summary = import_files(source.value, files, engine=engine, settings=settings,
                                   on_progress=lambda n: progress.advance(task, n))
            if checking:
                progress.update(task, description="checking")
                run_checks(engine=engine, settings=settings, pool=pool)
    finally:
        close_pool(pool)
    for error in summary.errors:
        err_console.print(f"[yellow]bad:[/] {term(error)}")
    if summary.bad > len(summary.errors):
        err_console.print(f"... and {summary.bad - len(summary.errors)} more bad rows")
    _print_warnings(summary.warned, summary.warnings)
    console.print(printable(summary.line()), markup=False, highlight=False)
    if summary.read == summary.bad and summary.bad:
        raise typer.Exit(2)
    raise typer.Exit(1 if summary.bad else 0)


@app.command("posts")
def posts_command(
    source: Annotated[str | None, typer.Option(
        help="twitter, facebook, instagram, douyin, tiktok")] = None,
    status: Annotated[str | None, typer.Option(help="collected, pending, approved, ...")] = None,
    format: Annotated[Format, typer.Option("--format")] = Format.table,
    config: ConfigOption = None,
) -> None:
    """List normalized posts."""
    from cqfriends.store.db import session_scope
    from cqfriends.store.posts import list_posts, post_public_dict

    settings = load(config)
    engine = open_database(settings)
    with session_scope(engine) as session:
        rows = (post_public_dict(r) for r in list_posts(session=session, source=source,
                                                        status=status))
        if format is Format.jsonl:
            out = sys.stdout
            for row in rows:
                out.write(json_line(row))
            return
        listed = list(rows)
        table = key_table("key", "status", "lang", "author", "created (UTC)", "text",
                          keys=[r["key"] for r in listed], whole=("status",))
        for row in listed:
            table.add_row(term(row["key"]), row["status"], term(row["lang"] or ""),
                          term(row["author_handle"] or row["author_name"]),
                          (row["created_at"] or "")[:16], term(row["text"][:60]))
        console.print(table)


WARNINGS_SHOWN = 5


def _print_warnings(count: int, warnings: list[str]) -> None:
    """The number of warnings, then the first few (each names its file and line)."""
    if not count:
        return
    err_console.print(f"[yellow]warnings: {count}[/]" + (
        f" (the first {WARNINGS_SHOWN}:)" if count > WARNINGS_SHOWN else ""))
    for warning in warnings[:WARNINGS_SHOWN]:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}")


def _progress() -> Progress:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed} posts"), TimeElapsedColumn(),
                    console=err_console, transient=True)


GC_THRESHOLD = 50_000  # allocations between young-generation collections
_registered = False


def get_app() -> typer.Typer:
    """The ``cqf`` app with every package's commands registered (once).

    Registration is deferred to here, not done at import, so a command module
    can ``from cli import ConfigOption, load`` at its top without a cycle.
    """
    global _registered
    if not _registered:
        _registered = True
        _register_commands()
    return app


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


def main() -> None:
    # Quiet by default: a command prints its own result.  `cqf run` and `cqf demo` raise
    # this to INFO (one line per job run) unless CQF_LOG_LEVEL says otherwise.
    logging.basicConfig(level=os.environ.get("CQF_LOG_LEVEL", "WARNING").upper(),
                        stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Imports and checks keep hundreds of thousands of objects alive (a batch's rows, the
    # works seen so far); at the default gen-0 threshold (700) the collector re-scanned
    # them so often that it took about a quarter of `cqf import` (bench/pipeline.py).
    # Reference cycles are rare here, and are still collected.
    gc.set_threshold(GC_THRESHOLD, 20, 100)
    get_app()()


if __name__ == "__main__":
    main()
