"""Identity scoring: the same work on two platforms, weighed with the names (identity.py)."""

from __future__ import annotations

import pytest

from cqfriends.moderation.checks.identity import (
    Evidence,
    close_pictures,
    judge,
    phash_distance,
)


def ev(text=0.0, media=False, picture=False, names=0.0, hours=3.0, screen=False):
    return Evidence(text_score=text, same_media=media, close_picture=picture, names=names,
                    hours_apart=hours, screen_name=screen)


@pytest.mark.parametrize(("evidence", "verdict"), [
    (ev(text=96, names=1.0), "same"),  # same name folded, same caption
    (ev(text=92, names=0.81), "same"),  # "Mei T.": an initial
    (ev(text=90, picture=True, names=0.6), "same"),  # "Mei ✈️ Chongqing", same photo
    (ev(media=True, names=0.95), "same"),  # "meitan", identical media link
    (ev(text=95, names=0.6), "ask"),  # given name only, caption only
    (ev(text=95, picture=True, names=0.0), "ask"),  # unrelated screen name, same work
    (ev(text=95, picture=True, names=0.25), "ask"),  # a shared first name, clashing surname
    (ev(text=93, names=0.25), "no"),  # a clashing surname and only a caption: a copy
    (ev(picture=True, names=0.6), "ask"),
    (ev(picture=True, names=0.0), "no"),  # someone else's post with the same photo
    (ev(media=True, names=0.25), "no"),
    (ev(text=99, names=0.0), "no"),  # a copy by another person
    # a screen name with the same caption and picture within hours: the author again
    (ev(text=96, picture=True, names=0.0, screen=True), "same"),
    (ev(text=96, media=True, names=0.0, screen=True), "same"),
    (ev(text=90, picture=True, names=0.0, screen=True), "ask"),  # the caption edited more
    (ev(text=99, names=0.0, screen=True), "no"),  # a caption alone: a copy
    (ev(text=99, picture=True, names=0.25, screen=True), "ask"),  # a clashing name
    (ev(text=99, picture=True, names=0.0, screen=True, hours=30), "no"),
    # beyond cross_post_hours only the same name (written any way) folds, as an identical one
    (ev(text=99, picture=True, names=1.0, hours=30), "same"),
    (ev(text=92, names=0.88, hours=80), "same"),  # "Anna Mueller" for "Anna Müller"
    (ev(text=99, names=0.81, hours=30), "no"),  # "Mei T.": too weak without the window
    (ev(text=99, picture=True, names=0.6, hours=30), "no"),
    (ev(picture=True, names=1.0, hours=30), "same"),
    (ev(names=1.0, hours=30), "no"),  # no work in common
])
def test_verdicts(evidence, verdict):
    assert judge(evidence, threshold=88, cross_post_hours=24).kind == verdict


@pytest.mark.parametrize(("answer", "evidence", "verdict"), [
    ("same", ev(names=0.0), "same"),
    ("different", ev(text=100, media=True, names=1.0), "no"),
    ("different", ev(text=100, names=1.0, hours=1), "no"),
])
def test_a_moderators_answer_beats_the_score(answer, evidence, verdict):
    assert judge(evidence, threshold=88, cross_post_hours=24, answer=answer).kind == verdict


def test_scores_grow_with_evidence():
    weak = judge(ev(text=89, names=0.6), threshold=88, cross_post_hours=24)
    strong = judge(ev(text=99, picture=True, names=0.6), threshold=88, cross_post_hours=24)
    assert 0 < weak.score < strong.score <= 1
    assert "caption 99% alike" in strong.why and "same picture" in strong.why


@pytest.mark.parametrize(("a", "b", "distance"), [
    ("ffffffffffffffff", "ffffffffffffffff", 0), ("ffffffffffffffff", "fffffffffffffff0", 4),
    ("0000000000000000", "ffffffffffffffff", 64), ("", "ff", None), ("zz", "ff", None),
    (None, "ff", None), ("ff", "fff", None),
])
def test_phash_distance(a, b, distance):
    assert phash_distance(a, b) == distance


def test_close_pictures():
    assert close_pictures(["ffffffffffffffff"], ["00", "fffffffffffffff0"])
    assert not close_pictures(["ffffffffffffffff"], ["00000000ffffffff"])
    assert not close_pictures([], ["ffffffffffffffff"])
