"""Read the text printed on a photo (brand name, product name, batch code) offline.

The engine is RapidOCR's PP-OCRv4 detector and recogniser (ONNX models inside the
``rapidocr-onnxruntime`` wheel, run by onnxruntime on the CPU). It reads Latin text well; its
recogniser lacks most Vietnamese accented letters, which is why text is compared with
diacritics folded (``index.judging.text``).

Cost is what decides the settings: detection grows with the pixels it looks at, recognition with
the number of boxes. So detection runs on the photo scaled to ``DETECT_SIDE`` on its long side,
small photos scaled *up* by at most ``MAX_UPSCALE``, and only the ``MAX_LINES`` largest boxes are
recognised: the large print (brand, product name) is what tells a product from its look-alike;
the small print is mostly ingredients. Boxes are cut from the photo as decoded (up to 2,048 px),
so small text keeps its detail. Measured on 72 Grocery Store package photos (348 px, 2 cores),
words of the product's title and brand read: at their own size 83 (0.19 s a photo), scaled
1.5x 89 (0.31 s), 2x 100 (0.42 s); scaled 2.8x (to 960) the detector merges lines and reads
less.

Recognition has a time bound (issue 25): its cost grows faster than the width of a line (the
recogniser mixes the whole line), and one 2,048 x 2,048 photo of full-width lines of small print
took 40-47 s (78 s on a 2-core test machine: 32 lines 76 times as wide as high, 0.9 s each, 11.6 s
for a batch of six). Now a line wider than ``MAX_RATIO`` times its height is recognised in pieces
of at most that width (``MAX_PIECES`` of them: 0.16 s a piece, where the time still grows with the
width alone), in the engine's own batches of six, narrowest first, and no batch is begun that
would take the photo past ``WORK_BUDGET`` (the lines read by then are kept): a bound on the work,
so a photo reads the same on a busy machine as on an idle one. The demo catalog's package photos
(lines at most ~7 times as wide as high, at most 40% of the budget) are read exactly as before:
the batches are the ones a single call makes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from PIL import Image

#: Long side (pixels) the detector sees, and how much a small photo may be enlarged to get there.
DETECT_SIDE = 960
MAX_UPSCALE = 2.0
#: At most this many boxes are recognised, largest first.
MAX_LINES = 32
#: Recognitions below this confidence are dropped (the engine's own default is 0.5).
MIN_CONFIDENCE = 0.5
ENGINE = "rapidocr-ppocrv4"
#: A line is recognised in pieces at most this many times as wide as high (past that, a piece's
#: time grows faster than its width: 0.16 s at 24, 0.49 s at 47), at most ``MAX_PIECES`` pieces a
#: line (the rest of a longer line is small print).
MAX_RATIO = 24
MAX_PIECES = 4
#: What recognising one photo may cost, in the recogniser's own measure: each batch costs its size
#: times its widest piece's width-to-height ratio (every piece is padded to it; at least the
#: model's 320 x 48). The demo catalog's photos cost 33 (median) to 193; 32 lines 12 times as wide
#: as high, 384; a photo of full-width lines of small print, unbounded, ~2,400 in one batch whose
#: time grows faster than its width. No batch is begun that would go past the budget: the same
#: photo always reads the same, whatever else the machine runs.
WORK_BUDGET = 500


@dataclass(frozen=True)
class TextLine:
    text: str
    confidence: float
    #: (left, top, right, bottom) as fractions of the photo's width and height.
    box: tuple[float, float, float, float]
    #: Height of the text as a share of the photo's height: large print weighs more.
    height: float
    #: The same line with its Vietnamese accents (``vision.accents``), when read and agreeing;
    #: what a person is shown. Comparisons use ``text`` (accents are folded there anyway).
    accented: str = ""

    @property
    def shown(self) -> str:
        return self.accented or self.text

    def to_dict(self) -> dict:
        data = {"text": self.text, "confidence": round(self.confidence, 3),
                "box": [round(v, 4) for v in self.box], "height": round(self.height, 4)}
        if self.accented:
            data["accented"] = self.accented
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "TextLine":
        return cls(str(data["text"]), float(data["confidence"]), tuple(data["box"]), float(data.get("height", 0.0)),
                   str(data.get("accented", "")))


class TextReader:
    """``read(image)`` gives the lines of text on a photo, largest print first. One engine per
    reader, loaded on first use; safe to call from several threads (one at a time)."""

    name = ENGINE

    def __init__(self, threads: int | None = None):
        self.threads = threads
        self._engine = None
        self._lock = threading.Lock()

    def _load(self):
        if self._engine is None:
            from rapidocr_onnxruntime import RapidOCR

            from .runtime import available_cores

            threads = self.threads or available_cores()
            # limit_type "max": the detector never rescales what it is given (we size it ourselves).
            self._engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, use_cls=False,
                                    det_limit_type="max", det_limit_side_len=DETECT_SIDE)
        return self._engine

    def read(self, image: Image.Image, deadline: float | None = None) -> tuple[TextLine, ...]:
        """The lines read, within ``WORK_BUDGET``; and, when a ``deadline`` (``time.monotonic()``)
        is given, no batch begun after it."""
        with self._lock:
            engine = self._load()
            source = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])  # BGR, as the engine expects
            height, width = source.shape[:2]
            if min(height, width) < 8:
                return ()
            scale = min(DETECT_SIDE / max(height, width), MAX_UPSCALE)
            detect = image.convert("RGB").resize((max(1, round(width * scale)), max(1, round(height * scale))),
                                                 Image.Resampling.BILINEAR)
            boxes, _ = engine.text_det(np.ascontiguousarray(np.asarray(detect)[:, :, ::-1]))
            if boxes is None or not len(boxes):
                return ()
            boxes = [np.asarray(box, np.float32) / scale for box in boxes]
            boxes.sort(key=_area, reverse=True)
            boxes = boxes[:MAX_LINES]
            crops = engine.get_crop_img_list(source, [box.copy() for box in boxes])
            pieces = [(i, piece) for i, crop in enumerate(crops) for piece in _pieces(crop)]
            # the engine's own batches, narrowest first, as one call with every piece makes them (so a
            # photo read within the time reads exactly as before); the widest, slowest, come last
            ratios = np.array([piece.shape[1] / float(piece.shape[0]) for _, piece in pieces])
            order = np.argsort(ratios)
            batch = engine.text_rec.rec_batch_num
            least = engine.text_rec.rec_image_shape[2] / engine.text_rec.rec_image_shape[1]
            read: dict[int, tuple[str, float]] = {}
            spent = 0.0
            for start in range(0, len(order), batch):
                chosen = order[start:start + batch]
                spent += len(chosen) * max(least, float(ratios[chosen].max()))
                if spent > WORK_BUDGET or (deadline is not None and time.monotonic() > deadline):
                    break
                recognised, _ = engine.text_rec([pieces[j][1] for j in chosen])
                for j, (text, confidence) in zip(chosen, recognised):
                    read[int(j)] = (text.strip(), float(confidence))
        by_line: dict[int, list[tuple[str, float]]] = {}
        for j, (i, _) in enumerate(pieces):  # a line's pieces left to right
            if j in read:
                by_line.setdefault(i, []).append(read[j])
        lines = []
        for i, box in enumerate(boxes):
            parts = [(t, c) for t, c in by_line.get(i, ()) if t]
            text = " ".join(t for t, _ in parts)
            confidence = min((c for _, c in parts), default=0.0)
            if not text or confidence < MIN_CONFIDENCE:
                continue
            xs, ys = box[:, 0] / width, box[:, 1] / height
            line_height = float(max(np.linalg.norm(box[0] - box[3]), np.linalg.norm(box[1] - box[2]))) / height
            lines.append(TextLine(text, float(confidence),
                                  (float(xs.min().clip(0, 1)), float(ys.min().clip(0, 1)),
                                   float(xs.max().clip(0, 1)), float(ys.max().clip(0, 1))), line_height))
        return tuple(lines)


def _pieces(crop: np.ndarray) -> list[np.ndarray]:
    """A cut-out line as the recogniser is given it: whole, or in pieces at most ``MAX_RATIO`` times
    as wide as high (at most ``MAX_PIECES``)."""
    height, width = crop.shape[:2]
    step = MAX_RATIO * max(1, height)
    if width <= step:
        return [crop]
    return [crop[:, x:x + step] for x in range(0, width, step)][:MAX_PIECES]


def _area(box: np.ndarray) -> float:
    x, y = box[:, 0], box[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
