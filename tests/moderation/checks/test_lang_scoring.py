"""lang_scoring against stock langdetect: same seed, same trials, same answers."""

import random

import pytest

from cqfriends.moderation.checks import lang_scoring, language
from cqfriends.moderation.checks.language import detect_one, iso_code

CAPTIONS = [
    "Hotpot night with friends by the river, the cable car lights were amazing",
    "We took the monorail through the building at Liziba station",
    "Best noodles in town, xiao mian for breakfast every single day",
    "Una noche increíble en Chongqing con amigos y comida picante",
    "Subimos al teleférico sobre el río Yangtsé al atardecer",
    "Le téléphérique au-dessus du Yangtsé était magnifique ce soir",
    "Nous avons mangé une fondue chinoise très épicée avec nos amis",
    "Eine wunderschöne Nacht in Chongqing mit Freunden und scharfem Essen",
    "Die Seilbahn über den Jangtse war das Beste an der ganzen Reise",
    "Uma noite incrível em Chongqing com amigos e comida apimentada",
    "Fomos ao mercado de noite e provamos tudo o que havia",
    "Una serata bellissima a Chongqing con gli amici e cibo piccante",
    "Abbiamo preso la funivia sopra il fiume al tramonto",
    "Вечер на набережной в Чунцине, огни реки просто невероятные",
    "Мы ели острый хого с друзьями до самой ночи",
    "Malam yang luar biasa di Chongqing bersama teman-teman",
    "Kami naik kereta gantung di atas sungai saat matahari terbenam",
    "Một đêm tuyệt vời ở Trùng Khánh với bạn bè và lẩu cay",
    "Chúng tôi đi cáp treo qua sông Dương Tử lúc hoàng hôn",
    "ค่ำคืนที่แสนวิเศษในฉงชิ่งกับเพื่อนๆ และหม้อไฟรสเผ็ด",
    "ليلة رائعة في تشونغتشينغ مع الأصدقاء والطعام الحار",
    "चोंगकिंग में दोस्तों के साथ एक शानदार रात और मसालेदार खाना",
    "Een geweldige avond in Chongqing met vrienden en pittig eten",
    "En fantastisk kväll i Chongqing med vänner och stark mat",
    "Harika bir gece, Chongqing'de arkadaşlarla acılı yemek",
    "Wspaniały wieczór w Chongqing z przyjaciółmi i ostrym jedzeniem",
    "今天在解放碑吃火锅 hotpot with friends",
    "ok cool nice view",
    "so good!!! wow amazing trip",
    "Ciao! Bellissimo",
]


def _variants() -> list[str]:
    texts = list(CAPTIONS)
    for i, text in enumerate(CAPTIONS):
        words = text.split()
        texts.append(" ".join(words[: max(2, len(words) // 3)]))  # short: slow to converge
        texts.append(" ".join(reversed(words)))
        texts.append(f"{text} {CAPTIONS[(i + 7) % len(CAPTIONS)]}")  # two languages
        texts.append(text.upper())  # capital words are skipped
        texts.append(f"{text} https://t.co/abc mail@example.com {text.lower()}")
        texts.append(text[: len(text) // 2])
    return texts


def _stock(text: str) -> tuple[str, float]:
    from langdetect.detector_factory import _factory
    from langdetect.lang_detect_exception import LangDetectException

    detector = _factory.create()
    detector.n_trial = language.TRIALS
    detector.append(text)
    try:
        best = detector.get_probabilities()[0]
    except (LangDetectException, IndexError):
        return "und", 0.0
    return iso_code(best.lang) or "und", best.prob


def test_numpy_scoring_matches_stock_langdetect() -> None:
    language.load_profiles()
    texts = _variants()
    assert len(texts) >= 200
    pairs = [(_stock(t), detect_one(t)) for t in texts]
    same = sum(ours[0] == theirs[0] for theirs, ours in pairs)
    close = sum(abs(ours[1] - theirs[1]) < 1e-3 for theirs, ours in pairs)
    assert same >= 0.99 * len(texts) and close >= 0.99 * len(texts), (same, close, len(texts))


@pytest.mark.parametrize("n", [1, 2, 3, 5, 64, 100, 1000, 4097])
def test_draws_follow_random_choice(n: int) -> None:
    language.load_profiles()
    rng = random.Random(0)
    expected = [rng.choice(range(n)) for _ in range(300)]
    picks, words = lang_scoring._draws(0, n, 300)
    assert picks.tolist() == expected
    replay = random.Random(0)
    replay.getrandbits(32 * int(words[-1]))  # the words used up, as 32-bit outputs
    assert replay.random() == rng.random()
