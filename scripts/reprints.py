"""Development fakes: a counterfeiter's reprint of a genuine pack photo (issue 24, item 5).

No real counterfeit photos ship to the team, so the verifier's authenticity evidence is developed
on reprints of the Grocery Store's genuine pack photos, made the way a counterfeiter makes a pack
(copy the artwork, change what they must or get wrong, print it on other presses) and then
photographed again. ``reprint`` applies a random subset of these ops and records each:

- ``misspell_brand``: the brand word, where OCR finds it, re-rendered one letter off (a letter
  changed to one that looks alike, dropped, doubled, or two swapped: ALPRO -> ALPR0, ALRPO;
  ARLA -> ARIA), in place: the letters are told from their background (two colours, thin
  strokes of one of them), inpainted away, and the new word drawn in the font (of those on the
  machine) whose drawing of the old word overlaps its letters best and carries as much ink, at
  the same height, stretch, angle and ink colour, shaded like the background around it. The
  OCR must read the new word back at the photo's own resolution, else the op is skipped;
- ``swap_variant``: the product's variant word ("Vanilla") replaced by another product of the
  same brand's variant word ("Blueberry"), drawn the same way (a longer word set smaller);
- ``move_logo``: the brand word scaled by a few percent and shifted by a fraction of its height;
- ``shift_colour``: hue, chroma and lightness of the print shifted in CIE Lab (LCh);
- print ops (at least one): ``halftone`` (a CMYK dot screen, the four inks at their usual screen
  angles), ``blur`` (ink spread), ``jpeg`` (the artwork copied through a compressed file);
- ``rephotograph`` (always): the print photographed again: a perspective warp, another white
  balance, a light gradient and sometimes a glare, the camera's softness and sensor noise.

A word op that finds no word to change (nothing read, text at an angle, letters not told from
the background, no variant word known) is recorded with the reason it was skipped, and the other
ops still apply. Photos of any size
are edited at a working size (the long side brought to ``WORK_SIDE``, within ``MAX_WORK_SIDE``)
and returned at their own size. Everything random comes from the ``rng`` given: the same seed
gives the same reprint.

    from reprints import CatalogWords, Product, reprint, MAKERS
    image, ops = reprint(photo, product, CatalogWords(products), np.random.default_rng(7))

Whole photos are edited, shelf and neighbours included: the Grocery Store photos are shelf
photos, and the pack cannot be cut out of them. What this set is and is not a stand-in for is in
docs/verification.md ("Development fakes: reprinted labels").
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

WORD_OPS = ("misspell_brand", "swap_variant", "move_logo")
PRINT_OPS = ("jpeg", "halftone", "blur")
OPS = WORD_OPS + ("shift_colour",) + PRINT_OPS + ("rephotograph",)

#: Edits are made with the photo's long side at this size (a 348-px Grocery Store photo is
#: enlarged about 3x), so a re-rendered word has pixels enough for its strokes and a halftone
#: screen has cells of a few pixels; a 12 MP photo is brought down to ``MAX_WORK_SIDE``.
WORK_SIDE = 1024
MAX_WORK_SIDE = 2048
#: A halftone screen finer than this many working pixels per cell aliases into a coarse moire on
#: the working grid (at 2.5 px a 348-px reprint showed a regular grid over the whole photo); a
#: finer screen is drawn at this period, which the re-photograph's lens then averages away.
MIN_SCREEN_PERIOD = 4.0
#: Words are inpainted at a size where their print is this many pixels high (``_inpaint``).
INPAINT_HEIGHT = 40
#: Words whose print is lower than this (pixels on the photo as given) are not re-rendered: too
#: few pixels to measure a font.
MIN_WORD_PIXELS = 9
#: A line box taller than this many times the line's own height holds text at too steep an angle
#: for its box to hold the word alone (a word three times as wide as high at 25 degrees: 2.1).
MAX_SLANT = 2.5
#: Words printed at more than this angle (degrees) are not re-rendered.
MAX_ANGLE = 30.0
#: A word is re-rendered only when some font's drawing of it overlaps its ink at least this much
#: (intersection over union). Letters found on demo and train photos fitted at 0.45-0.75 (the
#: blurrier the photo, the lower); below 0.5 the new word looked smudged on the contact sheet.
MIN_FONT_FIT = 0.5
#: Letters have even strokes: the spread of their stroke width (``_stroke_spread``) was 0.15-0.29
#: on brand words of demo and train photos, 0.54 for the ring of Arla's logo taken for ink.
MAX_STROKE_SPREAD = 0.4
#: At most this many occurrences of one word are rewritten (a shelf photo shows several packs).
MAX_OCCURRENCES = 4
#: Read words below this confidence are not located (the box may not hold what the text says;
#: the font fit checks the rest).
MIN_CONFIDENCE = 0.7

#: Fonts tried for a re-rendered word, the first that exist: Debian's fonts-dejavu-core (which the
#: tests need anyway) and fonts-liberation when present; each is tried plain and emboldened.
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf",
)

#: Letters a counterfeiter's (or a careless typesetter's) copy confuses with the original's.
LOOK_ALIKE = {
    "O": "0Q", "0": "O", "L": "I", "I": "L1", "E": "F", "F": "E", "P": "R", "R": "P", "B": "8", "S": "5",
    "C": "G", "G": "C", "U": "V", "V": "U", "N": "M", "M": "N", "A": "R", "T": "I", "D": "O", "H": "N",
    "o": "0a", "l": "I1", "i": "l", "e": "c", "c": "e", "a": "o", "r": "n", "n": "r", "p": "q", "b": "h",
    "u": "v", "v": "u", "m": "n", "g": "q", "t": "f", "d": "b", "h": "b", "s": "z", "y": "v", "k": "x",
}


# --- what a counterfeiter knows of the catalog -------------------------------------------------

@dataclass(frozen=True)
class Product:
    product_id: str
    name: str = ""
    brand: str = ""
    label_text: str = ""


def fold(text: str) -> str:
    """Lower case, no diacritics (``Äpple`` -> ``apple``), as OCR text is compared."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[^\W\d_]+", text) if len(w) >= 3]


