"""Name folding and name similarity for one person across platforms (names.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cqfriends.moderation.checks.names import (
    account_names,
    fold_name,
    name_similarity,
    screen_name_only,
)


@pytest.mark.parametrize(("raw", "tokens"), [
    ("Mei Lin Tan", ("mei", "lin", "tan")),
    ("Dr. Mei Tan", ("mei", "tan")),
    ("Mei T.", ("mei", "t")),
    ("meilintan", ("meilintan",)),
    ("@Mei_Lin_Tan88", ("mei", "lin", "tan")),
    ("MeiLinTan", ("mei", "lin", "tan")),
    ("小美 Mei", ("xiao", "mei", "mei")),  # account_names also splits the two scripts
    ("Mei ✈️ Chongqing", ("mei",)),
    ("🇸🇬 Mei Lin Tan 🇸🇬", ("mei", "lin", "tan")),
    ("Mei in CQ", ("mei",)),
    ("Mei Tan | Travel vlog", ("mei", "tan")),
    ("Ｍｅｉ　Ｔａｎ", ("mei", "tan")),
    ("Zoë Müller", ("zoe", "muller")),
    ("Иван Петров", ("ivan", "petrov")),
    ("张伟", ("zhang", "wei")),
    ("✨✨", ()),
    ("", ()),
])
def test_fold_name(raw, tokens):
    assert fold_name(raw).tokens == tokens


MEI = ("meilintan_cq", "Mei Lin Tan")


@pytest.mark.parametrize(("handle", "name", "low", "high"), [
    ("", "Mei Lin Tan", 1.0, 1.0),
    ("meilintan", "", 1.0, 1.0),  # joined name
    ("", "MEI LIN TAN 🇸🇬", 1.0, 1.0),  # case, flag
    ("", "Dr. Mei Tan", 0.9, 0.95),  # title, dropped middle name
    ("", "Mei T.", 0.75, 0.85),  # initial
    ("", "Mei L. Tan", 0.85, 0.95),
    ("meitan", "", 0.95, 0.95),  # first and last joined
    ("", "小美 Mei", 0.6, 0.8),  # a Chinese nickname beside the Latin name
    ("", "Mei ✈️ Chongqing", 0.6, 0.6),  # emoji and a place: the given name only
    ("", "Mei in CQ", 0.6, 0.6),
    ("", "Mei Lin Tann", 0.85, 0.95),  # another spelling of the surname
    ("", "Mei Wong", 0.2, 0.3),  # same given name, another surname: someone else
    ("", "Lin Wong", 0.2, 0.3),
    ("sunnyday88", "Sunny", 0.0, 0.0),  # nothing in common
    ("", "Tom Baker", 0.0, 0.0),
])
def test_similarity_to_mei_lin_tan(handle, name, low, high):
    score = name_similarity(account_names(*MEI), account_names(handle, name))
    assert low <= score <= high, score


@pytest.mark.parametrize(("a", "b", "low", "high"), [
    ("Anna Müller", "Anna Mueller", 0.85, 0.95),  # transliterated umlaut
    ("Иван Петров", "Ivan Petrov", 1.0, 1.0),  # transliterated script
    ("张伟", "Zhang Wei", 1.0, 1.0),
    ("Alexander Kim", "Alex Kim", 0.8, 0.9),  # nickname
    ("John Smith", "John Brown", 0.2, 0.3),  # different people sharing a first name
    ("Maria Garcia", "Maria Lopez", 0.2, 0.3),
    ("Maria", "Mario", 0.0, 0.0),
    ("Li", "Li Wei", 0.0, 0.6),
    ("Elena 🐼 重庆", "Liam in 重庆", 0.0, 0.0),  # the place in Chinese is not a name
    ("Anna 📸 China", "Anna Kim", 0.6, 0.6),
])
def test_similarity_pairs(a, b, low, high):
    score = name_similarity(account_names("", a), account_names("", b))
    assert low <= score <= high, score
    assert score == name_similarity(account_names("", b), account_names("", a))


@given(st.text(max_size=60), st.text(max_size=60))
def test_any_names_fold_and_compare(a, b):
    forms = account_names(a, b)
    assert all(t.isascii() and t.isalnum() for f in forms for t in f.tokens)
    assert 0.0 <= name_similarity(forms, account_names(b, a)) <= 1.0


@pytest.mark.parametrize(("a", "b", "score"), [
    ("noahkainilsson", "Noah N.", 0.85),  # a joined name and an initial
    ("meilintan", "Mei L.", 0.85),
    ("meilintan", "Mei W.", 0.25),  # the given name, but the initial clashes with the rest
    ("minjunyilmaz", "Minjun Novak", 0.25),  # the given name joined to another surname
    ("meitravels", "Mei Lin Tan", 0.6),  # a decoration, nothing clashing
    ("meicq", "Mei Tan", 0.6),
    ("tomlee", "Tom Lee Kim", 0.6),  # the surname is missing from the joined name
])
def test_a_joined_name_spells_the_others(a, b, score):
    assert name_similarity(account_names(a, ""), account_names("", b)) == score


@pytest.mark.parametrize(("handle", "name", "only"), [
    ("sunnyday88", "sunnyday88", True),  # a screen name: nothing for or against a person
    ("", "wanderlust", True),
    ("", "Mei in 重庆", True),  # a given name alone says as little
    ("meilintan", "Mei Lin Tan", False),
    ("dy1000123", "Anna Kim", False),
    ("", "", False),
])
def test_screen_name_only(handle, name, only):
    assert screen_name_only(account_names(handle, name)) is only
