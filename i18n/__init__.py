"""The console's two languages: English (the source text) and Simplified Chinese.

One gettext catalog (domain ``messages``) serves every template of ``web/`` and
``export/`` and the messages Python code shows people; ``i18n/translate.py``
holds the machinery, ``i18n/locales/zh_Hans/LC_MESSAGES/messages.po`` the
translations (package data, compiled in memory at first use).
"""
