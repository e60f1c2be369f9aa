"""``cqf queue``, ``cqf decide``, ``cqf audit``: the console from a shell."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape

from cqfriends.cli import ConfigOption, Format

AsUser = Annotated[str, typer.Option("--as", help="The user deciding (must exist).",
                                     show_default=False)]


class AuditFormat(StrEnum):
    table = "table"
    csv = "csv"


class Action(StrEnum):
    approve = "approve"
    reject = "reject"
    takedown = "takedown"
    feature = "feature"
    unfeature = "unfeature"
    release = "release"
    undo = "undo"


def register(app: typer.Typer) -> None:
    queue_app = typer.Typer(help="The moderation queue.", no_args_is_help=True)
    app.add_typer(queue_app, name="queue")
    queue_app.command("next")(queue_next)
    app.command("decide")(decide_command)
    app.command("audit")(audit_command)


def queue_next(
    as_user: AsUser, n: Annotated[int, typer.Option("--n", min=1, max=500)] = 10,
    format: Annotated[Format, typer.Option("--format")] = Format.table,
    config: ConfigOption = None,
) -> None:
    """Claim up to N pending posts for USER and print them (each line has the post's key)."""
    from cqfriends.cli import console, load, open_database
    from cqfriends.moderation.queue import claim_batch
    from cqfriends.store.posts import post_public_dict
    from cqfriends.store.users import find_user

    settings = load(config)
    engine = open_database(settings)
    user = find_user(engine=engine, username=as_user)
    posts = claim_batch(engine=engine, settings=settings, user=user.username, n=n)
    if format is Format.jsonl:
        for post in posts:
            row = {**post_public_dict(post), "version": post.version,
                   "claimed_until": post.claimed_until.isoformat() if post.claimed_until else None}
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    from rich.table import Table

    table = Table("key", "version", "lang", "author", "flags", "text")
    for post in posts:
        table.add_row(post.key, str(post.version), post.lang or "",
                      escape(post.author_handle or post.author_name),
                      escape(", ".join(f["code"] for f in post.flags or [])),
                      escape(post.text[:60]))
    console.print(table)
    console.print(f"claimed {len(posts)} for {escape(user.username)} "
                  f"({settings.moderation.claim_minutes} minutes)", highlight=False)


def decide_command(
    key: str, action: Action, as_user: AsUser,
    section: Annotated[str | None, typer.Option(help="Section id (approve).")] = None,
    feature: Annotated[bool, typer.Option("--feature", help="Also feature it (approve).")] = False,
    reason: Annotated[str | None, typer.Option(help="Reject reason or takedown reason.")] = None,
    note: Annotated[str | None, typer.Option(help="A free note kept in the audit log.")] = None,
    version: Annotated[int | None, typer.Option(
        help="Refuse if the post changed since this version.")] = None,
    override: Annotated[bool, typer.Option(
        "--override", help="Admins: decide even if decided or claimed by someone else.")] = False,
    config: ConfigOption = None,
) -> None:
    """Decide one post: approve, reject, takedown, feature, unfeature, release; or undo."""
    from cqfriends.cli import console, load, open_database
    from cqfriends.moderation.decisions import Decision, decide, release, undo_last
    from cqfriends.store.users import find_user

    settings = load(config)
    engine = open_database(settings)
    user = find_user(engine=engine, username=as_user)
    if action is Action.release:
        count = release(engine=engine, user=user, keys=[key])
        console.print(f"released {count} claim(s) on {escape(key)}", highlight=False)
        return
    if action is Action.undo:
        post = undo_last(engine=engine, settings=settings, user=user)
    else:
        decision = Decision(action.value, section=section, reason=reason, note=note,
                            feature=feature, version=version, override=override)
        post = decide(engine=engine, settings=settings, key=key, decision=decision, user=user)
    extra = f" in {post.section}" if post.status == "approved" and post.section else ""
    star = " (featured)" if post.featured else ""
    console.print(f"{escape(post.key)}: {post.status}{escape(extra)}{star} by "
                  f"{escape(user.username)}", highlight=False)


def audit_command(
    format: Annotated[AuditFormat, typer.Option("--format")] = AuditFormat.table,
    actor: Annotated[str | None, typer.Option(help="Only this user.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action.")] = None,
    post: Annotated[str | None, typer.Option(help="Only this post key.")] = None,
    since: Annotated[str | None, typer.Option(help="From this day (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="To this day, inclusive.")] = None,
    config: ConfigOption = None,
) -> None:
    """Print the audit log, newest first."""
    from cqfriends.cli import console, load, open_database
    from cqfriends.moderation.audit import audit_csv_lines, audit_page, parse_audit_filter

    settings = load(config)
    engine = open_database(settings)
    where = parse_audit_filter(actor=actor, action=action, post_key=post, since=since,
                               until=until, tz=settings.campaign.tz)
    if format is AuditFormat.csv:
        for line in audit_csv_lines(engine=engine, where=where):
            sys.stdout.write(line)
        return
    from rich.table import Table

    table = Table("at (UTC)", "actor", "action", "post", "section", "reason", "from → to")
    for e in audit_page(engine=engine, where=where, limit=None):
        table.add_row(e.at.strftime("%Y-%m-%d %H:%M:%S"), escape(e.actor), e.action,
                      escape(e.post_key or ""), escape(e.section or ""), escape(e.reason or ""),
                      f"{e.previous_status or ''} → {e.new_status or ''}")
    console.print(table)
