"""Language identification: the platform's own tag when real, else langdetect on cleaned text.

langdetect is made deterministic (``DetectorFactory.seed = 0``) and its
profiles are loaded once under a lock before any thread or worker uses them
(its lazy first load is not thread-safe).  Threads give it no speed-up, so
large batches go to a small process pool.  Raw detections are cached by the
hash of the cleaned text (store/checks.py); thresholds apply after the cache,
so changing ``languages.min_confidence`` needs no re-detection.

langdetect's scoring loop (55 languages in pure Python per random n-gram) is
replaced by array operations over the same profiles (lang_scoring.py): same
n-grams, same seeded random draws, same convergence checks, so the answers
are langdetect's, about 3x faster at 3 trials (more with more trials).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import multiprocessing
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cqfriends.moderation.checks import lang_scoring

log = logging.getLogger(__name__)
NO_LANGUAGE = frozenset({"und", "qme", "qht", "qam", "zxx", "art", ""})
ALIASES = {"zh-cn": "zh", "zh-tw": "zh", "zh-hans": "zh", "zh-hant": "zh", "in": "id",
           "iw": "he", "ji": "yi", "jw": "jv"}
POOL_MIN_TEXTS = 64  # fewer texts than this are detected in-process
# langdetect averages 7 random trials by default.  Measured on the lingua eval
# sentences (15 languages x 300): 7 trials 99.13 % at 1.33 ms/text, 3 trials
# 99.07 % at 0.67 ms/text (stock langdetect).  With lang_scoring, bench/lang_eval.py
# sentences / word pairs: 3 trials 97.8 / 60.9 %, 5: 98.4 / 62.3 %, 7: 98.2 / 61.5 %;
# bench/checks.py --posts 10000: 1,823 / 1,588 / 1,538 posts/s (language-uncertain 306 /
# 225 / 275).  None reaches 3,000 posts/s (duplicates dominate now), so the fastest: 3.
TRIALS = 3
_lock = threading.Lock()
_loaded = False


@dataclass(frozen=True, slots=True)
class Language:
    lang: str  # ISO 639-1, or "und"
    confidence: float
    uncertain: bool = False  # a guess below min_confidence (not merely too short)


def load_profiles() -> None:
    """Seed langdetect and load its profiles exactly once, before any concurrent use."""
    global _loaded
    with _lock:
        if _loaded:
            return
        from langdetect import DetectorFactory
        from langdetect.detector_factory import init_factory

        DetectorFactory.seed = 0
        init_factory()
        from langdetect.detector_factory import _factory

        lang_scoring.load(_factory)
        _loaded = True


def iso_code(tag: str | None) -> str | None:
    """A platform or langdetect tag as ISO 639-1 (``zh-TW`` -> ``zh``); None if not a language."""
    if not tag:
        return None
    tag = tag.strip().lower().replace("_", "-")
    if tag in NO_LANGUAGE:
        return None
    return ALIASES.get(tag) or ALIASES.get(tag.split("-")[0]) or tag.split("-")[0]


def text_hash(cleaned: str) -> str:
    return hashlib.sha1(cleaned.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1 << 14)  # the same captions come again (copies, a recheck)
def weighted_length(cleaned: str) -> int:
    """Letters, an ideograph/syllable block counting as two (they carry more than a letter)."""
    return _letters(cleaned) + _letters("".join(_WIDE.findall(cleaned)))


def _letters(text: str) -> int:
    return sum(map(str.isalpha, text))


_WIDE = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_KANA = re.compile("[\u3040-\u30ff]")
_HANGUL = re.compile("[\uac00-\ud7af\u1100-\u11ff]")
_HAN = re.compile("[\u4e00-\u9fff\u3400-\u4dbf]")
_THAI = re.compile("[\u0e00-\u0e7f]")


@functools.lru_cache(maxsize=1 << 14)
def script_language(cleaned: str) -> str | None:
    """Scripts used by one language only: Hangul, kana, Thai; pure Han is Chinese."""
    total = _letters(cleaned)  # letters only; the ranges do not overlap
    counts = {name: _letters("".join(pattern.findall(cleaned))) for name, pattern in (
        ("kana", _KANA), ("hangul", _HANGUL), ("han", _HAN), ("thai", _THAI))}
    counts["other"] = total - sum(counts.values())
    if not total or counts["other"] > 0.1 * total:
        return None
    if counts["kana"]:
        return "ja"
    if counts["hangul"] > counts["han"]:
        return "ko"
    if counts["thai"] > 0.9 * total:
        return "th"
    return "zh" if counts["han"] > 0.9 * total else None


def detect_one(cleaned: str) -> tuple[str, float]:
    """langdetect's best guess for cleaned text: (ISO code, probability)."""
    load_profiles()
    from langdetect.detector_factory import _factory

    rows = lang_scoring.ngram_rows(cleaned)
    if not rows:
        return "und", 0.0
    prob = lang_scoring.score(rows, trials=TRIALS)
    best = int(np.argmax(prob))  # the first of equals, as langdetect's stable sort
    if prob[best] <= lang_scoring.PROB_THRESHOLD:
        return "und", 0.0
    return iso_code(_factory.langlist[best]) or "und", round(float(prob[best]), 4)


def detect_many(texts: Sequence[str], pool: Any = None) -> list[tuple[str, float]]:
    if pool is not None and len(texts) >= POOL_MIN_TEXTS:
        return pool.map(detect_one, texts, chunksize=32)
    return [detect_one(t) for t in texts]


def open_pool(workers: int, *, preload: bool = True) -> Any:
    """A process pool for detection, or None when one process is all there is.

    ``workers`` 0 means one per CPU, counting the checking process itself: it
    checks duplicates and rules while the pool detects.  ``preload=False`` forks
    first and lets each worker load the profiles (about a second) while this
    process goes on with other work (``cqf import`` reads its files meanwhile).
    """
    cpus = os.cpu_count() or 1
    if workers == 1 or (not workers and cpus < 2):
        return None
    if preload:
        load_profiles()  # forked workers inherit loaded, seeded profiles
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return context.Pool(workers or cpus - 1, initializer=load_profiles)


def close_pool(pool: Any) -> None:
    """Stop the workers of a pool ``open_pool`` made (None: nothing to do)."""
    if pool is not None:
        pool.terminate()
        pool.join()


def settled(*, platform_lang: str | None, cleaned: str, min_chars: int) -> Language | None:
    """The language when no detection is needed (the platform's tag, too short, one script)."""
    if real := iso_code(platform_lang):
        return Language(real, 1.0)
    if weighted_length(cleaned) < min_chars:
        return Language("und", 0.0)
    if script := script_language(cleaned):
        return Language(script, 1.0)
    return None


def detected_language(detected: tuple[str, float] | None, *, min_confidence: float) -> Language:
    """The stored language from a detection (or none): uncertain below ``min_confidence``."""
    lang, confidence = detected or ("und", 0.0)
    if lang == "und" or confidence < min_confidence:
        return Language("und", confidence, uncertain=True)
    return Language(lang, confidence)


def decide(
    *, platform_lang: str | None, detected: tuple[str, float] | None, cleaned: str,
    min_confidence: float, min_chars: int,
) -> Language:
    """The stored language of a post from what the platform said and what was detected."""
    known = settled(platform_lang=platform_lang, cleaned=cleaned, min_chars=min_chars)
    return known or detected_language(detected, min_confidence=min_confidence)


def needs_detection(*, platform_lang: str | None, cleaned: str, min_chars: int) -> bool:
    return settled(platform_lang=platform_lang, cleaned=cleaned, min_chars=min_chars) is None
