"""Factories with fixed, readable defaults: ``make_post(text="...")``."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any

from cqfriends.normalize.post import Author, Media, Metrics, Post

_ids = count(1)
CREATED = datetime(2026, 10, 3, 12, 0, tzinfo=UTC)


def make_post(**overrides: Any) -> Post:
    n = next(_ids)
    source = overrides.pop("source", "twitter")
    fields: dict[str, Any] = {
        "source": source,
        "source_id": str(1500000000000000000 + n),
        "url": f"https://x.com/friend{n}/status/{1500000000000000000 + n}",
        "author": Author(id=str(1000 + n), name=f"Friend {n}", handle=f"friend{n}",
                         url=f"https://x.com/friend{n}"),
        "text": f"Morning walk number {n} along the Yangtze #ChongqingFriends",
        "created_at": CREATED,
        "collected_at": CREATED,
        "lang": "en",
        "hashtags": ["chongqingfriends"],
        "media": [Media(type="photo", url=f"https://pbs.twimg.com/media/p{n}.jpg")],
        "metrics": Metrics(likes=3, comments=1, shares=0, views=0),
        "raw": {"id": str(1500000000000000000 + n)},
    }
    fields.update(overrides)
    return Post(**fields)
