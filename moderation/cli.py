"""``cqf queue``, ``cqf decide``, ``cqf audit``: the console from a shell."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

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
    resection = "resection"
    requeue = "requeue"
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
    from cqfriends.cli import console, json_line, key_table, load, open_database, term
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
            sys.stdout.write(json_line(row))
        return
    table = key_table("key", "version", "lang", "author", "flags", "text",
                      keys=[p.key for p in posts])
    for post in posts:
        table.add_row(term(post.key), str(post.version), term(post.lang or ""),
                      term(post.author_handle or post.author_name),
                      term(", ".join(f["code"] for f in post.flags or [])), term(post.text[:60]))
    console.print(table)
    console.print(f"claimed {len(posts)} for {term(user.username)} "
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
    reverse: Annotated[bool, typer.Option(
        "--reverse", help="Approve a rejected post or reject an approved one (needs --version)."
    )] = False,
    config: ConfigOption = None,
) -> None:
    """Decide one post: approve, reject, takedown, feature, unfeature, resection (move an
    approved work), requeue (back to the queue), release; or undo."""
    from cqfriends.cli import console, load, open_database, term
    from cqfriends.moderation.decisions import Decision, decide, release, undo_last
    from cqfriends.store.users import find_user

    settings = load(config)
    engine = open_database(settings)
    user = find_user(engine=engine, username=as_user)
    if action is Action.release:
        count = release(engine=engine, user=user, keys=[key])
        console.print(f"released {count} claim(s) on {term(key)}", highlight=False)
        return
    if action is Action.undo:
        post = undo_last(engine=engine, settings=settings, user=user)
    else:
        decision = Decision(action.value, section=section, reason=reason, note=note,
                            feature=feature, version=version, override=override,
                            reverse=reverse)
        post = decide(engine=engine, settings=settings, key=key, decision=decision, user=user)
    extra = f" in {post.section}" if post.status == "approved" and post.section else ""
    star = " (featured)" if post.featured else ""
    console.print(f"{term(post.key)}: {post.status}{term(extra)}{star} by "
                  f"{term(user.username)}", highlight=False)


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
    from cqfriends.cli import console, key_table, load, open_database, term
    from cqfriends.moderation.audit import audit_csv_lines, audit_page, parse_audit_filter

    settings = load(config)
    engine = open_database(settings)
    where = parse_audit_filter(actor=actor, action=action, post_key=post, since=since,
                               until=until, tz=settings.campaign.tz)
    if format is AuditFormat.csv:
        for line in audit_csv_lines(engine=engine, where=where):
            sys.stdout.write(line)
        return
    tz = settings.campaign.tz  # the zone of the web audit log and the post history too
    entries = audit_page(engine=engine, where=where, limit=None)
    table = key_table("post", "at", "actor", "action", "section", "reason", "from → to",
                      keys=[e.post_key or "" for e in entries], whole=("at",),
                      title=f"audit log (times in {settings.campaign.timezone})")
    for e in entries:
        subject = e.post_key or (e.detail or {}).get("user") or (e.detail or {}).get("author")
        table.add_row(term(subject or ""), e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                      term(e.actor), term(e.action), term(e.section or ""),
                      term(e.reason or ""), f"{e.previous_status or ''} → {e.new_status or ''}")
    console.print(table)