class CatalogWords:
    """The words printed on a catalog's products, by brand: what ``reprint`` misspells and swaps.

    A product's *variant words* are the words of its name and label text that no other product
    of its brand carries and that are not the brand itself (``Vanilla``, ``Mild``, ``Creamy`` for
    Alpro Vanilla Soyghurt: ``Soyghurt`` is on Alpro Blueberry too). A swap puts another product's
    variant word of the same brand in place of one of them."""

    def __init__(self, products: Iterable[Product]):
        self.products = {p.product_id: p for p in products}
        self._printed = {pid: {fold(w): w for w in _words(f"{p.name.replace('-', ' ')} {p.label_text}")}
                         for pid, p in self.products.items()}
        self.vocabulary = {w for words in self._printed.values() for w in words}

    def brand_key(self, product: Product) -> str:
        words = _words(product.brand)
        return fold(words[0]) if words else ""

    def brand_words(self, product: Product) -> dict[str, str]:
        """The brand's words of 3+ letters, folded -> as written (``God Morgon`` -> god, morgon;
        ``Arla Ko`` -> arla)."""
        return {fold(w): w for w in _words(product.brand)}

    def mates(self, product: Product) -> list[Product]:
        key = self.brand_key(product)
        return [p for p in self.products.values() if p.product_id != product.product_id and key
                and self.brand_key(p) == key]

    def variant_words(self, product: Product) -> dict[str, str]:
        """Folded variant word -> as printed in the catalog's text."""
        printed = dict(self._printed.get(product.product_id) or
                       {fold(w): w for w in _words(f"{product.name} {product.label_text}")})
        brand = set(self.brand_words(product))
        others = set().union(*[set(self._printed.get(m.product_id, ())) for m in self.mates(product)])
        return {w: shown for w, shown in printed.items() if w not in brand and w not in others}

    def swaps(self, product: Product) -> list[tuple[str, float]]:
        """Variant words of the product's brand-mates, as printed, none of them this product's,
        each with a weight: a mate's flavour in its name (``Blueberry``) before the words of its
        label text, and the closest mates (most words shared: the other soyghurt) first."""
        own = set(self._printed.get(product.product_id, ()))
        brand = set(self.brand_words(product))
        out: dict[str, tuple[str, float]] = {}
        for mate in self.mates(product):
            shared = len(own & set(self._printed.get(mate.product_id, ())) - brand)
            named = {fold(w) for w in _words(mate.name.replace("-", " "))}
            for w, shown in self.variant_words(mate).items():
                if w in own or w in brand:
                    continue
                weight = (1.0 + shared) * (3.0 if w in named else 1.0)
                if weight > out.get(w, ("", 0.0))[1]:
                    out[w] = (shown, weight)
        return [out[w] for w in sorted(out)]

    def named_variants(self, product: Product) -> dict[str, str]:
        """The variant words in the product's name (its flavour or kind: ``Vanilla``)."""
        named = {fold(w) for w in _words(product.name.replace("-", " "))}
        return {w: shown for w, shown in self.variant_words(product).items() if w in named}


# --- the makers: op mixes ---------------------------------------------------------------------

@dataclass(frozen=True)
class Maker:
    """One counterfeiter's recipe: how likely each op is, and the range of its settings. Two
    makers differ in presses, files and care, so a fake from one is not a fake from the other."""

    name: str
    chances: dict = field(default_factory=dict)
    #: halftone screen: lines across the photo's long side (a label at 100-150 lpi filling a
    #: shelf photo's pack gives a few hundred), dot softness
    screen_lines: tuple[float, float] = (280, 420)
    blur_sigma: tuple[float, float] = (0.4, 0.9)  # pixels of the photo as given
    jpeg_quality: tuple[int, int] = (45, 75)
    hue_degrees: tuple[float, float] = (4, 12)
    chroma: tuple[float, float] = (0.85, 1.15)
    lightness: tuple[float, float] = (-5, 5)
    logo_scale: tuple[float, float] = (0.92, 1.1)
    logo_shift: tuple[float, float] = (0.08, 0.3)  # share of the brand word's height
    tilt: float = 0.05  # the re-photograph's corners move inward by up to this share
    noise: tuple[float, float] = (0.01, 0.025)


MAKERS = {
    # a commercial press: fine screen, careful colour, the brand often misspelt
    "press": Maker("press", {"misspell_brand": 0.6, "swap_variant": 0.3, "move_logo": 0.4, "shift_colour": 0.6,
                             "jpeg": 0.3, "halftone": 0.9, "blur": 0.4}),
    # an inkjet copy: coarse dots, soft print, heavy compression, colours off, variant swapped
    "inkjet": Maker("inkjet", {"misspell_brand": 0.3, "swap_variant": 0.6, "move_logo": 0.3, "shift_colour": 0.9,
                               "jpeg": 0.8, "halftone": 0.4, "blur": 0.8},
                    screen_lines=(230, 320), blur_sigma=(0.6, 1.3), jpeg_quality=(30, 55), hue_degrees=(8, 20),
                    chroma=(0.75, 1.25), lightness=(-8, 8)),
    # a copy shop: words left alone, the logo redrawn a little off, colours pale, a phone nearby
    "copyshop": Maker("copyshop", {"misspell_brand": 0.35, "swap_variant": 0.35, "move_logo": 0.7,
                                   "shift_colour": 0.8, "jpeg": 0.6, "halftone": 0.6, "blur": 0.6},
                      screen_lines=(220, 320), blur_sigma=(0.5, 1.1), jpeg_quality=(40, 70), hue_degrees=(3, 10),
                      chroma=(0.7, 0.95), lightness=(2, 10), logo_scale=(0.85, 1.15), logo_shift=(0.15, 0.45),
                      tilt=0.07, noise=(0.015, 0.035)),
}


def choose_ops(maker: Maker, rng: np.random.Generator) -> list[str]:
    """A random subset of the maker's ops: at least one print op, always the re-photograph."""
    chosen = [op for op in WORD_OPS + ("shift_colour",) + PRINT_OPS if rng.random() < maker.chances.get(op, 0.5)]
    if not any(op in PRINT_OPS for op in chosen):
        weights = np.array([maker.chances.get(op, 0.5) for op in PRINT_OPS]) + 1e-6
        chosen.append(PRINT_OPS[int(rng.choice(len(PRINT_OPS), p=weights / weights.sum()))])
    return [op for op in OPS if op in chosen] + ["rephotograph"]


UNCLEAR_INK = "its letters could not be told from the background"

# --- the reprint ------------------------------------------------------------------------------

_READER = None


def read_text(photo: Image.Image):
    """The lines OCR reads on a photo (``vision.text``), one reader per process."""
    global _READER
    if _READER is None:
        from vision.text import TextReader

        _READER = TextReader()
    return _READER.read(photo)


