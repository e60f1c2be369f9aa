"""Why an upload is refused, each with the HTTP status the page and the tus client get."""

from __future__ import annotations

from cqfriends.errors import CqfError


class UploadRefused(CqfError):
    """The upload cannot be taken; the message (a translatable ``msg``) says why."""

    http_status = 400


class TooLarge(UploadRefused):
    http_status = 413


class NotAccepted(UploadRefused):
    """Not a photo or video of the kinds the campaign takes (judged by content)."""

    http_status = 415


class TooMany(UploadRefused):
    http_status = 429

    def __init__(self, message: str, retry_after: int = 3600):
        self.retry_after = retry_after
        super().__init__(message)


class Closed(UploadRefused):
    http_status = 403
