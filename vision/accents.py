"""Vietnamese accents for the lines of text already read on a photo.

RapidOCR (``vision.text``) finds and reads the lines, but its recogniser has no Vietnamese
accented letters: ``SỮA TƯƠI TIỆT TRÙNG`` comes back ``SUA TUOI TIET TRUNG``. That is enough to
compare (text is compared with diacritics folded), not to show an inspector what the package
says. Tesseract with its Vietnamese model (Debian ``tesseract-ocr`` and ``tesseract-ocr-vie``,
offline) reads the accents, best on lines that are already cut out: the largest lines RapidOCR
found are stacked into one image and read in one Tesseract call (one process start a photo,
not one a line). A line keeps Tesseract's reading only when, accents folded, it says what
RapidOCR read; otherwise RapidOCR's reading stands alone.

Only catalogs whose products carry Vietnamese text (names, brands or label text with Vietnamese
letters) ask for it (``index.connect.reader_for``): it costs a Tesseract call a photo. Without
Tesseract or its Vietnamese model the lines are returned as they are.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from dataclasses import replace

from PIL import Image

from .text import TextLine

log = logging.getLogger(__name__)

LANGUAGE = "vie"
#: The largest lines (the ones a person reads first) are re-read; the small print is not.
MAX_LINES = 8
#: Each cut-out line is scaled to this height and set apart by ``GAP`` pixels of white.
LINE_HEIGHT = 48
GAP = 40
#: What Tesseract reads at a word's ends off the edge of a cut-out line (a bracket for a border).
_STRAY = " []|.,;:~'\"`{}()<>_-"
_WORDS = re.compile(r"[^\W\d_]{2,}")
#: A Tesseract call that takes longer is stopped (the lines stay as read): a check never hangs on it.
#: Eight lines of package print take ~0.3-0.6 s; eight full-width lines of a 2,048-px photo of
#: small print ran past it before lines were cut at ``MAX_LINE_WIDTH`` (issue 25).
TIMEOUT_S = 10
#: A cut-out line is re-read up to this width (24 times its height; package titles are rarely a
#: third of that): the rest of a longer line is small print, and Tesseract's time grows with the
#: width (eight dense lines: ~1.8 s at 10 times, ~3 s at 20-30 times their height).
MAX_LINE_WIDTH = 24 * 48
#: Share of the line's letters (accents folded) that must agree with RapidOCR's reading.
AGREEMENT = 0.8
#: Marks that, among Latin alphabets, (almost) only Vietnamese uses: the horn (ơ, ư), the hook
#: above (ả), the dot below (ạ) and the breve (ă); with đ.
VIETNAMESE_MARKS = {"\u031b", "\u0309", "\u0323", "\u0306"}


def has_vietnamese(text: str) -> bool:
    """Whether a text is written with Vietnamese letters (``Sữa tươi`` yes, ``Mjölk``, ``crème`` no)."""
    return "đ" in text.casefold() or any(c in VIETNAMESE_MARKS for c in unicodedata.normalize("NFD", text))


@functools.lru_cache(maxsize=1)
def available() -> bool:
    """Tesseract and its Vietnamese model are installed (checked once)."""
    try:
        import pytesseract

        return LANGUAGE in pytesseract.get_languages(config="")
    except Exception as exc:  # noqa: BLE001 - missing binary, missing model: no accents, said once
        log.warning("Vietnamese accents are off: Tesseract with its Vietnamese model is not installed (%s); "
                    "install the Debian packages tesseract-ocr and tesseract-ocr-vie", exc)
        return False


def with_accents(image: Image.Image, lines: tuple[TextLine, ...]) -> tuple[TextLine, ...]:
    """``lines`` with ``accented`` set where Tesseract reads the same line with Vietnamese accents."""
    if not lines or not available():
        return lines
    import pytesseract

    order = lines_to_read(lines)
    if not order:
        return lines
    width, height = image.size
    crops = []
    for i in order:
        left, top, right, bottom = lines[i].box
        pad = 0.1 * (bottom - top)
        crop = image.crop((max(0, round((left - pad * height / width) * width)), max(0, round((top - pad) * height)),
                           min(width, round((right + pad * height / width) * width)),
                           min(height, round((bottom + pad) * height)))).convert("L")
        if crop.width < 2 or crop.height < 2:
            crop = Image.new("L", (2, 2), 255)
        scale = LINE_HEIGHT / crop.height
        if crop.width * scale > MAX_LINE_WIDTH:  # the line's beginning only
            crop = crop.crop((0, 0, max(1, round(MAX_LINE_WIDTH / scale)), crop.height))
        crops.append(crop.resize((max(1, round(crop.width * scale)), LINE_HEIGHT), Image.Resampling.BICUBIC))
    canvas = Image.new("L", (max(c.width for c in crops) + 2 * GAP, len(crops) * (LINE_HEIGHT + GAP) + GAP), 255)
    for k, crop in enumerate(crops):
        canvas.paste(crop, (GAP, GAP + k * (LINE_HEIGHT + GAP)))
    try:
        data = pytesseract.image_to_data(canvas, lang=LANGUAGE, config="--psm 6", timeout=TIMEOUT_S,
                                         output_type=pytesseract.Output.DICT)
    except Exception as exc:  # noqa: BLE001 - a failed re-read leaves the lines as read
        log.warning("Tesseract could not read the lines again: %s", exc)
        return lines
    read: list[list[tuple[int, str]]] = [[] for _ in crops]
    for word, left, top, box_height in zip(data["text"], data["left"], data["top"], data["height"]):
        word = word.strip(_STRAY)
        if not word:
            continue
        slot = int((top + box_height / 2 - GAP / 2) // (LINE_HEIGHT + GAP))
        if 0 <= slot < len(crops):
            read[slot].append((left, word))
    out = list(lines)
    for k, i in enumerate(order):
        accented = " ".join(word for _, word in sorted(read[k]))
        if accented and has_vietnamese(accented) and _agree(accented, lines[i].text):
            out[i] = replace(lines[i], accented=accented)
    return tuple(out)


def lines_to_read(lines: tuple[TextLine, ...]) -> list[int]:
    """The lines worth reading again, largest print first. Vietnamese is written in syllables set
    apart by spaces, so a line of it is several words: a brand, a price, a one-word line is left as
    read."""
    return [i for i in sorted(range(len(lines)), key=lambda i: lines[i].height, reverse=True)
            if len(_WORDS.findall(lines[i].text)) >= 2][:MAX_LINES]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if c.isalnum()).lower()


def _agree(accented: str, plain: str) -> bool:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.normalized_similarity(_fold(accented), _fold(plain)) >= AGREEMENT
