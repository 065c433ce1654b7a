"""Label text as evidence: the words read on a photo against what each product's genuine
package says.

A product's *text profile* has two parts:
- **declared** words: its name, brand, product id and the manifest's optional ``label_text`` (what
  the brand owner says the genuine package reads);
- **seen** words: read by OCR on its own genuine references, each with the share of references it
  was read on (so shelf signs and a neighbour's pack, read once, weigh little).
Words are compared *folded* (lower case, diacritics removed: the OCR engine lacks most Vietnamese
accented letters, and a shopper's photo may lose them too) and with tolerance for OCR noise
(one or two letters off, by length). A word specific to few products (``ekologisk``) counts for
more than one every product carries (``arla`` on every Arla pack): inverse document frequency
over the catalog's profiles.

A **near miss** is a photo word one or two letters off a *brand* word, read with high confidence,
on photos where the brand itself is not read (neither as a word nor inside a longer one, as in a
line read without its spaces): ``ALPRA`` for ``Alpro``. OCR makes such errors too
(``MIOLK`` for ``MJOLK``), so the words that OCR misreads on a product's *genuine* references are
kept with its profile and never count as misspellings.

A word **naming another product** is read confidently, belongs to few products' profiles (high
inverse document frequency) none of which is the product judged, while none of the judged
product's own distinguishing words is read: "Vanilla" on an Alpro pack claimed as Alpro
Blueberry, where "Blueberry" is not read. A word the whole brand shares (``alpro``) is the
judged product's own and names nothing else.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

#: A photo word at least this similar (normalised Levenshtein) to a profile word matches it, with
#: that similarity as credit: OCR drops or swaps a letter now and then.
FUZZY_MATCH = 0.75
#: A seen word must be read on at least this share of a product's references (and on 2 of them)
#: to enter its profile: what is read once is usually a shelf sign or a neighbouring pack.
MIN_SEEN_SHARE = 0.1
#: Near misses of a brand name count only when read at least this confidently.
NEAR_MISS_CONFIDENCE = 0.9
#: A word names another product when read at least this confidently, is at least this long (OCR
#: fragments such as "ange" of "orange" are shorter), is held by at most ``OTHER_MAX_HOLDERS``
#: profiles (and at most half of them: a flavour or variant word, not a category word every milk
#: carries), weighs at least ``OTHER_MIN_WEIGHT`` in the other product's profile (declared, or read
#: on a quarter of its references), and was never read on the judged product's own references, of
#: which there are at least ``OTHER_MIN_REFERENCES`` (with fewer, a word its packs carry may simply
#: never have been read). Measured on thin catalogs cut from Grocery Store (5 and 10 photos a
#: product): without the last three conditions, 3% of true claims were flagged on words such as
#: "farsk" (fresh) or "havre" (oat) that the product's own packs print.
OTHER_CONFIDENCE = 0.8
OTHER_MIN_LENGTH = 5
OTHER_MAX_HOLDERS = 6
OTHER_MIN_WEIGHT = 0.5
OTHER_MIN_REFERENCES = 5
#: A profile word this similar to a word read counts as read (for the judged product's own words).
OWN_WORD_MATCH = 0.8
MIN_WORD = 3
#: Printed figures (a percentage: fat, alcohol, juice content) tell a product from its siblings
#: of the same line, whose packs differ in little else: a figure read at least
#: ``FIGURE_CONFIDENCE`` on the photos differs from the product's when the product's references
#: show a figure on at least ``FIGURE_MIN_SHARE`` of them (and on ``FIGURE_MIN_REFERENCES``), none
#: of the figures ever read on its references is read on the photos, and the figure read never was.
#: Found on packaged products missing from a tuned catalog (issue 24): Garant's 1.5% medium fat milk,
#: missing, got the green badge as its 3% standard milk; the photos read "1.5%" at 0.94, the
#: standard milk's references read "3.0%" on 19 of 29.
FIGURE_CONFIDENCE = 0.9
FIGURE_MIN_SHARE = 0.25
FIGURE_MIN_REFERENCES = 3
_FIGURE = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,]\d{1,2})?)\s*%")

_FOLD_TABLE = str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "ß": "ss", "ł": "l",
                             "Ł": "l", "œ": "oe", "Œ": "oe"})
_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower case, no diacritics: ``Sữa tươi`` -> ``sua tuoi``, ``MJÖLK`` -> ``mjolk``."""
    text = unicodedata.normalize("NFKD", text.translate(_FOLD_TABLE))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def accented_words(lines: Iterable[str]) -> dict[str, str]:
    """Each folded word of lines read with their accents, as printed (lower case): ``{"sua":
    "sữa", "tuoi": "tươi"}``, so a person is shown ``sữa`` where the comparison used ``sua``."""
    out: dict[str, str] = {}
    for line in lines:
        for printed in re.findall(r"\w+", line):
            folded = fold(printed)
            if len(folded) >= MIN_WORD and folded != printed.lower():
                out.setdefault(folded, printed.lower())
    return out


