"""The moderator's answer to "same person?": confirm or split, remembered and audited.

The checks ask with a ``same-person`` flag naming the earlier work and its account
(moderation/checks/clusters.py).  ``confirm`` links both accounts to one person and
folds the post into that work as a cross-post; ``split`` keeps them apart and the
post stays in the queue, flagged ``possible-copy`` like any work close to another
person's.  Either answer is kept (identity_answer) and wins over the score in every
later check; the audit log names the two accounts, never anything more.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine
from sqlmodel import Session

from cqfriends.errors import BadInput, Conflict, Forbidden, NotFound
from cqfriends.i18n.translate import msg
from cqfriends.moderation.checks.clusters import (
    SAME_PERSON,
    detail_keys,
    members_detail,
    same_person_parts,
    with_flag,
)
from cqfriends.moderation.checks.dedup import platform
from cqfriends.moderation.checks.rules import flag
from cqfriends.moderation.queue import forget_counts
from cqfriends.store.audit import add_audit_entry
from cqfriends.store.authors import author_key
from cqfriends.store.db import session_scope
from cqfriends.store.identity import (
    Account,
    link_accounts,
    persons_of,
    put_answer,
    unlink_account,
)
from cqfriends.store.models import PostRow, User, utcnow
from cqfriends.store.queue import lock_post

log = logging.getLogger(__name__)
ANSWERS = {"confirm": "same", "split": "different"}
DECIDERS = ("moderator", "admin")


def answer_same_person(*, engine: Engine, user: User, key: str, answer: str,
                       version: int | None = None) -> PostRow:
    """Confirm (same person: fold) or split (two people) the question on post ``key``."""
    if user.role not in DECIDERS:
        raise Forbidden(msg("only moderators and admins answer \"same person?\""))
    if answer not in ANSWERS:
        raise BadInput(msg("answer %(answer)r: use confirm or split", answer=answer))
    with session_scope(engine, write=True) as session:
        post = lock_post(session=session, key=key)
        if post is None:
            raise NotFound(msg("no post %(key)s", key=key))
        if version is not None and post.version != version:
            raise Conflict(msg("%(key)s changed since you saw it; look again", key=key))
        question = next((f for f in post.flags or [] if f.get("code") == SAME_PERSON), None)
        parts = same_person_parts(question["detail"]) if question else None
        if parts is None:
            raise Conflict(msg("%(key)s asks no \"same person?\" question", key=key))
        work, other = parts
        mine = (post.source, author_key(post.author_id, post.author_handle or ""))
        theirs: Account = tuple(other.split(":", 1))  # type: ignore[assignment]
        put_answer(session=session, a=mine, b=theirs, answer=ANSWERS[answer],
                   actor=user.username)
        previous = post.status
        if answer == "confirm":
            canonical = lock_post(session=session, key=work)
            labels = {mine: _label(post), **({theirs: _label(canonical)} if canonical else {})}
            link_accounts(session=session, links=[(mine, theirs, 1.0)], linked_by=user.username,
                          labels=labels)
            _fold(session, post, canonical, work, user.username)
        else:
            linked = persons_of(session=session, accounts=[mine, theirs])
            if len(linked) == 2 and len(set(linked.values())) == 1:
                unlink_account(session=session, account=mine)
            post.flags = [f for f in post.flags if f.get("code") != SAME_PERSON] + [flag(
                "possible-copy", f"same work as earlier {work} by another person "
                                 f"(split by {user.username})")]
        post.version += 1
        post.changed_at = utcnow()
        session.add(post)
        add_audit_entry(session=session, actor=user.username, action=f"identity-{answer}",
                        post=post, previous_status=previous, new_status=post.status,
                        detail={"accounts": [":".join(mine), other], "work": work})
    forget_counts(engine)
    log.info("%s answered same person? %s for %s", user.username, answer, key)
    return post


def _fold(session: Session, post: PostRow, canonical: PostRow | None, work: str,
          actor: str) -> None:
    """The post becomes a member of ``work``'s cluster, as the checks fold a cross-post."""
    flags = [f for f in post.flags if f.get("code") != SAME_PERSON]
    post.flags = flags + [flag("cross-post", f"same work as {work} ({platform(work.split(':')[0])})"
                                             f" by the same person (confirmed by {actor})")]
    if post.decided_by is None:
        post.status, post.duplicate_of = "duplicate", work
    if canonical is not None:
        old = next((f for f in canonical.flags or [] if f["code"] == "cross-post"
                    and f["detail"].startswith("also on ")), None)
        keys = detail_keys(old["detail"]) if old else []
        keys += [] if post.key in keys else [post.key]
        canonical.flags = with_flag(canonical.flags or [], flag("cross-post",
                                                               members_detail(keys)), replace=True)
        session.add(canonical)


def _label(post: PostRow) -> str:
    handle = f" @{post.author_handle}" if post.author_handle else ""
    return f"{post.author_name or ''}{handle}".strip()
