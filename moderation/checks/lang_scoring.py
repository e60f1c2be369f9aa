"""langdetect's scoring as array operations: the same answers, several times faster.

langdetect (``Detector._detect_block``) scores a text in trials: from a
uniform start it multiplies, for one ``random.choice`` of the text's n-grams
at a time, every language's probability by (weight + the n-gram's profile
probability), in pure Python over 55 languages, and checks for convergence
every 5 draws.  Here the same draws come ahead of time from the same
Mersenne Twister stream (langdetect reseeds it for every text), the products
are sums of logarithms over blocks of draws, and the checks are read off at
the same draw counts, so the result is langdetect's up to rounding.  The
n-grams are langdetect's too (its cleaning and ``NGram`` rules, cached per
character and per word).  ``load`` must run once, under the caller's lock.
"""

from __future__ import annotations

import functools
import math
import random
import re
import threading
from typing import Any

import numpy as np

_rows: dict[str, int] = {}  # n-gram -> row of _matrix
_matrix: Any = None  # n-grams x languages, langdetect's word_lang_prob_map as float64
# langdetect.detector.Detector's constants
ALPHA, ALPHA_WIDTH, BASE_FREQ = 0.5, 0.05, 10000
CONV_THRESHOLD, LAST_CHECK, PROB_THRESHOLD = 0.99999, 1000, 0.1
BLOCKS = (46, 100, 200, 655)  # draws scored at a time; most trials stop within 46
UNDERFLOW = -745.0  # exp() of less is 0.0: where langdetect's running product hits zero
_lock = threading.Lock()
_word_rows: dict[str, tuple[int, ...]] = {}  # normalized word -> its n-grams' rows
WORD_CACHE = 200_000
MAX_TEXT = 10_000  # langdetect's max_text_length
MANY_SPACES = re.compile(" {2,}")
LATIN = re.compile("[A-z]")
NON_LATIN = re.compile("[\u0300-\U0010ffff]")
_words: Any = np.empty(0, dtype=np.uint32)  # random.Random(0)'s output, as far as needed
_bits: Any = None  # numpy's MT19937 in random.Random(0)'s state: the same algorithm


def load(factory: Any) -> None:
    """Index langdetect's loaded profiles: n-gram -> row of a float64 matrix; seed the stream."""
    global _matrix, _bits
    _bits = np.random.MT19937()
    internal = random.Random(factory.seed).getstate()[1]
    _bits.state = {"bit_generator": "MT19937", "state": {
        "key": np.array(internal[:-1], dtype=np.uint32), "pos": internal[-1]}}
    probs = factory.word_lang_prob_map
    _rows.update((word, row) for row, word in enumerate(probs))
    _matrix = np.array(list(probs.values()), dtype=np.float64)


def ngram_rows(cleaned: str) -> list[int]:
    """Profile rows of the n-grams langdetect's ``append``, ``cleaning_text`` and
    ``_extract_ngrams`` find, in order.

    After normalization a space resets langdetect's n-gram window, so the
    n-grams of a text are those of its space-separated words (each with its
    space after it, but the last), and are cached per word.
    """
    from langdetect.detector import Detector
    from langdetect.utils.ngram import NGram

    text = Detector.MAIL_RE.sub(" ", Detector.URL_RE.sub(" ", cleaned))
    text = MANY_SPACES.sub(" ", NGram.normalize_vi(text)[:MAX_TEXT])
    # Latin letters dropped from mostly non-Latin text (langdetect compares a block number
    # with a block name there, so every character from U+0300 on counts as non-Latin)
    if 2 * len(LATIN.findall(text)) < len(NON_LATIN.findall(text)):
        text = LATIN.sub("", text)
    words = text.translate(_normal).split(" ")
    rows: list[int] = []
    for i, word in enumerate(words):
        key = word + " " if i < len(words) - 1 else word
        found = _word_rows.get(key)
        if found is None:
            if len(_word_rows) > WORD_CACHE:
                _word_rows.clear()
            found = _word_rows[key] = _word_ngram_rows(key)
        rows.extend(found)
    return rows


def _word_ngram_rows(word: str) -> tuple[int, ...]:
    """``NGram.add_char`` and ``Detector._extract_ngrams`` over one normalized word."""
    rows, grams, capital = [], " ", False
    for ch in word:
        last = grams[-1]
        if last == " ":
            grams, capital = " ", False
            if ch == " ":
                continue
        elif len(grams) >= 3:
            grams = grams[1:]
        grams += ch
        capital = ch.isupper() and (capital or last.isupper())
        if capital:
            continue
        for n in range(1, len(grams) + 1):
            row = _rows.get(grams[-n:])
            if row is not None and grams[-n:] != " ":
                rows.append(row)
    return tuple(rows)


