"""Fresh media links of one post, asked of its platform when a stored link expired.

Meta's CDN links carry an ``oe=`` expiry and answer 403 after a few days; X's
mostly last, but a deleted tweet's files go 404.  The archive (media/) asks
once per post and run, through these look-ups, and retries once:

- Instagram: ``GET /{id}?fields=media_type,media_url,thumbnail_url,children{...}``;
- Facebook: ``GET /{id}?fields=attachments{...},full_picture`` (the post's attachments);
- X: ``GET /2/tweets?ids={id}`` with the ``attachments.media_keys`` expansion
  (``collectors.twitter.fetch_tweets``).

Each returns the raw ``RawRecord`` page, which the normal normalizers map to
``Post.media`` (same items, same order as when the post was collected).  Errors
are the collectors' own (``call_graph``/``call_api``), mapped at the boundary.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from cqfriends.normalize.post import RawRecord
from cqfriends.settings import FacebookSource, TwitterSource

IG_MEDIA_FIELDS = ",".join([
    "id", "media_type", "media_url", "thumbnail_url", "permalink", "timestamp",
    "children{media_type,media_url,thumbnail_url}",
])
FB_MEDIA_FIELDS = ",".join([
    "id", "created_time", "permalink_url", "full_picture",
    "attachments{media,media_type,type,url,subattachments}",
])


def lookup_graph_media(cfg: FacebookSource, source: str, source_id: str, graph: Any = None,
                       *, sleep: Any = time.sleep) -> RawRecord:
    """One Instagram media or Facebook post by id, as a one-item Graph page."""
    from cqfriends.collectors.facebook import call_graph, describe_request, make_graph

    graph = graph or make_graph(cfg)
    fields = IG_MEDIA_FIELDS if source == "instagram" else FB_MEDIA_FIELDS
    path, args = f"{cfg.graph_version}/{source_id}", {"fields": fields}
    item = call_graph(graph, cfg, path, args, sleep=sleep)
    return RawRecord(source="facebook", kind="graph_page", data={"data": [item]},
                     origin=describe_request(path, args), fetched_at=datetime.now(UTC))


def lookup_tweet_media(cfg: TwitterSource, tweet_id: str, client: Any = None,
                       *, sleep: Any = time.sleep) -> RawRecord:
    """One tweet by id with its media expansion (a ``tweets_page``)."""
    from cqfriends.collectors.twitter import fetch_tweets

    return next(iter(fetch_tweets(cfg, [tweet_id], client, sleep=sleep)))