def reprint(photo: Image.Image, product: Product, catalog_words: CatalogWords, rng: np.random.Generator | int,
            ops: Sequence[str] | None = None, reading=None, maker: Maker | str = "press") -> tuple[Image.Image, list[dict]]:
    """A reprint of ``photo`` (a genuine pack photo of ``product``) and the ops applied, in order:
    each a dict with ``op`` and its settings, or ``skipped`` with the reason. ``ops``: which to
    apply (default: a random subset, ``choose_ops``); ``reading``: the photo's OCR lines
    (``vision.text.TextLine``), read here when a word op needs them and none are given."""
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    maker = MAKERS[maker] if isinstance(maker, str) else maker
    ops = list(ops) if ops is not None else choose_ops(maker, rng)
    unknown = [op for op in ops if op not in OPS]
    if unknown:
        raise ValueError(f"unknown reprint op(s) {', '.join(unknown)}; known: {', '.join(OPS)}")
    photo = photo.convert("RGB")
    size = photo.size
    scale = min(MAX_WORK_SIDE / max(size), max(1.0, WORK_SIDE / max(size)))
    work_size = (max(8, round(size[0] * scale)), max(8, round(size[1] * scale)))
    image = np.asarray(photo.resize(work_size, Image.Resampling.LANCZOS), np.float32) / 255.0
    if reading is None and any(op in WORD_OPS for op in ops):
        reading = read_text(photo)
    page = _Page(image, reading or (), size, scale)
    applied: list[dict] = []
    for op in [op for op in OPS if op in ops]:  # a fixed order: words, colour, print, photograph
        record = {"op": op}
        if op == "misspell_brand":
            record.update(_misspell_brand(page, product, catalog_words, rng))
        elif op == "swap_variant":
            record.update(_swap_variant(page, product, catalog_words, rng))
        elif op == "move_logo":
            record.update(_move_logo(page, product, catalog_words, maker, rng))
        elif op == "shift_colour":
            record.update(_shift_colour(page, maker, rng))
        elif op == "jpeg":
            quality = int(rng.integers(maker.jpeg_quality[0], maker.jpeg_quality[1] + 1))
            page.image = _jpeg(page.image, quality)
            record["quality"] = quality
        elif op == "halftone":
            lines = float(rng.uniform(*maker.screen_lines))
            period = max(MIN_SCREEN_PERIOD, max(page.image.shape[:2]) / lines)
            page.image = _halftone(page.image, period, rng)
            record["lines"] = round(max(page.image.shape[:2]) / period)
        elif op == "blur":
            sigma = float(rng.uniform(*maker.blur_sigma))
            page.image = cv2.GaussianBlur(page.image, (0, 0), sigma * scale)
            record["sigma"] = round(sigma, 2)
        elif op == "rephotograph":
            page.image, settings = _rephotograph(page.image, size, maker, rng)
            record.update(settings)
        applied.append(record)
    out = page.image
    if out.shape[1] != size[0] or out.shape[0] != size[1]:
        out = cv2.resize(out, size, interpolation=cv2.INTER_AREA)
    return Image.fromarray((np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8)), applied


@dataclass
class _Page:
    image: np.ndarray  # float32 RGB in [0, 1], working size
    reading: Sequence
    size: tuple[int, int]  # the photo's own size
    scale: float  # working pixels per photo pixel
    brand_boxes: list = field(default_factory=list)  # (box in working pixels, word) of each rewritten brand

    def fractions(self, boxes) -> list[list[float]]:
        """Boxes in working pixels as (left, top, right, bottom) fractions of the photo."""
        h, w = self.image.shape[:2]
        return [[round(b[0] / w, 4), round(b[1] / h, 4), round(b[2] / w, 4), round(b[3] / h, 4)] for b in boxes]


@dataclass
class _Word:
    line: object  # TextLine
    text: str  # the catalog's word, in the case it is printed in (as read)
    target: str  # the catalog's word, folded
    box: tuple[int, int, int, int]  # working pixels, the word's slot in its line (padded)


def _find(page: _Page, targets: dict[str, str]) -> tuple[list[_Word], str]:
    """Occurrences of any of ``targets`` (folded word -> as the catalog prints it) read on the
    page, upright and large enough; or none and the reason. A word of 4+ letters read one letter
    off (``Arlo`` for ``Arla``, an OCR slip) counts: its place is what matters here."""
    from rapidfuzz.distance import Levenshtein

    found, reasons = [], []
    h, w = page.image.shape[:2]
    for line in page.reading:
        if line.confidence < MIN_CONFIDENCE:
            continue
        for match in re.finditer(r"[^\W_]+", line.text):
            read = fold(match.group())
            target = read if read in targets else next(
                (t for t in targets if len(t) >= 4 and abs(len(t) - len(read)) <= 1
                 and Levenshtein.distance(t, read) <= 1), None)
            if target is None:
                continue
            left, top, right, bottom = line.box
            box_h = (bottom - top)
            if line.height and box_h > MAX_SLANT * line.height:
                reasons.append("text at an angle")
                continue
            if box_h * page.size[1] < MIN_WORD_PIXELS:
                reasons.append("print too small")
                continue
            n = max(1, len(line.text))
            x0 = left + (right - left) * match.start() / n
            x1 = left + (right - left) * match.end() / n
            pad = 0.12 * box_h * h / max(1, w)
            pad_y = 0.08 * box_h
            box = (int(max(0, (x0 - pad) * w)), int(max(0, (top - pad_y) * h)), int(min(w, (x1 + pad) * w + 0.999)),
                   int(min(h, (bottom + pad_y) * h + 0.999)))
            if box[2] - box[0] >= 6 and box[3] - box[1] >= 6:
                # the word as printed: as read when OCR read it right, else the catalog's in the read case
                printed = match.group() if read == target else _same_case(targets[target], match.group())
                found.append(_Word(line, printed, target, box))
    found.sort(key=lambda word: -(word.box[3] - word.box[1]))
    if found:
        return found[:MAX_OCCURRENCES], ""
    return [], (reasons[0] if reasons else "word not read on the photo")


def readable_words(reading, size: tuple[int, int], product: Product, catalog_words: CatalogWords) -> int:
    """How many brand or variant words of ``product`` a photo's OCR lines show where a word op
    could rewrite them (upright enough, large enough)."""
    page = _Page(np.zeros((max(8, size[1]), max(8, size[0]), 3), np.float32), reading, size, 1.0)
    targets = {**catalog_words.variant_words(product), **catalog_words.brand_words(product)}
    return len(_find(page, targets)[0]) if targets else 0


def _misspell_brand(page: _Page, product: Product, catalog_words: CatalogWords, rng) -> dict:
    brand = catalog_words.brand_words(product)
    if not brand:
        return {"skipped": "the product has no brand"}
    words, reason = _find(page, brand)
    if not words:
        return {"skipped": f"brand not found: {reason}"}
    target = words[0].target
    wrong = misspell(words[0].text, rng, avoid=catalog_words.vocabulary | set(brand))
    done, why = [], []
    for word in [w for w in words if w.target == target]:
        box, reason = _rewrite(page, word, _same_case(wrong, word.text), centre=True)
        if box:
            done.append(box)
            page.brand_boxes.append((box, _same_case(wrong, word.text)))
        why.append(reason)
    if not done:
        return {"skipped": f"brand found, but {why[0]}"}
    return {"from": words[0].text, "to": _same_case(wrong, words[0].text), "boxes": page.fractions(done)}


