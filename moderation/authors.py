"""Blocking and trusting authors from the console: stored, audited, applied at once.

A rule made here joins ``rules.blocked_authors`` / ``rules.allowed_authors`` of
config.yaml (which stay the initial lists): the checks read both, the souvenir
draw skips blocked accounts, and the author's undecided posts get their
``blocked-author`` / ``allowed-author`` flag straight away.  A rule applies to
every account linked to the same person (store/identity.py) as well.  Rules only flag,
as the config lists do; moderators still decide.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from cqfriends.errors import BadInput, Forbidden, NotFound
from cqfriends.i18n.translate import msg
from cqfriends.moderation.checks.rules import author_keys, author_set, flag
from cqfriends.settings import Settings
from cqfriends.store.audit import add_audit_entry
from cqfriends.store.authors import (
    RULES,
    author_rule_keys,
    delete_author_rule,
    list_author_rules,
    normalize_key,
    open_posts_of,
    put_author_rule,
    set_flags,
)
from cqfriends.store.db import session_scope
from cqfriends.store.identity import linked_keys, list_people, person_rule_keys
from cqfriends.store.models import AuthorRule, PostRow, User

log = logging.getLogger(__name__)
SOURCES = ("twitter", "facebook", "instagram", "douyin", "tiktok", "upload")
AUTHOR_CODES = ("blocked-author", "allowed-author")
MANAGERS = ("moderator", "admin")


@dataclass(frozen=True)
class ConfigRule:
    """A rule from config.yaml, shown beside the stored ones (changed only in the file)."""

    key: str
    rule: str


def validate_rule(source: str, key: str, rule: str | None) -> None:
    if source not in SOURCES:
        raise BadInput(msg("source %(source)r: use one of %(sources)s", source=source,
                           sources=", ".join(SOURCES)))
    if not key or len(key) > 128 or not key.isprintable():
        raise BadInput(msg("the author needs an id or an @handle of at most 128 characters"))
    if rule is not None and rule not in RULES:
        raise BadInput(msg("rule %(rule)r: use block or trust", rule=rule))


def set_author_rule(*, engine: Engine, settings: Settings, user: User, source: str, key: str,
                    rule: str | None, label: str = "", note: str | None = None) -> int:
    """Block, trust (``rule``) or clear (None) one account; returns posts re-flagged now."""
    if user.role not in MANAGERS:
        raise Forbidden(msg("only moderators and admins block or trust authors"))
    key = normalize_key(key)
    validate_rule(source, key, rule)
    with session_scope(engine, write=True) as session:
        if rule is None:
            row = delete_author_rule(session=session, source=source, key=key)
            if row is None:
                raise NotFound(msg("no rule for %(source)s:%(key)s", source=source, key=key))
            previous: str | None = row.rule
        else:
            _, previous = put_author_rule(session=session, source=source, key=key, rule=rule,
                                          label=label[:200], note=note, actor=user.username)
        add_audit_entry(session=session, actor=user.username,
                        action=f"author-{rule or 'clear'}", reason=note,
                        detail={"author": f"{source}:{key}", "label": label,
                                "previous": previous, "note": note})
        blocked, trusted = person_rule_keys(session=session, blocked=blocked_set(settings, session),
                                            trusted=trusted_set(settings, session))
        posts = [post for account in sorted(linked_keys(session=session, keys={f"{source}:{key}"}))
                 for post in open_posts_of(session=session, source=account.split(":", 1)[0],
                                           key=account.split(":", 1)[1])]
        for post in posts:
            set_flags(session=session, post=post, flags=reflag(post, blocked, trusted))
    log.info("%s set the rule of %s:%s to %s", user.username, source, key, rule or "none")
    return len(posts)


def effective_rules(settings: Settings, blocked: set[str], trusted: set[str]
                    ) -> tuple[set[str], set[str]]:
    """Config lists and stored rules together, as ``source:key`` sets."""
    return (author_set(settings.rules.blocked_authors) | blocked,
            author_set(settings.rules.allowed_authors) | trusted)


def blocked_set(settings: Settings, session: Session) -> set[str]:
    return effective_rules(settings, *author_rule_keys(session=session))[0]


def trusted_set(settings: Settings, session: Session) -> set[str]:
    return effective_rules(settings, *author_rule_keys(session=session))[1]


def linked_people(*, engine: Engine) -> list[dict[str, object]]:
    """People with two or more linked accounts, for the authors panel."""
    with session_scope(engine) as session:
        return list_people(session=session)


def reflag(post: PostRow, blocked: set[str], trusted: set[str]) -> list[dict[str, str]]:
    """The post's flags with its author flags recomputed from ``blocked`` and ``trusted``."""
    keys = author_keys({"source": post.source, "author_id": post.author_id,
                        "author_handle": post.author_handle})
    flags = [f for f in post.flags or [] if f.get("code") not in AUTHOR_CODES]
    if hit := keys & blocked:
        flags.append(flag("blocked-author", f"{min(hit)} is blocked"))
    if hit := keys & trusted:
        flags.append(flag("allowed-author", f"{min(hit)} is allow-listed"))
    return flags


def author_rules(*, engine: Engine, settings: Settings) -> tuple[list[AuthorRule],
                                                                 list[ConfigRule]]:
    """Stored rules (newest first) and the rules of config.yaml."""
    with session_scope(engine) as session:
        stored = list_author_rules(session=session)
    from_config = [ConfigRule(k, "block") for k in settings.rules.blocked_authors]
    from_config += [ConfigRule(k, "trust") for k in settings.rules.allowed_authors]
    return stored, from_config
