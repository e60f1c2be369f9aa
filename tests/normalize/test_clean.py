"""clean_json's shortcut (one JSON round trip) answers exactly what its walk answers."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cqfriends.errors import NormalizeError
from cqfriends.normalize.clean import MAX_DEPTH, clean_json, json_depth_exceeds

texts = st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF,
                                       exclude_categories=()), max_size=12) | st.sampled_from(
    ["\x00", "a\ud800b", "\udfff", "lit \\u0000", "NaN", "Infinity", "火锅 ✨"])
scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | texts)
keys = texts | st.integers() | st.none() | st.booleans()
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner)
                      | st.dictionaries(keys, inner, max_size=4), max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(values)
def test_the_shortcut_and_the_walk_agree(value):
    fast, fast_changed = clean_json(value)
    slow, slow_changed = clean_json(value, 1)  # below the top level: the walk alone
    assert fast_changed == slow_changed
    assert repr(fast) == repr(slow)  # repr: NaN is never equal to itself


def test_deep_values_are_still_refused_through_the_shortcut():
    deep: object = "x"
    for _ in range(MAX_DEPTH + 2):
        deep = [deep]
    assert json_depth_exceeds(deep)
    with pytest.raises(NormalizeError, match=str(MAX_DEPTH)):
        clean_json(deep)