def _swap_variant(page: _Page, product: Product, catalog_words: CatalogWords, rng) -> dict:
    variants = catalog_words.variant_words(product)
    swaps = catalog_words.swaps(product)
    if not variants or not swaps:
        return {"skipped": "no variant word of another product of the brand"}
    # the flavour in the product's name first (``Vanilla``), then the label's other words; the
    # next word read is tried when one cannot be redrawn
    named = catalog_words.named_variants(product)
    words, reason = _find(page, named) if named else ([], "")
    others, other_reason = _find(page, {w: v for w, v in variants.items() if w not in named})
    words += others
    if not words:
        return {"skipped": f"variant word not found: {reason or other_reason}"}
    why = []
    for target in dict.fromkeys(w.target for w in words):
        # a word of about the same length fits the space the old one leaves
        lengths = np.array([abs(len(word) - len(target)) for word, _ in swaps], float)
        weights = np.array([weight for _, weight in swaps]) * np.exp(-lengths / 3.0)
        new_word = swaps[int(rng.choice(len(swaps), p=weights / weights.sum()))][0]
        done = []
        for word in [w for w in words if w.target == target]:
            box, reason = _rewrite(page, word, _same_case(new_word, word.text), centre=True)
            if box:
                done.append(box)
            why.append(reason)
        if done:
            first = next(w for w in words if w.target == target)
            return {"from": first.text, "to": _same_case(new_word, first.text), "boxes": page.fractions(done)}
    return {"skipped": f"variant word found, but {why[0]}"}