def words(text: str) -> list[str]:
    """The folded words of a text that can carry evidence: 3+ characters, with a letter, or
    numbers of 3+ digits (a volume, a code)."""
    return [w for w in _WORD.findall(fold(text)) if len(w) >= MIN_WORD]


@dataclass(frozen=True)
class ReadWord:
    """A word read on a photo, with the engine's confidence and the print's height (share of the
    photo's height)."""

    word: str
    confidence: float = 1.0
    height: float = 0.0


def figures(text: str) -> list[str]:
    """The percentages printed in a text, written one way: "3,0 %" and "3%" are both "3%"."""
    return [f"{float(number.replace(',', '.')):g}%" for number in _FIGURE.findall(text)]


def read_figures(lines: Iterable) -> dict[str, float]:
    """Figures of OCR lines (as ``read_words`` takes them) -> the most confident reading of each."""
    best: dict[str, float] = {}
    for line in lines:
        text = line["text"] if isinstance(line, dict) else line.text
        confidence = float(line["confidence"] if isinstance(line, dict) else line.confidence)
        for figure in figures(text):
            best[figure] = max(confidence, best.get(figure, 0.0))
    return best


def read_words(lines: Iterable) -> list[ReadWord]:
    """Words of OCR lines (``vision.text.TextLine`` or their dicts), each once, most confident kept."""
    best: dict[str, ReadWord] = {}
    for line in lines:
        text = line["text"] if isinstance(line, dict) else line.text
        confidence = float(line["confidence"] if isinstance(line, dict) else line.confidence)
        height = float((line.get("height", 0.0) if isinstance(line, dict) else line.height) or 0.0)
        for word in words(text):
            if word not in best or confidence > best[word].confidence:
                best[word] = ReadWord(word, confidence, height)
    return list(best.values())


@dataclass(frozen=True)
class TextProfile:
    product_id: str
    declared: frozenset[str] = frozenset()
    brand: frozenset[str] = frozenset()
    #: word -> share of the product's genuine references it was read on
    seen: dict[str, float] = field(default_factory=dict)
    #: words OCR read on the product's genuine references that are near misses of its brand:
    #: the engine's own errors, never counted as a misspelt brand.
    misreads: frozenset[str] = frozenset()
    references: int = 0
    #: every word read on any of its genuine references, however rarely: a word its own packs were
    #: ever seen to carry names no other product when read on it
    ever: frozenset[str] = frozenset()
    #: figure (``figures``) -> share of its references it was read on (any share: ever read)
    figures: dict[str, float] = field(default_factory=dict)

    def weight(self, word: str) -> float:
        return 1.0 if word in self.declared else min(1.0, 2.0 * self.seen.get(word, 0.0))

    def vocabulary(self) -> set[str]:
        return set(self.declared) | set(self.seen)


@dataclass(frozen=True)
class TextComparison:
    """A photo's words against one product's profile: what a person can check."""

    product_id: str
    #: Profile words found on the photo (exactly or within OCR noise), with the word read.
    matched: tuple[tuple[str, str], ...]
    #: Declared words of the product not found on the photo.
    missing: tuple[str, ...]
    #: (word read, brand word it nearly is): a brand name a letter or two off.
    near_misses: tuple[tuple[str, str], ...]
    #: Specificity-weighted evidence for the product (0 when nothing matches).
    support: float
    #: (word read, the other product whose profile it belongs to): distinctive words of other
    #: products read with none of this product's own distinguishing words (a contradiction) ...
    other_products: tuple[tuple[str, str], ...] = ()
    #: ... and read beside them (mixed words: no contradiction, no green badge either).
    other_words: tuple[tuple[str, str], ...] = ()
    #: (figure read, the figure the product's packs show): a percentage that is not the product's
    #: (``FIGURE_CONFIDENCE``): a sibling of the line, or a reprint. No green badge.
    other_figures: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict:
        return {"product_id": self.product_id, "matched": [list(m) for m in self.matched],
                "missing": list(self.missing), "near_misses": [list(n) for n in self.near_misses],
                "support": round(self.support, 3),
                **({"names_other_product": [list(o) for o in self.other_products]} if self.other_products else {}),
                **({"mentions_other_product": [list(o) for o in self.other_words]} if self.other_words else {}),
                **({"figure_differs": [list(f) for f in self.other_figures]} if self.other_figures else {})}


