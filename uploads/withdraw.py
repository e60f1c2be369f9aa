"""What a participant sees and does with their receipt: the status, and withdrawal.

Withdrawing is a takedown by the participant, audited like a moderator's (actor
``participant``; the detail names the upload, never the e-mail): the post
becomes ``removed`` whatever its state, so every output drops it (the exports
mirror takedowns), its archived files are deleted, and the contact data with it.
``purge_contacts`` deletes all contact data ``uploads.retention_days`` after
``campaign.ends``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy.engine import Engine

from cqfriends.errors import NotFound
from cqfriends.i18n.translate import N_, msg
from cqfriends.media.takedown import remove_post_media
from cqfriends.moderation.decisions import Decision, apply_decision, snapshot
from cqfriends.moderation.queue import forget_counts
from cqfriends.settings import Settings
from cqfriends.store.audit import add_audit_entry
from cqfriends.store.db import session_scope
from cqfriends.store.models import UploadRow
from cqfriends.store.queue import lock_post
from cqfriends.store.uploads import (
    clear_all_contacts,
    clear_contact,
    find_by_receipt,
    upload_status,
)
from cqfriends.uploads.intake import receipt_hash

log = logging.getLogger(__name__)
ACTOR = "participant"
WITHDRAWN = "withdrawn by the participant"
# The participant's words for the post's status.
STATUS = {"collected": N_("received"), "pending": N_("in review"),
          "approved": N_("shown on the theme page"), "rejected": N_("not selected"),
          "duplicate": N_("not selected"), "removed": N_("withdrawn")}


@dataclass(frozen=True)
class ReceiptView:
    upload: UploadRow
    status: str  # the post's status
    words: str  # STATUS[status]
    section: str | None
    post_key: str | None
    taken_down: bool  # removed by the organisers rather than withdrawn


def read_receipt(*, engine: Engine, code: str) -> ReceiptView:
    with session_scope(engine) as session:
        upload = find_by_receipt(session=session, receipt_hash=receipt_hash(code))
        if upload is None:
            raise NotFound(msg("no upload has this receipt code"))
        status, section, post = upload_status(session=session, post_id=upload.post_id)
        session.expunge(upload)
        taken_down = status == "removed" and upload.withdrawn_at is None
        return ReceiptView(upload, status, STATUS.get(status, status), section,
                           post.key if post else None, taken_down)


def withdraw(*, engine: Engine, settings: Settings, code: str, now: datetime) -> bool:
    """Take the work down everywhere; False when it was withdrawn already."""
    with session_scope(engine, write=True) as session:
        upload = find_by_receipt(session=session, receipt_hash=receipt_hash(code))
        if upload is None:
            raise NotFound(msg("no upload has this receipt code"))
        if upload.withdrawn_at is not None:
            return False
        upload.withdrawn_at = now
        session.add(upload)
        clear_contact(session=session, upload_id=upload.id or 0, now=now)
        post = lock_post(session=session, key=f"upload:{upload.id}")
        if post is not None and post.status != "removed":
            previous = snapshot(post)
            apply_decision(post, Decision("takedown", reason=WITHDRAWN), ACTOR, now)
            session.add(post)
            add_audit_entry(session=session, actor=ACTOR, action="takedown", post=post,
                            section=post.section, reason=WITHDRAWN,
                            previous_status=previous["status"], new_status=post.status,
                            detail={"version": post.version, "previous": previous,
                                    "upload": upload.id})
        post_id = post.id if post is not None else None
    forget_counts(engine)
    if post_id is not None:
        remove_post_media(engine=engine, settings=settings, post_id=post_id)
    log.info("upload %s withdrawn by the participant", upload.id)
    return True


def purge_contacts(*, engine: Engine, settings: Settings, now: datetime) -> int:
    """Delete all contact data once ``uploads.retention_days`` after the campaign passed."""
    ends = settings.campaign.ends
    if ends is None:
        return 0
    last = datetime.combine(ends, time.max, settings.campaign.tz)
    if now < last + timedelta(days=settings.uploads.retention_days):
        return 0
    with session_scope(engine, write=True) as session:
        cleared = clear_all_contacts(session=session, now=now)
    if cleared:
        log.info("uploads: contact data of %d works deleted (retention ended)", cleared)
    return cleared