def _move_logo(page: _Page, product: Product, catalog_words: CatalogWords, maker: Maker, rng) -> dict:
    boxes = list(page.brand_boxes)  # (box, the word now printed there)
    if not boxes:
        brand = catalog_words.brand_words(product)
        words, reason = _find(page, brand) if brand else ([], "the product has no brand")
        if not words:
            return {"skipped": f"brand not found: {reason}"}
        boxes = [(w.box, w.text) for w in words]
    (x0, y0, x1, y1), text = boxes[0]
    h, w = page.image.shape[:2]
    word_h = y1 - y0
    pad = int(0.6 * word_h)
    region = (max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad))
    scale = float(rng.uniform(*maker.logo_scale))
    shift = float(rng.uniform(*maker.logo_shift)) * word_h
    angle = float(rng.uniform(0, 2 * np.pi))
    dx, dy = shift * np.cos(angle), shift * np.sin(angle)
    crop = page.image[region[1]:region[3], region[0]:region[2]]
    found = _locate(crop, (x0 - region[0], y0 - region[1], x1 - region[0], y1 - region[1]), text)
    if found is None:
        return {"skipped": f"brand found, but {UNCLEAR_INK}"}
    mask = cv2.dilate(found.mask.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=max(1, word_h // 12))
    base = _inpaint(crop, mask, word_h)
    centre = ((region[2] - region[0]) / 2, (region[3] - region[1]) / 2)
    matrix = cv2.getRotationMatrix2D(centre, 0.0, scale)
    matrix[:, 2] += (dx, dy)
    size = (crop.shape[1], crop.shape[0])
    moved = cv2.warpAffine(crop, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    alpha = cv2.warpAffine(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), max(0.8, word_h / 20)), matrix, size)
    alpha = np.clip(alpha, 0, 1)[..., None]
    page.image[region[1]:region[3], region[0]:region[2]] = alpha * moved + (1 - alpha) * base
    return {"scale": round(scale, 3), "shift_px": [round(dx / page.scale, 1), round(dy / page.scale, 1)],
            "boxes": page.fractions([region])}


# --- re-rendering one word in place ------------------------------------------------------------

def _rewrite(page: _Page, word: _Word, new: str, centre: bool = True) -> tuple[tuple | None, str]:
    """Inpaint the word's ink and draw ``new`` in its place in the best-fitting font, size,
    stretch and colour. Returns (the new word's box in working pixels, "") or (None, why not);
    the page is left as it was when it fails."""
    x0, y0, x1, y1 = word.box
    h, w = page.image.shape[:2]
    word_h = y1 - y0
    pad = max(3, int(0.25 * word_h))
    region = (max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + 2 * pad), min(h, y1 + pad))
    crop = page.image[region[1]:region[3], region[0]:region[2]].copy()
    inner = (x0 - region[0], y0 - region[1], x1 - region[0], y1 - region[1])
    found = _locate(crop, inner, word.text, word.line.height * h or None)
    if found is None:
        return None, UNCLEAR_INK
    ink, ink_rgb, background = found.mask, found.colour, found.background
    font_file, size, stretch, stroke, _ = found.fit
    mask = cv2.dilate(ink.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=max(1, round(word_h / 14)))
    base = _inpaint(crop, mask, word_h)
    # drawn level on the old word's centre (a word one letter longer or shorter stays in its
    # space) or where it started, then turned as the old word was
    alpha, _ = _render(new, font_file, size, stretch, stroke, found.level_shape, found.glyphs, word.text, centre)
    drawn_x = np.nonzero(alpha.max(axis=0) > 0.3)[0]
    if not len(drawn_x):
        return None, UNCLEAR_INK
    alpha = cv2.warpAffine(alpha, cv2.invertAffineTransform(found.turn), (found.level_shape[1], found.level_shape[0]))
    m = found.margin
    alpha = alpha[m:m + crop.shape[0], m:m + crop.shape[1]]
    # the photo's own softness: a 348-px photo enlarged about 3x has edges about as wide
    alpha = cv2.GaussianBlur(alpha, (0, 0), 0.35 * page.scale + 0.25)
    # the light falling on the pack shades the ink as it shades the background around it
    shade = np.clip(_luma(base) / max(1e-3, _luma(background[None, None, :])[0, 0]), 0.6, 1.4)[..., None]
    ink_layer = np.clip(ink_rgb[None, None, :] * shade, 0, 1)
    # the photo's grain: the inpainted and drawn pixels get noise as strong as the crop's own
    # away from the letters (copying the crop's high frequencies would bring the old word back)
    residual = crop - cv2.GaussianBlur(crop, (0, 0), 1.2)
    quiet = ~cv2.dilate(mask, np.ones((3, 3), np.uint8), iterations=2).astype(bool)
    spread = float(np.std(residual[quiet])) if quiet.any() else 0.01
    touched = np.clip(np.maximum(alpha, cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 1.5)), 0, 1)[..., None]
    noise = cv2.GaussianBlur(_grain(crop.shape, page, word), (0, 0), 0.6) * spread * 1.6
    out = alpha[..., None] * ink_layer + (1 - alpha[..., None]) * base + noise * touched
    out = np.clip(out, 0, 1)
    ys, xs = np.nonzero(alpha > 0.3)
    if not len(xs):
        return None, UNCLEAR_INK
    # a counterfeiter's word is legible: the OCR must read the new word where it was drawn
    level = cv2.warpAffine(np.pad(out, ((m, m), (m, m), (0, 0)), mode="edge"), found.turn,
                           (found.level_shape[1], found.level_shape[0]))
    gx0, gy0, gx1, gy1 = found.glyphs
    margin = max(2, (gy1 - gy0) // 5)
    line = level[max(0, gy0 - margin):gy1 + margin, max(0, int(drawn_x[0]) - margin):int(drawn_x[-1]) + margin]
    if not _reads_as(line, new, page.scale):
        return None, "the redrawn word did not read back"
    page.image[region[1]:region[3], region[0]:region[2]] = out
    return (region[0] + int(xs.min()), region[1] + int(ys.min()), region[0] + int(xs.max()) + 1,
            region[1] + int(ys.max()) + 1), ""


def _reads_as(line: np.ndarray, word: str, scale: float = 1.0) -> bool:
    """Whether OCR's recogniser reads ``word`` (one letter of slack) on a levelled line crop, seen
    at the photo's own resolution (``scale``: working pixels per photo pixel): a word squeezed
    into a small photo must still be legible there."""
    from rapidfuzz.distance import Levenshtein

    global _READER
    if _READER is None:
        from vision.text import TextReader

        _READER = TextReader()
    engine = _READER._load()
    if scale > 1:
        line = cv2.resize(line, (max(4, round(line.shape[1] / scale)), max(4, round(line.shape[0] / scale))),
                          interpolation=cv2.INTER_AREA)
    height = 48  # the recogniser's own input height
    zoom = height / max(1, line.shape[0])
    sized = cv2.resize((np.clip(line, 0, 1) * 255).astype(np.uint8),
                       (max(8, round(line.shape[1] * zoom)), height), interpolation=cv2.INTER_CUBIC)
    (text, confidence), = engine.text_rec([np.ascontiguousarray(sized[:, :, ::-1])])[0]
    read = [fold(t) for t in re.findall(r"[^\W_]+", text)]
    return confidence >= 0.5 and any(Levenshtein.distance(t, fold(word)) <= 1 for t in read)


def _one_line(level: np.ndarray) -> np.ndarray:
    """A levelled ink mask cut to its main line of print: the rows around the fullest one, up to
    the first rows with (almost) no ink; a tagline above or a line below is dropped."""
    rows = level.sum(axis=1).astype(np.float32)
    if not rows.any():
        return level
    peak = int(rows.argmax())
    low = 0.04 * rows[peak]
    top, bottom = peak, peak
    while top > 0 and rows[top - 1] > low:
        top -= 1
    while bottom < len(rows) - 1 and rows[bottom + 1] > low:
        bottom += 1
    out = np.zeros_like(level)
    out[top:bottom + 1] = level[top:bottom + 1]
    return out


def _stroke_spread(mask: np.ndarray) -> float:
    """How much the stroke width varies along a mask's ridges (coefficient of variation of the
    distance to its edge): letters of one face have even strokes, a ring or field around them
    does not."""
    thickness = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
    ridge = (thickness >= cv2.dilate(thickness, np.ones((3, 3), np.uint8)) - 1e-3) & (thickness >= 1.5)
    values = thickness[ridge]
    return float(values.std() / values.mean()) if len(values) > 5 else 0.0


def _holds_letters(component: np.ndarray, letter_h: float) -> bool:
    """Whether a component encloses a region as tall as a letter (``letter_h``): a field with
    letters cut out of it. The counters of letters (B, A, R of a heavy BRAVO: a quarter to a third
    of the print's height) are shorter."""
    as8 = component.astype(np.uint8)
    contours, _ = cv2.findContours(as8, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(as8)
    cv2.drawContours(filled, contours, -1, 1, thickness=-1)
    count, _, stats, _ = cv2.connectedComponentsWithStats((filled - as8).astype(np.uint8), connectivity=4)
    return any(stats[i, cv2.CC_STAT_HEIGHT] >= letter_h for i in range(1, count))


def _encloses_most(component: np.ndarray, width: int, height: int) -> bool:
    """Whether a component encloses a region at least half its own width and height: a ring or a
    frame around other things. A letter's counters (the holes of B, A, O) are smaller than that
    within a run of joined letters."""
    as8 = component.astype(np.uint8)
    contours, _ = cv2.findContours(as8, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(as8)
    cv2.drawContours(filled, contours, -1, 1, thickness=-1)
    count, _, stats, _ = cv2.connectedComponentsWithStats((filled - as8).astype(np.uint8), connectivity=4)
    return any(stats[i, cv2.CC_STAT_WIDTH] >= 0.5 * width and stats[i, cv2.CC_STAT_HEIGHT] >= 0.5 * height
               for i in range(1, count))


def _baseline_angle(ink: np.ndarray) -> float:
    """The angle (degrees, OpenCV's sense) that levels a word's ink: of the two turns by the
    ink's principal direction, the one that leaves it least tall."""
    ys, xs = np.nonzero(ink)
    if len(xs) < 10:
        return 0.0
    points = np.stack([xs, ys], 1).astype(np.float32)
    points -= points.mean(axis=0)
    _, vectors = np.linalg.eigh(np.cov(points.T))
    direction = vectors[:, -1]
    degrees = float(np.degrees(np.arctan2(direction[1], direction[0])))
    degrees = (degrees + 90) % 180 - 90  # a direction, not an orientation
    best, height = 0.0, None
    for candidate in (degrees, -degrees, 0.0):
        rad = np.deg2rad(candidate)
        turned_y = points[:, 0] * -np.sin(rad) + points[:, 1] * np.cos(rad)
        spread = float(np.percentile(turned_y, 98) - np.percentile(turned_y, 2))
        if height is None or spread < height - 0.5:
            best, height = candidate, spread
    return best


def _grain(shape, page: "_Page", word: "_Word") -> np.ndarray:
    """Unit noise for a re-rendered word, seeded by its place (the reprint stays deterministic)."""
    seed = (word.box[0] * 7919 + word.box[1] * 104729 + shape[0] * 31 + shape[1]) % (2 ** 32)
    return np.random.default_rng(seed).normal(0, 1, size=shape).astype(np.float32)


def _ink_candidates(crop: np.ndarray, inner: tuple[int, int, int, int], letters: int = 3,
                    text_h: float | None = None) -> list[tuple]:
    """For each of the two colours of a word's slot ``inner`` (k-means in Lab): (letter mask, ink
    colour, background colour), when that colour holds letter-like parts.

    Letters are the parts of one colour that are strokes, not fields, that the slot does not cut
    at its sides, and that are not a frame around the rest (a logo's ring). Which colour is the
    ink is left to the font fit (``_locate``): white letters on a blue logo on a white pack share
    their colour with the pack around the logo, so no rule on colours alone tells them apart.
    ``text_h``: the print's height (pixels) as OCR measured it along the line; a word at an angle
    is shorter than its upright box."""
    lab = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB)
    x0, y0, x1, y1 = inner
    slot = np.zeros(crop.shape[:2], bool)
    slot[y0:y1, x0:x1] = True
    values = lab[slot].reshape(-1, 3).astype(np.float32)
    if len(values) < 20:
        return []
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    cv2.setRNGSeed(0)
    _, _, centres = cv2.kmeans(values, 2, None, criteria, 3, cv2.KMEANS_PP_CENTERS)
    if np.linalg.norm(centres[0] - centres[1]) < 15:
        return []
    side = np.stack([np.linalg.norm(lab - c, axis=2) for c in centres]).argmin(axis=0)
    slot_h = text_h or (y1 - y0)
    found = []
    for colour in (0, 1):
        part = ((side == colour) & slot).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(part, connectivity=8)
        thickness = cv2.distanceTransform(part, cv2.DIST_L2, 3)
        ink = np.zeros(crop.shape[:2], bool)
        for i in range(1, count):
            left, top, width, height, area = stats[i]
            if area < max(4, slot_h * slot_h // 400) or height < 0.25 * slot_h:
                continue  # specks and dots
            component = labels == i
            if thickness[component].max() > 0.3 * slot_h:
                continue  # a field of colour, not a stroke
            if left <= x0 or left + width >= x1 or (top <= y0 and top + height >= y1):
                continue  # what the slot cuts at its sides or top to bottom is background, not a letter
            if width > 0.4 * (x1 - x0) and _encloses_most(component, width, height):
                continue  # a frame around letters (a logo's ring), not letters
            if width > 0.4 * (x1 - x0) and _holds_letters(component, 0.5 * slot_h):
                continue  # a field with letters cut out of it (white letters on a blue logo)
            ink |= component
        share = ink[slot].mean()
        if share < 0.04 or share > 0.6 or _stroke_spread(ink) > MAX_STROKE_SPREAD:
            continue
        ring = cv2.dilate(ink.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=max(2, int(slot_h // 8))).astype(bool)
        ring &= ~cv2.dilate(ink.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=1).astype(bool)
        ring &= side != colour
        background_rgb = np.median(crop[ring], axis=0) if ring.any() else np.median(crop[slot & ~ink], axis=0)
        # the ink's own colour from the stroke cores: the third of its pixels furthest from the
        # background (the edges blend into it, more so on a small photo enlarged)
        background_lab = cv2.cvtColor(background_rgb.reshape(1, 1, 3).astype(np.float32), cv2.COLOR_RGB2LAB)[0, 0]
        apart = np.linalg.norm(lab - background_lab, axis=2)
        core = ink & (apart >= np.percentile(apart[ink], 67))
        ink_rgb = np.median(crop[core if core.any() else ink], axis=0)
        found.append((ink, ink_rgb.astype(np.float32), background_rgb.astype(np.float32)))
    return found


@dataclass
class _Ink:
    """A word's ink in its crop, and the font that draws it."""

    mask: np.ndarray  # the letters, crop pixels
    colour: np.ndarray  # RGB
    background: np.ndarray  # RGB around the letters
    turn: np.ndarray  # the affine turn that levels the word, in a canvas ``margin`` larger each side
    margin: int
    level_shape: tuple[int, int]
    glyphs: tuple[int, int, int, int]  # the levelled ink's box
    fit: tuple  # (font file, size, stretch, stroke, overlap)


def _locate(crop: np.ndarray, inner: tuple[int, int, int, int], text: str, text_h: float | None = None) -> _Ink | None:
    """The word's ink: of the colours with letter-like parts, the one a font's drawing of
    ``text`` overlaps best, once levelled (a word printed at a slight angle is turned level to be
    measured); None when none fits well enough."""
    best = None
    for mask, colour, background in _ink_candidates(crop, inner, len(text), text_h):
        angle = _baseline_angle(mask)
        if abs(angle) > MAX_ANGLE:
            continue
        margin = int(0.5 * (inner[2] - inner[0]) * abs(np.sin(np.deg2rad(angle)))) + 2
        shape = (crop.shape[0] + 2 * margin, crop.shape[1] + 2 * margin)
        turn = cv2.getRotationMatrix2D((shape[1] / 2, shape[0] / 2), angle, 1.0)
        level = cv2.warpAffine(np.pad(mask.astype(np.float32), margin), turn, (shape[1], shape[0])) > 0.5
        if not level.any():
            continue
        # how much ink each pixel holds, between the background's colour (0) and the ink's (1)
        span = colour - background
        soft = np.clip((crop - background) @ span / max(1e-6, float(span @ span)), 0, 1)
        near = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=2).astype(bool)
        soft = cv2.warpAffine(np.pad(soft * near, margin).astype(np.float32), turn, (shape[1], shape[0]))
        level = _one_line(level)
        ys, xs = np.nonzero(level)
        # the word's box, without the odd speck of a neighbouring print caught in the mask
        glyphs = (int(np.percentile(xs, 0.5)), int(np.percentile(ys, 1)), int(np.percentile(xs, 99.5)) + 1,
                  int(np.percentile(ys, 99)) + 1)
        fit = _fit_font(text, level, glyphs, soft)
        if fit is not None and (best is None or fit[-1] > best.fit[-1]):
            best = _Ink(mask, colour, background, turn, margin, shape, glyphs, fit)
    return best


def _inpaint(crop: np.ndarray, mask: np.ndarray, word_h: int) -> np.ndarray:
    """The crop with the masked pixels filled from around them (Telea's method). Filled at a size
    where the print is about ``INPAINT_HEIGHT`` pixels high: the fill is smooth anyway, and at
    full size a large word took seconds (8.6 s for a 180-px BRAVO)."""
    factor = min(1.0, INPAINT_HEIGHT / max(1, word_h))
    size = (max(4, round(crop.shape[1] * factor)), max(4, round(crop.shape[0] * factor)))
    small = cv2.resize((np.clip(crop, 0, 1) * 255).astype(np.uint8), size, interpolation=cv2.INTER_AREA)
    small_mask = (cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0).astype(np.uint8)
    filled = cv2.inpaint(small, small_mask, max(3, round(word_h * factor / 4)), cv2.INPAINT_TELEA)
    filled = cv2.resize(filled, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
    blend = np.clip(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 1.0) * 1.5, 0, 1)[..., None]
    return blend * filled + (1 - blend) * crop


@lru_cache(maxsize=None)
def _fonts() -> tuple[str, ...]:
    return tuple(f for f in FONT_FILES if Path(f).exists())


@lru_cache(maxsize=4096)
def _font(font_file: str, size: int):
    return ImageFont.truetype(font_file, size) if font_file else ImageFont.load_default(size=size)


def _text_mask(text: str, font_file: str, size: int, stroke: int) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The text drawn at ``size`` (pixels), as a float mask, and its ink box in the mask; the text
    is drawn at (stroke, stroke) from the mask's top left plus the font's offsets."""
    font = _font(font_file, size)
    left, top, right, bottom = font.getbbox(text, stroke_width=stroke)
    canvas = Image.new("L", (right - left + 4 * stroke + 4, bottom - top + 4 * stroke + 4), 0)
    ImageDraw.Draw(canvas).text((2 + stroke - left, 2 + stroke - top), text, fill=255, font=font,
                                stroke_width=stroke, stroke_fill=255)
    mask = np.asarray(canvas, np.float32) / 255.0
    ys, xs = np.nonzero(mask > 0.5)
    if not len(xs):
        return mask, (0, 0, 1, 1)
    return mask, (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)


def _fit_font(text: str, ink: np.ndarray, glyphs: tuple[int, int, int, int], soft: np.ndarray | None = None):
    """(font file, size, horizontal stretch, stroke, overlap) whose drawing of ``text`` stretched
    onto the ink box overlaps the ink best (intersection over union), and carries as much ink as
    the photo's letters (``soft``: ink per pixel; a blurred photo's mask is fatter than its
    strokes, and a drawing matched to the mask alone came out too bold); None when the overlap
    is below ``MIN_FONT_FIT``."""
    gx0, gy0, gx1, gy1 = glyphs
    target = ink[gy0:gy1, gx0:gx1].astype(np.float32)
    th, tw = target.shape
    if th < 4 or tw < 4:
        return None
    mass = float(soft[gy0:gy1, gx0:gx1].sum()) if soft is not None else 0.0
    best, best_score = None, -np.inf
    for font_file in _fonts() or ("",):
        size = max(6, int(th * 1.4))
        for stroke in sorted({0, max(1, th // 20), max(1, th // 12), max(1, th // 8)}):
            mask, (bx0, by0, bx1, by1) = _text_mask(text, font_file, size, stroke)
            glyph_h = by1 - by0
            if glyph_h < 2:
                continue
            size_fit = max(6, round(size * th / glyph_h))  # the same ink height as the photo's
            mask, (bx0, by0, bx1, by1) = _text_mask(text, font_file, size_fit, stroke)
            drawn = mask[by0:by1, bx0:bx1]
            stretch = tw / max(1, drawn.shape[1])
            if not 0.35 <= stretch <= 2.5:  # condensed or extended faces, drawn by stretching ours
                continue
            drawn = cv2.resize(drawn, (tw, th), interpolation=cv2.INTER_AREA)
            solid = drawn > 0.5
            iou = float((solid & (target > 0)).sum() / max(1, (solid | (target > 0)).sum()))
            score = iou - (1.0 * abs(np.log(max(1e-3, float(drawn.sum())) / mass)) if mass > 0 else 0.0)
            # below this overlap the ink found is not the word read (a neighbour's print, a shadow)
            if iou >= MIN_FONT_FIT and score > best_score:
                best, best_score = (font_file, size_fit, stretch, stroke, iou), score
    return best


def _render(new: str, font_file: str, size: int, stretch: float, stroke: int, shape, glyphs, old: str,
            centre: bool) -> tuple[np.ndarray, tuple[int, int]]:
    """An alpha mask of ``shape`` with ``new`` drawn on the old word's baseline: its ink box starts
    where the old one did (or is centred on it). A word much longer than the old one is set
    smaller, as a typesetter fits it into the space (at most 1.3x the old width), and squeezed
    at most 15% more than the old word was."""
    gx0, gy0, gx1, gy1 = glyphs
    old_mask, (ox0, oy0, ox1, oy1) = _text_mask(old, font_file, size, stroke)
    mask, (bx0, by0, bx1, by1) = _text_mask(new, font_file, size, stroke)
    width = max(1, round((bx1 - bx0) * stretch))
    limit = 1.3 * (gx1 - gx0)
    squeeze = max(0.85, limit / width) if width > limit else 1.0
    smaller = min(1.0, limit / (width * squeeze))
    width = max(1, round(width * squeeze * smaller))
    # the old word's ink top sat at gy0; the same font's baseline puts the new word's ink at
    # gy0 + (by0 - oy0) (a word with no capital starts lower); a smaller word keeps the baseline
    scale_y = (gy1 - gy0) / max(1, oy1 - oy0)
    bottom = gy0 + round((by1 - oy0) * scale_y)
    height = max(1, round((by1 - by0) * scale_y * smaller))
    top = bottom - height
    glyph = cv2.resize(mask[by0:by1, bx0:bx1], (width, height), interpolation=cv2.INTER_AREA)
    left = round((gx0 + gx1) / 2 - width / 2) if centre else gx0
    alpha = np.zeros(shape, np.float32)
    y_a, x_a = max(0, top), max(0, left)
    y_b, x_b = min(shape[0], top + height), min(shape[1], left + width)
    if y_b > y_a and x_b > x_a:
        alpha[y_a:y_b, x_a:x_b] = glyph[y_a - top:y_b - top, x_a - left:x_b - left]
    return alpha, (left, top)


def misspell(word: str, rng: np.random.Generator, avoid: set[str] = frozenset()) -> str:
    """The word one letter off, as a counterfeiter prints it: a letter changed to one that looks
    alike, dropped, doubled, or two neighbours swapped; never a word in ``avoid`` (folded)."""
    for _ in range(50):
        kind = rng.choice(["look_alike", "drop", "double", "swap"], p=[0.45, 0.2, 0.15, 0.2])
        i = int(rng.integers(1, len(word))) if len(word) > 1 else 0  # the first letter is rarely wrong
        if kind == "look_alike":
            options = LOOK_ALIKE.get(word[i], "")
            if not options:
                continue
            candidate = word[:i] + options[int(rng.integers(len(options)))] + word[i + 1:]
        elif kind == "drop":
            if len(word) <= 3 or i == len(word) - 1:  # a dropped last letter reads as a cut-off word
                continue
            candidate = word[:i] + word[i + 1:]
        elif kind == "double":
            candidate = word[:i] + word[i] + word[i:]
        else:
            if len(word) < 3:
                continue
            i = min(i, len(word) - 2)
            candidate = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if fold(candidate) != fold(word) and fold(candidate) not in avoid:
            return candidate
    return word[:-1] + ("0" if word[-1] in "oO" else "0")


def _same_case(new: str, like: str) -> str:
    letters = [c for c in like if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        return new.upper()
    if letters and all(c.islower() for c in letters):
        return new.lower()
    if letters and letters[0].isupper():
        return new[:1].upper() + new[1:].lower()
    return new


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


# --- colour, print, photograph -----------------------------------------------------------------

def _shift_colour(page: _Page, maker: Maker, rng) -> dict:
    hue = float(rng.uniform(*maker.hue_degrees)) * (1 if rng.random() < 0.5 else -1)
    chroma = float(rng.uniform(*maker.chroma))
    lightness = float(rng.uniform(*maker.lightness))
    page.image = shift_colour(page.image, hue, chroma, lightness)
    return {"hue_degrees": round(hue, 1), "chroma": round(chroma, 3), "lightness": round(lightness, 1)}


def shift_colour(image: np.ndarray, hue_degrees: float, chroma: float, lightness: float) -> np.ndarray:
    """Rotate hue, scale chroma, shift lightness in CIE LCh (Lab's polar form): a press's inks
    and profile drift as a person sees colour, greys stay grey."""
    lab = cv2.cvtColor(np.clip(image, 0, 1).astype(np.float32), cv2.COLOR_RGB2LAB)
    a, b = lab[..., 1], lab[..., 2]
    theta = np.deg2rad(hue_degrees)
    c, s = np.cos(theta) * chroma, np.sin(theta) * chroma
    lab[..., 1], lab[..., 2] = a * c - b * s, a * s + b * c
    lab[..., 0] = np.clip(lab[..., 0] + lightness, 0, 100)
    return np.clip(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB), 0, 1)


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)).save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"), np.float32) / 255.0


#: Screen angles of the four inks (degrees): the usual offset-press rosette.
SCREEN_ANGLES = {"c": 15.0, "m": 75.0, "y": 0.0, "k": 45.0}


def _halftone(image: np.ndarray, period: float, rng) -> np.ndarray:
    """A CMYK amplitude-modulated screen of ``period`` pixels: each ink's coverage becomes round
    dots on its own angle, soft-edged as ink spreads, on a slightly off-white stock."""
    period = max(MIN_SCREEN_PERIOD, period)
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    phase = rng.uniform(0, period, size=2)
    rgb = np.clip(image, 0, 1)
    k = 1 - rgb.max(axis=2)
    denom = np.maximum(1 - k, 1e-4)
    cmy = [(1 - rgb[..., i] - k) / denom for i in range(3)]
    inks = {"c": cmy[0], "m": cmy[1], "y": cmy[2], "k": k}
    dots = {}
    for name, coverage in inks.items():
        theta = np.deg2rad(SCREEN_ANGLES[name])
        u = (xx + phase[0]) * np.cos(theta) + (yy + phase[1]) * np.sin(theta)
        v = -(xx + phase[0]) * np.sin(theta) + (yy + phase[1]) * np.cos(theta)
        cell = 0.5 - 0.25 * (np.cos(2 * np.pi * u / period) + np.cos(2 * np.pi * v / period))  # 0 centre, 1 corner
        # ink spreads on the stock (dot gain: a 50% dot prints about 60%), and dot edges are soft
        coverage = 1 - (1 - np.clip(coverage, 0, 1)) ** 1.25
        dots[name] = np.clip((coverage - cell) / 0.3 + 0.5, 0, 1)
    paper = np.array([0.975, 0.97, 0.95], np.float32)
    # real inks are not pure: cyan absorbs a little red-green, magenta a little blue
    out = np.empty_like(rgb)
    out[..., 0] = paper[0] * (1 - dots["c"]) * (1 - 0.08 * dots["m"]) * (1 - dots["k"])
    out[..., 1] = paper[1] * (1 - dots["m"]) * (1 - 0.1 * dots["c"]) * (1 - 0.05 * dots["y"]) * (1 - dots["k"])
    out[..., 2] = paper[2] * (1 - dots["y"]) * (1 - 0.15 * dots["m"]) * (1 - 0.05 * dots["c"]) * (1 - dots["k"])
    return out


def _rephotograph(image: np.ndarray, size: tuple[int, int], maker: Maker, rng) -> tuple[np.ndarray, dict]:
    """The print photographed again: a perspective (a quadrilateral inside the print fills the new
    frame, so no border shows), another white balance, a light gradient, sometimes a glare, the
    lens's softness and the sensor's noise at the photo's own size."""
    h, w = image.shape[:2]
    inset = rng.uniform(0, maker.tilt, size=(4, 2)) * np.array([w, h])
    source = np.float32([[inset[0, 0], inset[0, 1]], [w - 1 - inset[1, 0], inset[1, 1]],
                         [w - 1 - inset[2, 0], h - 1 - inset[2, 1]], [inset[3, 0], h - 1 - inset[3, 1]]])
    target = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    out = cv2.warpPerspective(image, cv2.getPerspectiveTransform(source, target), (w, h), flags=cv2.INTER_CUBIC,
                              borderMode=cv2.BORDER_REFLECT)
    temperature = float(rng.uniform(-1, 1))
    tint = float(rng.uniform(-0.03, 0.03))
    gains = np.array([1 + 0.07 * temperature, 1 + tint, 1 - 0.07 * temperature], np.float32)
    out = out * gains
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    direction = rng.uniform(0, 2 * np.pi)
    strength = float(rng.uniform(0.08, 0.3))
    ramp = ((xx / w - 0.5) * np.cos(direction) + (yy / h - 0.5) * np.sin(direction))
    out = out * (1 + strength * ramp)[..., None] * float(rng.uniform(0.92, 1.06))
    settings = {"tilt": round(float(inset.max() / max(w, h)), 3), "white_balance": round(temperature, 2),
                "light_gradient": round(strength, 2)}
    if rng.random() < 0.4:
        cx, cy = rng.uniform(0.15, 0.85) * w, rng.uniform(0.15, 0.85) * h
        radius = rng.uniform(0.06, 0.18) * max(w, h)
        glare = float(rng.uniform(0.25, 0.6)) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * radius ** 2))
        out = 1 - (1 - np.clip(out, 0, 1)) * (1 - glare[..., None])
        settings["glare"] = round(float(glare.max()), 2)
    # the lens and the sensor's low-pass filter: over half a pixel of the new photo, so detail
    # finer than its pixels (a press's dot screen) averages to its tone instead of aliasing into
    # a visible grid (at 0.45 px a 348-px reprint showed the screen as a regular pattern)
    shrink = w / size[0]
    lens = float(rng.uniform(0.55, 0.75))
    out = cv2.GaussianBlur(np.clip(out, 0, 1), (0, 0), lens * max(1.0, shrink))
    out = cv2.resize(out, size, interpolation=cv2.INTER_AREA)
    noise = float(rng.uniform(*maker.noise))
    grain = rng.normal(0, 1, size=out.shape[:2] + (1,)).astype(np.float32) * noise * np.sqrt(np.clip(out, 0.02, 1))
    chroma = rng.normal(0, 0.35 * noise, size=out.shape).astype(np.float32)
    out = np.clip(out + grain + chroma, 0, 1)
    settings["noise"] = round(noise, 3)
    return out, settings
