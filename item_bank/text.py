"""Text keys for comparing and searching Vietnamese (and English) text.

`normalise` keeps diacritics: in Vietnamese they change the word ("ma", "má", "mả" differ), so it is
the right key for checking answers. `fold` drops them: students and teachers often type without
them when searching, so it is the right key for search and for lenient answer matching.
"""
from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFC, casefold, whitespace collapsed and trimmed; diacritics kept."""
    # casefold can produce decomposed sequences, hence NFC after it as well as before.
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    return _SPACE.sub(" ", text).strip()


def fold(text: str) -> str:
    """Diacritic-insensitive search key: like `normalise`, then marks removed and đ mapped to d."""
    decomposed = unicodedata.normalize("NFD", normalise(text))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # đ is a letter of its own, not d plus a mark, so NFD leaves it whole.
    return unicodedata.normalize("NFC", bare.replace("đ", "d"))
