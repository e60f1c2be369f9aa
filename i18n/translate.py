"""Translating: locales, Accept-Language, the catalog, messages that translate later.

Templates call ``_("text")`` / ``ngettext(...)`` (jinja2's i18n extension, new
style: ``_("%(n)s posts", n=3)``); the language comes from ``locale`` in the
template context, so a page, a theme-page build and a signage page can each be
rendered in their own language in one process.  Python code raises errors with
``msg("... %(key)s ...", key=key)``: an English ``str`` that the web app
translates for the person reading it.

The catalog is the ``.po`` file itself, compiled in memory on first use (Babel),
so a checkout, an editable install and a wheel all read the same text.
"""

from __future__ import annotations

import gettext as _gettext
import io
import re
from functools import lru_cache
from importlib.resources import files
from typing import Any

LOCALES = {"en": "English", "zh-Hans": "简体中文"}  # BCP 47 tag -> its own name
DEFAULT_LOCALE = "en"
DOMAIN = "messages"
_CATALOG_DIRS = {"zh-Hans": "zh_Hans"}
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark ``message`` for the catalog without translating it here."""
    return message


class Message(str):
    """An English message (``%(name)s`` placeholders filled) that can be re-rendered.

    It *is* the English text, so logs, the CLI and ``str(error)`` read as before;
    ``translate(message, locale)`` renders the template in another language.
    """

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Message:
        self = super().__new__(cls, template % params if params else template)
        self.template, self.params = template, params
        return self


def msg(template: str, **params: Any) -> Message:
    return Message(template, **params)


def normalize_locale(value: str | None) -> str | None:
    """'zh', 'zh-CN', 'zh_Hans', 'zh-Hans-CN' -> 'zh-Hans'; 'en-GB' -> 'en'; else None."""
    if not value or not _TAG.match(value.strip()):
        return None
    parts = value.strip().replace("_", "-").lower().split("-")
    if parts[0] == "zh" and not {"hant", "tw", "hk", "mo"} & set(parts[1:]):
        return "zh-Hans"
    if parts[0] == "en":
        return "en"
    return None


def negotiate(accept_language: str | None) -> str:
    """The best of LOCALES for an Accept-Language header (default: English)."""
    choices: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        locale = normalize_locale(tag)
        if locale and quality > 0:
            choices.append((-quality, position, locale))
    return min(choices)[2] if choices else DEFAULT_LOCALE


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``locale`` (English: the source text itself)."""
    folder = _CATALOG_DIRS.get(locale)
    if folder is None:
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = files("cqfriends.i18n") / "locales" / folder / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=folder)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def gettext(locale: str | None, message: str) -> str:
    return translations(locale or DEFAULT_LOCALE).gettext(message)


def ngettext(locale: str | None, singular: str, plural: str, n: int) -> str:
    return translations(locale or DEFAULT_LOCALE).ngettext(singular, plural, n)


def translate(text: str, locale: str | None) -> str:
    """``text`` in ``locale`` if it is a ``Message``, else unchanged (it was never marked)."""
    if isinstance(text, Message):
        rendered = gettext(locale, text.template)
        if not text.params:
            return rendered
        params = {k: translate(v, locale) if isinstance(v, Message) else v
                  for k, v in text.params.items()}
        return rendered % params
    return text


def install(env: Any) -> None:
    """Give a jinja2 Environment ``_``/``gettext``/``ngettext`` reading ``locale`` from context."""
    from jinja2 import pass_context

    @pass_context
    def context_gettext(context: Any, message: str) -> str:
        return gettext(context.get("locale"), message)

    @pass_context
    def context_ngettext(context: Any, singular: str, plural: str, n: int) -> str:
        return ngettext(context.get("locale"), singular, plural, n)

    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(context_gettext, context_ngettext, newstyle=True)
    env.globals["LOCALES"] = LOCALES
