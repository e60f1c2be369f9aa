"""``cqf export ...``, ``cqf report``, ``cqf draw`` and ``cqf tokens ...``."""

from __future__ import annotations

import json
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cqfriends.cli import ConfigOption, console, err_console, load, open_database, term

export_app = typer.Typer(no_args_is_help=True, help="Theme page, feeds and LED playlist.")
tokens_app = typer.Typer(no_args_is_help=True, help="Read tokens for /api/v1 and /feeds.")


class FeedFormat(StrEnum):
    json = "json"
    jsonfeed = "jsonfeed"
    atom = "atom"
    csv = "csv"


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@export_app.command("site")
def site_command(directory: Annotated[Path, typer.Argument(help="where the site is published")],
                 config: ConfigOption = None) -> None:
    """Build the static theme page into DIR (published atomically; unchanged files kept)."""
    from cqfriends.export.site import build_site

    settings = load(config)
    result = build_site(engine=open_database(settings), settings=settings, out_dir=directory)
    state = "published" if result.published else "unchanged, nothing rewritten"
    console.print(f"site {directory}: {result.files} files, {result.written} written, "
                  f"{result.unchanged} unchanged, {result.removed} removed ({state})",
                  markup=False, highlight=False)


@export_app.command("feed")
def feed_command(format: Annotated[FeedFormat, typer.Option("--format")] = FeedFormat.jsonfeed,
                 config: ConfigOption = None) -> None:
    """Write every approved post to stdout as JSON, JSON Feed 1.1, Atom or CSV."""
    from cqfriends.export import feeds
    from cqfriends.export.copies import public_rows
    from cqfriends.store.db import session_scope
    from cqfriends.store.exports import iter_approved

    settings = load(config)
    engine = open_database(settings)
    with session_scope(engine) as session:
        rows = public_rows(session, iter_approved(session=session), settings.web.public_url)
        if format is FeedFormat.csv:
            for chunk in feeds.iter_csv(rows):
                sys.stdout.write(chunk)
            return
        text = {FeedFormat.json: lambda: feeds.write_json(rows),
                FeedFormat.jsonfeed: lambda: feeds.write_jsonfeed(rows, settings),
                FeedFormat.atom: lambda: feeds.write_atom(rows, settings)}[format]()
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


@export_app.command("led")
def led_command(directory: Annotated[Path, typer.Argument(help="folder for playlist.json")],
                config: ConfigOption = None) -> None:
    """Write the LED playlist.json and the full-screen signage page into DIR."""
    from cqfriends.export.led import write_led

    settings = load(config)
    result = write_led(engine=open_database(settings), settings=settings, out_dir=directory)
    console.print(f"led {result['dir']}: {result['items']} items, "
                  f"written: {', '.join(result['written']) or 'nothing (unchanged)'}",
                  markup=False, highlight=False)


def report_command(
    since: Annotated[str | None, typer.Option(help="first day, YYYY-MM-DD (campaign zone)")] = None,
    until: Annotated[str | None, typer.Option(help="last day, YYYY-MM-DD (inclusive)")] = None,
    format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.table,
    table: Annotated[str, typer.Option(
        "--table", help="with --format csv: the table to print (totals, by_day, by_source, "
        "time_to_decision_hours, top_works, top_contributors, languages)")] = "by_day",
    config: ConfigOption = None,
) -> None:
    """Campaign summary: totals, per day and per platform, top works, languages."""
    from cqfriends.export.report_formats import TABLES, print_report_table, write_table_csv

    if table not in TABLES:
        raise typer.BadParameter(f"{table!r}: use one of {', '.join(TABLES)}",
                                 param_hint="--table")
    from cqfriends.export.reports import build_report
    from cqfriends.store.db import session_scope

    settings = load(config)
    with session_scope(open_database(settings)) as session:
        report = build_report(session=session, settings=settings,
                              since=_day(since, "--since"), until=_day(until, "--until"))
    if format is ReportFormat.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    elif format is ReportFormat.csv:
        sys.stdout.write(write_table_csv(report, table, bom=False))
    else:
        print_report_table(report, console, clean=term)


def draw_command(
    n: Annotated[int, typer.Option("--n", help="number of winners")],
    seed: Annotated[str, typer.Option("--seed", help="the published seed")],
    section: Annotated[str | None, typer.Option(help="only authors of works in it")] = None,
    actor: Annotated[str, typer.Option("--as", help="who runs the draw (audit log)")] = "cli",
    config: ConfigOption = None,
) -> None:
    """Draw souvenir winners among distinct authors of approved works (reproducible)."""
    from cqfriends.export.draw import run_draw
    from cqfriends.uploads.contact import winner_contacts

    settings = load(config)
    engine = open_database(settings)
    result = run_draw(engine=engine, settings=settings, n=n, seed=seed, section=section,
                      actor=actor)
    contacts = winner_contacts(engine=engine, entries=[w["entry"] for w in result["winners"]])
    console.print(f"{result['entries']} entries (sha256 {result['entries_sha256']}), "
                  f"seed {term(repr(seed))}: {len(result['winners'])} winners", highlight=False)
    for rank, w in enumerate(result["winners"], 1):
        handle = f" (@{w['handle']})" if w["handle"] and w["name"] else ""
        name = w["name"] or (f"@{w['handle']}" if w["handle"] else "?")
        console.print(f"{rank}. {term(name)}{term(handle)} · {term(w['entry'])}",
                      highlight=False)
        if reach := contacts.get(w["entry"]):  # the operator's terminal only: never audited
            console.print(f"   {term(reach)}", highlight=False)
    if len(result["winners"]) < n:
        err_console.print(f"only {len(result['winners'])} eligible authors for {n} prizes")


@tokens_app.command("create")
def tokens_create(name: Annotated[str, typer.Option("--name", help="who the token is for")],
                  config: ConfigOption = None) -> None:
    """Create a read token; it is printed once, alone on the last line."""
    from cqfriends.store.db import session_scope
    from cqfriends.store.tokens import create_token

    settings = load(config)
    with session_scope(open_database(settings), write=True) as session:
        token = create_token(session=session, name=name, created_by="cli")
    console.print(f"token {term(repr(name))} created; it is shown once and stored only as a "
                  "hash:", highlight=False)
    sys.stdout.flush()
    print(token)


@tokens_app.command("revoke")
def tokens_revoke(name: str, config: ConfigOption = None) -> None:
    """Revoke the token NAME (requests with it get 401 from then on)."""
    from cqfriends.store.db import session_scope
    from cqfriends.store.tokens import revoke_token

    settings = load(config)
    with session_scope(open_database(settings), write=True) as session:
        revoke_token(session=session, name=name)
    console.print(f"token {term(repr(name))} revoked", highlight=False)


@tokens_app.command("list")
def tokens_list(config: ConfigOption = None) -> None:
    """Token names, when they were created, last used and revoked (never the tokens)."""
    from rich.table import Table

    from cqfriends.store.db import session_scope
    from cqfriends.store.tokens import list_tokens

    settings = load(config)
    table = Table("name", "created", "last used", "revoked")
    with session_scope(open_database(settings)) as session:
        for t in list_tokens(session=session):
            table.add_row(term(t.name), _fmt(t.created_at), _fmt(t.last_used_at),
                          _fmt(t.revoked_at))
    console.print(table)


def _fmt(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"  # type: ignore[attr-defined]


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option) from e


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.add_typer(tokens_app, name="tokens")
    app.command("report")(report_command)
    app.command("draw")(draw_command)
