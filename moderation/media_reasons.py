"""Why a work's media could not be archived, in the moderator's words (translated where shown).

The archive records a precise reason in English (``HTTP 403 (the link has expired…)``,
``an HTML or text page, not a photo or video``…).  ``media_reason`` names its kind in
a sentence the catalog translates; the console shows that sentence, and the precise
reason beside it.
"""

from __future__ import annotations

import re

from cqfriends.i18n.translate import N_

# (pattern in the archive's reason, the explanation) — the first that matches wins.
REASONS = (
    (r"taken down", N_("The work was taken down; its files were deleted.")),
    (r"no link", N_("The platform gave no link to this file.")),
    (r"HTTP 40[34]|HTTP 410|expired|gone", N_("The platform's link has expired or the file "
                                              "was deleted there.")),
    (r"HTML or text page", N_("The platform sent a web page instead of the file.")),
    (r"pixels|bomb|frames", N_("The picture is too large to open safely.")),
    (r"too large|limit is", N_("The file is larger than the size limit.")),
    (r"codec|minutes|a video of", N_("The video's format, size or length cannot be shown.")),
    (r"private|loopback|link-local|not allowed|only http|scheme|resolve",
     N_("The link points to an address that is never fetched.")),
    (r"timed out|took too long|connection|interrupted|HTTP 5\d\d",
     N_("The platform could not be reached; no more retries.")),
    (r"decode|broken|neither|empty file|without a video|no frame",
     N_("The file is damaged or not a photo or video we can read.")),
    (r"not in the archive", N_("The archived copy is missing from the store.")),
)
FALLBACK = N_("The file could not be archived.")
_COMPILED = [(re.compile(pattern, re.IGNORECASE), text) for pattern, text in REASONS]


def media_reason(reason: str | None) -> str:
    """The catalog's explanation of an archive failure ``reason`` (English msgid)."""
    for pattern, text in _COMPILED:
        if reason and pattern.search(reason):
            return text
    return FALLBACK
