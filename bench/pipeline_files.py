"""The checks corpus written as the files people import: X search pages (JSONL), Facebook
Graph pages (JSONL), Douyin captures (Zeeschuimer NDJSON); one file per platform per part."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cqfriends.normalize.post import Post

PAGE = 100
TIME = "%Y-%m-%dT%H:%M:%S.000Z"


def tweet(post: Post) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """(tweet, user, media) of an X API v2 search page."""
    keys = [f"3_{post.source_id}{i}" for i in range(len(post.media))]
    data: dict[str, Any] = {
        "id": post.source_id, "text": post.text, "author_id": post.author.id,
        "created_at": post.created_at.strftime(TIME), "lang": post.lang or "und",
        "edit_history_tweet_ids": [post.source_id],
        "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1,
                           "quote_count": 0},
        "entities": {"hashtags": [{"start": 0, "end": 1, "tag": t} for t in post.hashtags]}}
    if keys:
        data["attachments"] = {"media_keys": keys}
    if post.repost_of and post.repost_of.startswith("twitter:"):
        data["referenced_tweets"] = [{"type": "retweeted", "id": post.repost_of.split(":")[1]}]
    user = {"id": post.author.id, "name": post.author.name, "username": post.author.handle}
    media = [{"media_key": k, "type": "photo", "url": m.url}
             for k, m in zip(keys, post.media, strict=True)]
    return data, user, media


def facebook_item(post: Post) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": post.source_id, "created_time": post.created_at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "message": post.text, "permalink_url": post.url,
        "from": {"name": post.author.name, "id": post.author.id}}
    if post.media:
        item["full_picture"] = post.media[0].url
    return item


def douyin_item(post: Post) -> dict[str, Any]:
    cover = post.media[0].url if post.media else ""
    return {"item_id": post.source_id, "source_platform": "douyin.com", "data": {
        "aweme_id": post.source_id, "desc": post.text,
        "create_time": int(post.created_at.timestamp()),
        "author": {"uid": post.author.id, "unique_id": post.author.handle,
                   "nickname": post.author.name, "sec_uid": f"MS4w{post.author.id}"},
        "statistics": {"digg_count": 1, "comment_count": 0, "share_count": 0, "play_count": 10},
        "video": {"play_addr": {"url_list": [f"https://v.douyin.example/{post.source_id}.mp4"]},
                  "cover": {"url_list": [cover]} if cover else {}, "duration": 15000}}}


def write_files(posts: Iterable[Post], folder: Path) -> dict[str, Path]:
    """One file per platform; returns {source: path}."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"twitter": folder / "x-search.jsonl", "facebook": folder / "facebook-feed.jsonl",
             "douyin": folder / "douyin-topic.ndjson"}
    handles = {s: p.open("w", encoding="utf-8") for s, p in paths.items()}
    page: list[Post] = []
    facebook: list[dict[str, Any]] = []
    for post in posts:
        if post.source == "twitter":
            page.append(post)
            if len(page) == PAGE:
                _write_page(handles["twitter"], page)
                page = []
        elif post.source == "facebook":  # one Graph page of PAGE posts per line, as saved
            facebook.append(facebook_item(post))
            if len(facebook) == PAGE:
                _write_line(handles["facebook"], {"data": facebook})
                facebook = []
        else:
            _write_line(handles["douyin"], douyin_item(post))
    if page:
        _write_page(handles["twitter"], page)
    if facebook:
        _write_line(handles["facebook"], {"data": facebook})
    for handle in handles.values():
        handle.close()
    return paths


def _write_line(handle: Any, value: Any) -> None:
    handle.write(json.dumps(value, ensure_ascii=False) + "\n")


def _write_page(handle: Any, posts: list[Post]) -> None:
    parts = [tweet(p) for p in posts]
    users = list({u["id"]: u for _, u, _ in parts}.values())
    page = {"data": [t for t, _, _ in parts], "includes": {
        "users": users, "media": [m for _, _, ms in parts for m in ms]},
        "meta": {"result_count": len(parts)}}
    _write_line(handle, page)
