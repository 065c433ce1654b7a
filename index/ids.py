"""Product ids, case ids and names as people type them: one form for one text.

Vietnamese can be typed composed (``ữ`` as one code point, NFC) or decomposed (``ư`` + a combining
hook and tilde, NFD, as some keyboards and macOS file names do); the two look the same and must be
the same id. Every id and name is brought to NFC, and stripped, where it enters the system.
"""

from __future__ import annotations

import unicodedata


def clean(text: str | None) -> str:
    """NFC, surrounding whitespace removed; None becomes ""."""
    return unicodedata.normalize("NFC", text or "").strip()


def clean_or_none(text: str | None) -> str | None:
    text = clean(text)
    return text or None
