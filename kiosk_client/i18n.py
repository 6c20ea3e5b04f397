"""The kiosk's language: Vietnamese by default, English with ``exam-kiosk --lang en``.

One language per kiosk process (the command line chooses it once), so the translator is a module
global: ``use("en")`` switches it, ``_(msgid)`` translates. The msgids are the English texts of
kiosk_client/messages.py; the catalogues are kiosk_client/translations/<lang>/LC_MESSAGES/kiosk.po,
compiled to kiosk.mo and committed, like the server's (how: kiosk_client/messages.py).
"""
from __future__ import annotations

import gettext
from pathlib import Path

DOMAIN = "kiosk"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"   # the candidates' language; English for a visiting operator
FOLDER = Path(__file__).resolve().parent / "translations"

_current: gettext.NullTranslations | None = None
_current_language = DEFAULT_LANGUAGE


def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``language``; an unknown language is an error, not silent English."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown kiosk language {language!r} (one of {', '.join(LANGUAGES)})")
    return gettext.translation(DOMAIN, localedir=FOLDER, languages=[language])


def use(language: str) -> None:
    global _current, _current_language
    _current, _current_language = translations(language), language


def language() -> str:
    return _current_language


def _(message: str) -> str:
    global _current
    if _current is None:
        _current = translations(_current_language)
    return _current.gettext(message)
