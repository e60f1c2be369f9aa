"""The upload form's fields (``POST /upload``), checked: what the participant told us.

Everything here is untrusted: lengths are capped, control characters dropped,
and the e-mail only loosely checked (it is for our letters, never shown).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from cqfriends.i18n.translate import msg
from cqfriends.uploads.errors import UploadRefused

LIMITS = {"title": 200, "description": 5000, "credit_name": 100, "country": 100, "email": 254}
EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\".]+$")
TICKED = ("on", "true", "1", "yes")


@dataclass(frozen=True)
class UploadForm:
    section: str
    title: str
    description: str
    credit_name: str
    country: str
    email: str
    consent_site: bool
    consent_led: bool
    consent_feeds: bool

    @property
    def consent(self) -> dict[str, bool]:
        return {"site": self.consent_site, "led": self.consent_led, "feeds": self.consent_feeds}


def clean_text(value: str, limit: int, *, lines: bool = False) -> str:
    kept = "".join(ch for ch in value if ch in "\n\t" and lines or
                   unicodedata.category(ch)[0] != "C")
    kept = unicodedata.normalize("NFC", kept).strip()
    if len(kept) > limit:
        raise UploadRefused(msg("a field is longer than %(limit)s characters", limit=limit))
    return kept


def read_form(fields: dict[str, str], sections: list[str]) -> UploadForm:
    values = {name: clean_text(fields.get(name, ""), limit, lines=name == "description")
              for name, limit in LIMITS.items()}
    section = fields.get("section", "")
    if section not in sections:
        raise UploadRefused(msg("choose one of the sections"))
    if not values["title"]:
        raise UploadRefused(msg("give your work a title"))
    if not values["credit_name"]:
        raise UploadRefused(msg("give the name to credit"))
    if not EMAIL.match(values["email"]):
        raise UploadRefused(msg("give an e-mail address we can write to"))
    ticked = {name: fields.get(name, "").lower() in TICKED
              for name in ("consent_site", "consent_led", "consent_feeds")}
    if not ticked["consent_site"]:
        raise UploadRefused(msg("to take part, agree to show your work on the theme page"))
    return UploadForm(section=section, **values, **ticked)
