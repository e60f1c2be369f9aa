"""A participant's upload as a ``Post`` (source ``upload``, key ``upload:ID``): pure.

``raw`` keeps what the participant gave for the work and the consent they chose,
never their contact e-mail or address (those stay in the ``upload`` table).
The exports read the consent back with ``upload_consent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cqfriends.normalize.post import Author, Media, Post

SOURCE = "upload"
CHANNELS = ("site", "led", "feeds")


@dataclass(frozen=True)
class UploadedWork:
    """What ``uploads.intake`` hands over: the stored upload and its archived file."""

    id: int
    participant: str  # a random author id shared by one e-mail's uploads
    section: str
    title: str
    description: str
    credit_name: str
    country: str
    kind: str  # photo | video
    duration_ms: int | None
    phash: str | None
    consent: dict[str, bool]
    terms_version: str
    received_at: datetime  # aware, UTC


def upload_post(work: UploadedWork) -> Post:
    text = "\n\n".join(part for part in (work.title.strip(), work.description.strip()) if part)
    raw: dict[str, Any] = {
        "title": work.title, "description": work.description, "section": work.section,
        "country": work.country, "kind": work.kind,
        "consent": {c: bool(work.consent.get(c)) for c in CHANNELS},
        "terms_version": work.terms_version, "received_at": work.received_at.isoformat()}
    return Post(
        source=SOURCE, source_id=str(work.id), url="",
        author=Author(id=work.participant, name=work.credit_name.strip()),
        text=text, created_at=work.received_at, collected_at=work.received_at,
        hashtags=_hashtags(text), media=[Media(
            "video" if work.kind == "video" else "photo", duration_ms=work.duration_ms,
            phash=work.phash)], raw=raw)


def _hashtags(text: str) -> list[str]:
    import re

    return sorted({t.lower() for t in re.findall(r"[#＃](\w+)", text)})


def upload_consent(raw: dict[str, Any] | None, channel: str) -> bool:
    """Whether an upload's participant allowed ``channel`` (site, led, feeds)."""
    consent = (raw or {}).get("consent")
    return isinstance(consent, dict) and bool(consent.get(channel))