def build_profile(product_id: str, name: str = "", brand: str = "", label_text: str = "",
                  reference_words: Sequence[Iterable[str]] = (),
                  reference_figures: Sequence[Iterable[str]] = ()) -> TextProfile:
    """A product's profile from its declared fields and the words (and figures) read on each
    genuine reference."""
    brand_words = frozenset(words(brand))
    declared = frozenset(words(" ".join((name, brand, label_text, product_id.replace("-", " ").replace("_", " ")))))
    counts: Counter[str] = Counter()
    total = 0
    for ref_words in reference_words:
        total += 1
        counts.update(set(ref_words))
    seen = {w: n / total for w, n in counts.items() if total and n >= 2 and n / total >= MIN_SEEN_SHARE}
    misreads = frozenset(w for w in counts if w not in brand_words and any(_near(w, b) for b in brand_words))
    figure_counts: Counter[str] = Counter()
    for ref_figures in reference_figures:
        figure_counts.update(set(ref_figures))
    shown = {f: n / total for f, n in figure_counts.items()} if total else {}
    return TextProfile(product_id, declared, brand_words, seen, misreads, total, frozenset(counts), shown)


class TextIndex:
    """Every product's profile and how specific each word is across the catalog."""

    def __init__(self, profiles: Iterable[TextProfile]):
        self.profiles = {p.product_id: p for p in profiles}
        holders: dict[str, list[str]] = {}
        for profile in self.profiles.values():
            for word in profile.vocabulary():
                if profile.weight(word) > 0:
                    holders.setdefault(word, []).append(profile.product_id)
        n = max(1, len(self.profiles))
        self.holders = holders
        self.idf = {w: math.log((1 + n) / (1 + len(ps))) + 1.0 for w, ps in holders.items()}
        self._vocabulary = sorted(holders)

    def __bool__(self) -> bool:
        return bool(self.profiles)

    def _matches(self, read: Sequence[ReadWord]) -> dict[str, list[tuple[str, float]]]:
        """For each word read: the vocabulary words it matches, with the similarity."""
        out = {}
        for item in read:
            hits = process.extract(item.word, self._vocabulary, scorer=Levenshtein.normalized_similarity,
                                   score_cutoff=FUZZY_MATCH, limit=8)
            out[item.word] = [(word, float(score)) for word, score, _ in hits]
        return out

    def supports(self, read: Sequence[ReadWord], products: Iterable[str] | None = None) -> dict[str, float]:
        """Evidence each product gets from the words read: for every word read, its best match in
        the product's profile (similarity x weight x specificity), summed."""
        matches = self._matches(read)
        wanted = set(products) if products is not None else None
        support: dict[str, float] = {}
        for item in read:
            best: dict[str, float] = {}
            for word, similarity in matches[item.word]:
                for product in self.holders.get(word, ()):
                    if wanted is not None and product not in wanted:
                        continue
                    credit = similarity * self.profiles[product].weight(word) * self.idf[word] * item.confidence
                    if credit > best.get(product, 0.0):
                        best[product] = credit
            for product, credit in best.items():
                support[product] = support.get(product, 0.0) + credit
        return support

    def known(self, read: Sequence[ReadWord]) -> list[str]:
        """The words read that are words of some product's profile, exactly or within OCR noise:
        what a person is shown as read. The rest is mostly the engine reading a pattern or a
        curved line as letters ("spuecredbmut", issue 26), no evidence for a person to weigh."""
        matches = self._matches(read)
        return [item.word for item in read if matches[item.word]]

    def compare(self, read: Sequence[ReadWord], product_id: str,
                figures_read: dict[str, float] | None = None) -> TextComparison:
        """``figures_read``: the photos' figures (``read_figures``), to compare with the product's."""
        profile = self.profiles.get(product_id)
        if profile is None:
            return TextComparison(product_id, (), (), (), 0.0)
        vocabulary = sorted(w for w in profile.vocabulary() if profile.weight(w) > 0)
        matched, found = [], set()
        for item in read:
            hit = process.extractOne(item.word, vocabulary, scorer=Levenshtein.normalized_similarity,
                                     score_cutoff=FUZZY_MATCH) if vocabulary else None
            if hit is not None:
                matched.append((hit[0], item.word))
                found.add(hit[0])
        exact = {item.word for item in read}
        near = []
        for brand_word in sorted(profile.brand):
            if brand_word in exact:
                continue
            for item in read:
                if (item.confidence >= NEAR_MISS_CONFIDENCE and item.word not in profile.misreads
                        and _near(item.word, brand_word)):
                    near.append((item.word, brand_word))
        if any(_read_correctly(b, exact) for b in profile.brand):
            near = []  # the brand is also read correctly: a stray near-miss is noise
        missing = tuple(sorted(w for w in profile.declared if w not in found))
        support = self.supports(read, [product_id]).get(product_id, 0.0)
        others = self._other_words(read, product_id)
        return TextComparison(product_id, tuple(sorted(set(matched))), missing, tuple(near), support,
                              tuple((w, o) for w, o, contradicts in others if contradicts),
                              tuple((w, o) for w, o, contradicts in others if not contradicts),
                              _other_figures(profile, figures_read or {}))

    def names_other(self, read: Sequence[ReadWord], product_id: str) -> tuple[tuple[str, str], ...]:
        """Confidently read words that are distinctive of another product and not of this one,
        when none of this product's own words that the other lacks is read: a contradiction."""
        return tuple((word, other) for word, other, contradicts in self._other_words(read, product_id) if contradicts)

    def _other_words(self, read: Sequence[ReadWord], product_id: str) -> list[tuple[str, str, bool]]:
        """(word read, other product it is distinctive of, whether none of this product's own words
        that the other lacks is read) for each confidently read word distinctive of another product."""
        profile = self.profiles.get(product_id)
        if profile is None:
            return []
        if profile.references < OTHER_MIN_REFERENCES:
            return []
        own = {w for w in profile.vocabulary() if profile.weight(w) > 0}
        ever = own | set(profile.ever)
        # a flavour or variant word belongs to a few products; a category word to many
        limit = min(OTHER_MAX_HOLDERS, max(1, len(self.profiles) // 2))
        read_words_ = [r.word for r in read]
        found: list[tuple[str, str, bool]] = []
        for item in read:
            if item.confidence < OTHER_CONFIDENCE or len(item.word) < OTHER_MIN_LENGTH or _fuzzy_in(item.word, ever):
                continue
            holders = [p for p in self.holders.get(item.word, ()) if p != product_id]
            if not holders or len(holders) > limit:
                continue
            holders = [p for p in holders if self.profiles[p].weight(item.word) >= OTHER_MIN_WEIGHT]
            if not holders:
                continue
            # the holder the rest of the print points to first (Alpro's vanilla before Valio's)
            holders.sort(key=lambda p: -sum(_fuzzy_in(w, self.profiles[p].vocabulary()) for w in read_words_))
            contradicts = False
            for other in holders:
                distinguishing = {w for w in own if not _fuzzy_in(w, self.profiles[other].vocabulary())}
                if distinguishing and not any(_fuzzy_in(w, read_words_, OWN_WORD_MATCH) for w in distinguishing):
                    found.append((item.word, other, True))
                    contradicts = True
                    break
            if not contradicts:
                found.append((item.word, holders[0], False))
        return found


#: A brand word this long or longer also counts as read inside a longer word: OCR often reads a
#: line without its spaces (``FRANSVENSKAARLAGARDAR``: "Från svenska Arlagårdar" on an Arla pack).
MIN_BRAND_INSIDE = 4


def _other_figures(profile: TextProfile, read: dict[str, float]) -> tuple[tuple[str, str], ...]:
    """(figure read, the product's usual figure) for confidently read figures its packs never
    showed, when its packs show a figure of their own (``FIGURE_MIN_SHARE``) and none of the
    figures they ever showed is read."""
    usual = sorted((f for f, share in profile.figures.items()
                    if share >= FIGURE_MIN_SHARE and round(share * profile.references) >= FIGURE_MIN_REFERENCES),
                   key=lambda f: (-profile.figures[f], f))
    if not usual or any(f in profile.figures for f in read):
        return ()
    return tuple((f, usual[0]) for f, confidence in sorted(read.items())
                 if confidence >= FIGURE_CONFIDENCE)


def _read_correctly(brand_word: str, read: set[str]) -> bool:
    """The brand word is among the words read, or (4+ letters) inside one of them."""
    return brand_word in read or (len(brand_word) >= MIN_BRAND_INSIDE and any(brand_word in w for w in read))


def _fuzzy_in(word: str, vocabulary, cutoff: float = FUZZY_MATCH) -> bool:
    """``word`` is in ``vocabulary`` exactly or within OCR noise."""
    vocabulary = list(vocabulary)
    return word in vocabulary or (bool(vocabulary) and process.extractOne(
        word, vocabulary, scorer=Levenshtein.normalized_similarity, score_cutoff=cutoff) is not None)


def _near(word: str, target: str) -> bool:
    """One letter off for words of 3-7 letters, up to two for longer ones; not equal."""
    if word == target or len(target) < MIN_WORD:
        return False
    allowed = 1 if len(target) < 8 else 2
    return abs(len(word) - len(target)) <= allowed and 0 < Levenshtein.distance(word, target) <= allowed
