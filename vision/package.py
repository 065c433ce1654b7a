"""What a photo's package says: its printed text and its barcodes, read once per photo.

References are read when they are imported (the catalog keeps the reading, so a check never
reads them again); a checked photo is read once, next to its embedding. Reading is a catalog
setting (on by default for new catalogs): ``PackageReader(text=False, codes=False)`` reads
nothing and costs nothing.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from PIL import Image

from .codes import Code, read_codes
from .text import ENGINE, TextLine, TextReader

#: The short side a photo is decoded to when it is to be read: small print needs detail that the
#: model's 2x input size (576 px) does not keep. A 12 MP JPEG decodes at half scale (~2000 x 1500).
READING_SHORT_SIDE = 1200


@dataclass(frozen=True)
class PackageReading:
    text: tuple[TextLine, ...] = ()
    codes: tuple[Code, ...] = ()

    def to_dict(self) -> dict:
        return {"text": [line.to_dict() for line in self.text], "codes": [code.to_dict() for code in self.codes]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict | None) -> "PackageReading":
        data = data or {}
        return cls(tuple(TextLine.from_dict(t) for t in data.get("text", ())),
                   tuple(Code.from_dict(c) for c in data.get("codes", ())))

    @classmethod
    def from_json(cls, text: str | None) -> "PackageReading":
        return cls.from_dict(json.loads(text)) if text else cls()


class PackageReader:
    """Reads text and/or codes. Each thread gets its own OCR engine, so decode threads of an
    import read side by side; ``threads`` is what each engine may use."""

    def __init__(self, text: bool = True, codes: bool = True, threads: int | None = None, accents: bool = False):
        self.text = text
        self.codes = codes
        self.threads = threads
        #: Re-read the largest lines for their Vietnamese accents (``vision.accents``): for
        #: catalogs whose products carry Vietnamese text, for what a person is shown.
        self.accents = accents
        self._local = threading.local()

    @property
    def enabled(self) -> bool:
        return self.text or self.codes

    @property
    def min_side(self) -> int:
        return READING_SHORT_SIDE if self.enabled else 0

    def describe(self) -> dict:
        """What a catalog records of how its references were read."""
        return {"text": self.text, "codes": self.codes, "engine": ENGINE if self.text else None}

    def read(self, image: Image.Image) -> PackageReading:
        if not self.enabled:
            return PackageReading()
        lines = self._reader().read(image) if self.text else ()
        if lines and self.accents:
            from .accents import with_accents

            lines = with_accents(image, lines)
        codes = read_codes(image) if self.codes else ()
        return PackageReading(lines, codes)

    def _reader(self) -> TextReader:
        reader = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._local.reader = TextReader(self.threads)
        return reader
