from concurrent.futures import ThreadPoolExecutor

import pytest

from cqfriends.moderation.checks import language
from cqfriends.moderation.checks.language import (
    Language,
    decide,
    detect_one,
    iso_code,
    script_language,
)
from cqfriends.moderation.checks.text import language_text


@pytest.mark.parametrize(("tag", "expected"), [
    ("en", "en"), ("zh-cn", "zh"), ("zh-TW", "zh"), ("zh", "zh"), ("pt-BR", "pt"),
    ("und", None), ("qme", None), ("qht", None), ("qam", None), ("zxx", None), ("art", None),
    ("", None), (None, None), ("in", "id"),
])
def test_iso_code(tag: str | None, expected: str | None) -> None:
    assert iso_code(tag) == expected


def _decide(text: str, platform: str | None = None, detected: tuple[str, float] | None = None
            ) -> Language:
    cleaned = language_text(text)
    if detected is None and language.needs_detection(platform_lang=platform, cleaned=cleaned,
                                                     min_chars=8):
        detected = detect_one(cleaned)
    return decide(platform_lang=platform, detected=detected, cleaned=cleaned,
                  min_confidence=0.8, min_chars=8)


@pytest.mark.parametrize(("text", "platform", "lang"), [
    # the platform's own real tag wins, with full confidence
    ("Hotpot night with friends", "en", "en"),
    ("Hola amigos, una noche en Chongqing", "es", "es"),
    # placeholder tags mean "detect"
    ("The cable car over the Yangtze river was the best part of the whole trip", "und", "en"),
    ("Le téléphérique au-dessus du Yangtsé était magnifique ce soir avec mes amis", "qme", "fr"),
    # mixed Chinese captions with Latin hashtags: cleaned first, so still Chinese
    ("今天在解放碑吃火锅，太辣了但是很好吃！#ChongqingFriends #hotpot #foodie #travel", None, "zh"),
    ("我们一起去洪崖洞看夜景 #ChongqingFriends #NightView", None, "zh"),
    ("오늘 충칭에서 훠궈를 먹었어요 정말 맛있어요 #ChongqingFriends", None, "ko"),
    ("重慶の夜景はとてもきれいです #ChongqingFriends", None, "ja"),
    ("Вечер на набережной в Чунцине, огни реки просто невероятные", None, "ru"),
    # emoji-only, hashtag-only and very short captions are undetermined, not guessed
    ("🌶️🔥😍👍🏽", None, "und"),
    ("#ChongqingFriends #hotpot https://t.co/x", None, "und"),
    ("Wow!", None, "und"),
])
def test_language_of_captions(text: str, platform: str | None, lang: str) -> None:
    assert _decide(text, platform).lang == lang


def test_low_confidence_guess_is_uncertain() -> None:
    result = _decide("a long enough caption here", detected=("fr", 0.55))
    assert result == Language("und", 0.55, uncertain=True)


def test_too_short_text_is_und_but_not_uncertain() -> None:
    assert _decide("ok!") == Language("und", 0.0)


@pytest.mark.parametrize(("text", "expected"), [
    ("今天吃火锅", "zh"), ("오늘 훠궈", "ko"), ("夜景はきれい", "ja"), ("hello", None),
    ("今天 hotpot very good", None),
])
def test_script_language(text: str, expected: str | None) -> None:
    assert script_language(text) == expected


def test_detection_is_deterministic_across_threads() -> None:
    texts = ["Una noche increíble en Chongqing con amigos y comida picante",
             "Eine wunderschöne Nacht in Chongqing mit Freunden und scharfem Essen",
             "ok cool nice view"] * 8
    first = [detect_one(t) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(detect_one, texts)) == first
    assert first[0][0] == "es" and first[1][0] == "de"


def test_pool_gives_the_same_answers_as_in_process() -> None:
    texts = [f"Una noche increíble en Chongqing con amigos número {i}" for i in range(70)]
    pool = language.open_pool(2)
    try:
        assert language.detect_many(texts, pool) == language.detect_many(texts)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
