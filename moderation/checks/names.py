"""Folding people's names for cross-platform identity: pure functions, no I/O.

One person shows up as "Mei Lin Tan" on X, "Dr. Mei T." on Facebook, "meilintan" or
"小美 Mei" on Douyin and "Mei ✈️ Chongqing" elsewhere.  ``fold_name`` turns a handle
or display name into lower-case ASCII tokens: width and case folded, accents and
scripts transliterated (anyascii: 张伟 -> zhang wei, Иван -> ivan), emoji and flags
dropped, titles and decorations ("Dr.", "official", "... in Chongqing", "| travel")
cut.  ``name_similarity`` then compares two accounts' names and says how alike they
are, from 1.0 (one name written two ways) down to 0.0 (nothing in common); shared
first names with clashing surnames score low on purpose.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from anyascii import anyascii
from rapidfuzz import fuzz

from cqfriends.moderation.checks.text import strip_symbols

TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "sir", "dame", "the"})
DECORATIONS = frozenset({"official", "real", "travel", "travels", "vlog", "vlogs", "tv", "life",
                         "photo", "photos", "photography", "eats", "daily", "world"})
PLACES = frozenset({"cq", "chongqing", "china", "cn"})  # joined to a name: "meicq"
# a place written in another script folds to these ("重庆" -> zhong qing): not a name
PLACE_NAMES = PLACES | {"zhongqing", "zhongguo"}
# "Mei in CQ", "Mei from Chongqing", "Mei @ Chongqing": the place is not the name
_PLACE_TAIL = re.compile(r"\s(?:in|at|from|@|x)\s.*$")
_SEPARATORS = re.compile(r"[|/•·~–—]|\s-\s|[\u2190-\u2bff\U0001f000-\U0001faff]")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class NameForm:
    """A folded name: its tokens in order, and them joined (``meilintan``)."""

    tokens: tuple[str, ...]

    @property
    def joined(self) -> str:
        return "".join(self.tokens)


def fold_name(value: str) -> NameForm:
    """Tokens of a handle or display name as identity compares them."""
    text = unicodedata.normalize("NFKC", value or "").strip().lstrip("@")
    first = next((p for p in _SEPARATORS.split(text) if any(c.isalpha() for c in p)), "")
    ascii_text = anyascii(strip_symbols(first))
    ascii_text = _CAMEL.sub(" ", ascii_text).casefold()  # XiaoMei -> xiao mei
    ascii_text = _PLACE_TAIL.sub("", f" {ascii_text} ".replace("_", " ").replace(".", " "))
    words = [_DIGITS.sub("", w) for w in _NOT_ALNUM.split(ascii_text)]
    tokens = [w for w in words if w and w not in TITLES and w not in DECORATIONS]
    return NameForm(tuple(tokens))


def _script_parts(value: str) -> list[str]:
    """A name in two scripts ("小美 Mei") also as its Latin and its other-script part."""
    latin = "".join(c if c.isascii() or unicodedata.combining(c) or c.isspace()
                    or "LATIN" in unicodedata.name(c, "") else " " for c in value)
    other = "".join(" " if c.isascii() or "LATIN" in unicodedata.name(c, "") else c
                    for c in value)
    if latin.strip() and any(c.isalpha() for c in other):
        return [value, latin, other]
    return [value]


def account_names(handle: str, name: str) -> tuple[NameForm, ...]:
    """The folded forms of an account's handle and display name (empty ones left out)."""
    forms = {fold_name(part) for v in (handle, name) if v for part in _script_parts(v)}
    return tuple(sorted((f for f in forms if f.tokens and f.joined not in PLACE_NAMES),
                        key=lambda f: f.tokens))


def screen_name_only(forms: Iterable[NameForm]) -> bool:
    """Whether an account shows no person's name, only a screen name ("sunnyday88",
    "wanderlust"): one word and nothing else, so it says nothing for or against a person."""
    forms = tuple(forms)
    return bool(forms) and all(len(f.tokens) == 1 for f in forms)


def _token_match(a: str, b: str) -> float:
    """How well one name token stands for another: same, nickname/prefix, initial, spelling."""
    if a == b:
        return 1.0
    short, long_ = sorted((a, b), key=len)
    if len(short) == 1:
        return 0.7 if long_.startswith(short) else 0.0
    if len(short) >= 3 and long_.startswith(short):
        return 0.8  # alex / alexander
    if len(short) >= 4 and fuzz.ratio(a, b) >= 85:
        return 0.85  # muller / mueller, transliterated spellings
    return 0.0


def _aligned(short: tuple[str, ...], long_: tuple[str, ...]) -> list[float] | None:
    """Scores of ``short``'s tokens matched in order into ``long_`` (None if one has no match)."""
    scores, at = [], 0
    for token in short:
        best = next(((i, s) for i in range(at, len(long_))
                     if (s := _token_match(token, long_[i])) > 0), None)
        if best is None:
            return None
        at, score = best[0] + 1, best[1]
        scores.append(score)
    return scores


def _spells(word: str, tokens: tuple[str, ...]) -> bool:
    """Whether a joined name starts with the first token and holds the others in order
    (whole, or as an initial: the first letter of a later part)."""
    if len(tokens[0]) < 2 or not word.startswith(tokens[0]):
        return False
    at = len(tokens[0])
    for token in tokens[1:]:
        found = word.find(token, at)
        if found < 0:
            return False
        at = found + len(token)
    return at == len(word) or len(tokens[-1]) == 1


def form_similarity(a: NameForm, b: NameForm) -> float:
    """1.0 the same name; ~0.8-0.95 initials, dropped middle names; 0.6 one shared given
    name and nothing clashing; 0.25 a shared token but clashing others; 0.0 unrelated."""
    if not a.tokens or not b.tokens:
        return 0.0
    if a.joined == b.joined and len(a.joined) >= 3:
        return 1.0
    short, long_ = sorted((a, b), key=lambda f: (len(f.tokens), len(f.joined)))
    if len(short.tokens) == 1 and len(long_.tokens) > 1:
        word = short.joined
        if word in (long_.joined, long_.tokens[0] + long_.tokens[-1]):
            return 0.95  # meilintan / meitan for Mei Lin Tan
        if _spells(word, long_.tokens):
            return 0.85  # noahkainilsson for Noah N.
        first = long_.tokens[0]
        if word in long_.tokens or (len(word) >= 3 and long_.joined.startswith(word)):
            return 0.6  # the given name, nothing to compare the rest with
        if len(first) >= 3 and word.startswith(first):
            rest = word[len(first):]
            # "meitravels", "meicq": a decoration or a place; "meiwong": another surname
            return 0.6 if rest in DECORATIONS or rest in PLACES else 0.25
        return 0.0
    if len(short.tokens) == 1 and len(long_.tokens) == 1:
        score = _token_match(short.joined, long_.joined)
        return 0.6 if score >= 0.8 else 0.0
    scores = _aligned(short.tokens, long_.tokens)
    if scores is None or scores[0] < 0.7:
        shared = set(a.tokens) & set(b.tokens)
        return 0.25 if shared else 0.0
    return round(0.95 * sum(scores) / len(scores), 3)


def name_similarity(a: Iterable[NameForm], b: Iterable[NameForm]) -> float:
    """The best similarity between any name of one account and any of the other."""
    b = tuple(b)
    return max((form_similarity(x, y) for x in a for y in b), default=0.0)
