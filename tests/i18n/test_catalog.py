"""The Chinese catalog is complete: every message in the code and templates is translated,
with the same placeholders, and nothing stale is left in it."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from cqfriends.i18n.translate import Message, negotiate, normalize_locale, translate

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "msg": None, "N_": None,
            "tr": (2,)}
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]")
SKIPPED = ("tests", "bench", "build", ".venv", "cqf-demo")


def extracted() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for filename, _line, message, _comments, _context in extract_from_dir(
            ROOT, METHODS, options_map=OPTIONS, keywords=KEYWORDS,
            directory_filter=lambda d: not Path(d).name.startswith(SKIPPED)):
        if filename.startswith(SKIPPED):
            continue
        found.add(message if isinstance(message, str) else tuple(message))
    return {m for m in found if m}


@pytest.fixture(scope="module")
def catalog():
    po = files("cqfriends.i18n") / "locales" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        return read_po(handle)


def test_every_message_has_a_chinese_translation_and_none_is_stale(catalog):
    wanted = extracted()
    have = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in catalog if m.id}
    assert len(wanted) > 300
    missing = sorted(map(str, wanted - set(have)))
    assert not missing, f"not in messages.po (run the update in README): {missing[:10]}"
    stale = sorted(map(str, set(have) - wanted))
    assert not stale, f"in messages.po but no longer in the code: {stale[:10]}"
    for key, message in have.items():
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(texts) and not message.fuzzy, f"untranslated: {key!r}"
        source = " ".join(key) if isinstance(key, tuple) else key
        for text in texts:
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(source)), key
            assert text.count("%") - text.count("%%") * 2 == len(PLACEHOLDER.findall(text)), key


def test_messages_render_in_either_language():
    error = Message("%(key)s is not in the queue: %(state)s", key="twitter:1",
                    state=Message("approved"))
    assert str(error) == "twitter:1 is not in the queue: approved"
    assert translate(error, "zh-Hans") == "twitter:1 不在审核队列中：已通过"
    assert translate(error, "en") == str(error)
    assert translate("plain text", "zh-Hans") == "plain text"


@pytest.mark.parametrize("header, expected", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"), ("en-GB,en;q=0.9", "en"),
    ("fr-FR, zh-Hans;q=0.5, en;q=0.4", "zh-Hans"), ("zh-TW", "en"), ("", "en"),
    ("de;q=1, en;q=bogus", "en"), ("*", "en"), ("en;q=0, zh", "zh-Hans"),
])
def test_accept_language_picks_a_console_language(header, expected):
    assert negotiate(header) == expected


@pytest.mark.parametrize("value, expected", [
    ("zh_Hans", "zh-Hans"), ("zh-Hans-CN", "zh-Hans"), ("ZH", "zh-Hans"), ("en-US", "en"),
    ("zh-Hant", None), ("fr", None), ("", None), ("zh\x00", None), ("../../etc", None),
])
def test_locale_names_are_normalized(value, expected):
    assert normalize_locale(value) == expected