class _Normal(dict):  # type: ignore[type-arg]
    """``str.translate`` table: code point -> langdetect's ``NGram.normalize`` of it."""

    def __missing__(self, code: int) -> str:
        from langdetect.utils.ngram import NGram

        self[code] = NGram.normalize(chr(code))
        return self[code]


_normal = _Normal()


def score(rows: list[int], *, trials: int) -> Any:
    """langdetect's ``Detector._detect_block`` on profile rows: mean probabilities of trials.

    Its generator is reseeded for every text, so every text reads the same
    stream of 32-bit words (``_stream``); ``at`` is how many of them are used.
    """
    ngrams = np.asarray(rows, dtype=np.intp)
    total = np.zeros(_matrix.shape[1])
    at, spare = 0, None
    for _ in range(trials):
        if spare is None:  # random.gauss: two random() of two words each, a pair of normals
            w = _stream(at + 4)[at:at + 4].tolist()
            at += 4
            turn = _unit(w[0], w[1]) * 2.0 * math.pi
            radius = math.sqrt(-2.0 * math.log(1.0 - _unit(w[2], w[3])))
            normal, spare = math.cos(turn) * radius, math.sin(turn) * radius
        else:
            normal, spare = spare, None
        alpha = ALPHA + normal * ALPHA_WIDTH
        prob, used = _trial(at, ngrams, alpha / BASE_FREQ)
        total += prob / trials
        at += used
    return total


def _unit(a: int, b: int) -> float:
    """random.random() from two 32-bit words."""
    return ((a >> 5) * 67108864.0 + (b >> 6)) * (1.0 / 9007199254740992.0)


def _trial(at: int, ngrams: Any, weight: float) -> tuple[Any, int]:
    """One trial in log space from word ``at`` on: (probabilities, words used).

    langdetect multiplies by one ``random.choice`` n-gram's (weight + profile)
    per draw and normalizes after draws 1, 6, 11, ..., stopping when the best
    exceeds CONV_THRESHOLD or at draw LAST_CHECK + 1.
    """
    picks, words = _draws(at, len(ngrams), LAST_CHECK + 1)
    log_prob = np.zeros(_matrix.shape[1])  # uniform start
    done = 0
    for size in BLOCKS:
        checks, upto = _checks(done, size)
        logs = np.log(_matrix[ngrams[picks[done:done + size]]] + weight)
        if upto is not None:  # the running sums at the checks
            scores = log_prob + upto @ logs
        else:  # a check every 5 draws (a large matrix product is far slower)
            scores = log_prob + logs.reshape(-1, 5, logs.shape[1]).sum(axis=1).cumsum(axis=0)
        scores -= scores.max(axis=1, keepdims=True)
        scores[scores < UNDERFLOW] = -np.inf
        totals = np.exp(scores).sum(axis=1)
        stop = (1.0 / totals > CONV_THRESHOLD) | (done + checks >= LAST_CHECK + 1)
        if stop.any():
            hit = int(np.argmax(stop))
            return np.exp(scores[hit]) / totals[hit], int(words[done + checks[hit] - 1])
        log_prob = scores[-1]
        done += size
    raise AssertionError("the last check always stops")


@functools.cache
def _checks(done: int, size: int) -> tuple[Any, Any]:
    """Draw counts 1, 6, 11, ... within a block of ``size`` draws after ``done``, and for small
    blocks the 0/1 matrix summing the block's first draws up to each of them."""
    checks = np.arange((1 - done) % 5 or 5, size + 1, 5)
    if size > 100:
        assert checks[0] == 5, "large blocks start right after a check"
        return checks, None
    return checks, (np.arange(size) < checks[:, None]).astype(np.float64)


def _draws(at: int, n: int, count: int) -> tuple[Any, Any]:
    """``count`` results of ``random.choice`` over n items from word ``at`` on, and the words
    used up to each (``_randbelow``: a word's top bits, the next word while they are >= n)."""
    shift, size = 32 - n.bit_length(), 2 * count + 64
    while True:
        values = _stream(at + size)[at:at + size] >> shift
        accepted = np.flatnonzero(values < n)
        if len(accepted) >= count:
            return values[accepted[:count]].astype(np.intp), accepted[:count] + 1
        size *= 2


def _stream(size: int) -> Any:
    """The first ``size`` (or more) 32-bit words of ``random.Random(0)``."""
    global _words
    if len(_words) < size:
        with _lock:
            words = _words
            while len(words) < size:
                words = np.concatenate([words, _bits.random_raw(1 << 16).astype(np.uint32)])
            _words = words
    return _words
