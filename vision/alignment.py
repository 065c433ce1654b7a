"""Flat print aligned and compared: local features, a homography, and where the print differs.

A label, a box or a carton is flat (or nearly): two photos of the same print line up under a
homography, and a photo of another product, even of the same brand, shares only its logo. So:

- ``extract``: SIFT keypoints of a photo at a bounded size (long side ``EXTRACT_SIDE``), RootSIFT
  descriptors quantised to one byte per component, coordinates in 1/8 px; at most
  ``MAX_FEATURES`` of them, so a catalog reference costs a bounded number of bytes
  (``Keypoints.to_bytes``: a fixed header and two arrays, no pickle).
- ``align`` / ``align_many``: ratio-test matches (Lowe, 0.8), one-to-one, and a homography fitted
  by OpenCV's MAGSAC++ (``cv2.USAC_MAGSAC``); a homography that folds the photo, shrinks or
  stretches it wildly, or bends it into a steep perspective is junk, not evidence. The inlier count
  and the share of the reference the inliers cover are evidence of identity.
- ``item_plane``: the homography of the item itself, for comparing its print: up to two planes
  (a pack on a shelf often gives the shelf behind it as the first), the one whose inliers sit most
  centrally in the photo.
- ``difference``: the photo warped onto the reference, its colours brought to the reference's
  (per-channel mean and spread in Lab inside the overlap), then compared cell by cell on a grid,
  only near the inliers (where the alignment is supported): print (structure: normalised
  cross-correlation of gradient images, best over a small shift, so a pixel or two of
  misalignment is no difference), colour (chroma distance of the cells' means), an element missing
  (structure in the reference, none in the photo) or moved (the reference's cell found further
  away than the tolerated shift). ``draw_overlay`` draws it on the reference.

Measured (scripts/experiments/alignment.py, docs/verification.md "Flat print aligned and
compared"): the recipe is FINDINGS' (640 px, 800 features, RootSIFT, ratio 0.8, MAGSAC); on
Grocery Store val packaged photos the inliers separate true from look-alike claims at AUROC 0.797.
The cell thresholds were chosen on pairs of the demo's references (Grocery *train* photos); on 150
train pairs a genuine photo against another of its pack differs in 2.6% of the compared cells
(median), a reprinted label lights up 82% of the cells under it and 8% elsewhere.

Pixels only: this module imports nothing from ``index``.
"""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageDraw

#: Long side (px) a photo is brought down to before keypoints are found (never enlarged: SIFT
#: doubles the image for its first octave itself).
EXTRACT_SIDE = 640
#: Keypoints kept per photo, strongest first: the bound on what a reference costs (about 132 bytes
#: each: 128 descriptor bytes and two 16-bit coordinates).
MAX_FEATURES = 800
#: Lowe's ratio test: the best match must be this much nearer than the second best.
RATIO = 0.8
#: Fewer ratio-test matches than this: no homography is tried.
MIN_MATCHES = 8
#: MAGSAC++ threshold (px at the extraction size) and its iteration budget.
REPROJECTION_PX = 4.0
MAX_ITERATIONS = 2000
#: Spread (share of the photo's long side) of the weight that makes an inlier near the photo's
#: centre count more when choosing which plane is the item.
ITEM_SPREAD = 0.25
#: A second plane counts when it holds at least this many inliers, this share of the matches the
#: first left (chance planes among leftover matches hold 4-7, under half of them).
SECOND_PLANE = 12
SECOND_PLANE_RATIO = 0.4
#: A homography is junk when it scales the photo's area by more than this (either way) ...
MAX_AREA_SCALE = 25.0
#: ... or when its local scale differs between two corners of the photo by more than this (a
#: steep perspective fitted to a handful of chance matches).
MAX_PERSPECTIVE = 6.0

#: The serialised form: magic, format version, width, height, count, descriptor length.
_HEADER = struct.Struct("<4sHHHHH")
_MAGIC = b"VKP1"
_VERSION = 1
_DIM = 128
#: Coordinates are stored in units of 1/8 px as uint16: up to 8,191 px.
_SUBPIXEL = 8
_MAX_SIDE = 65535 // _SUBPIXEL
#: RootSIFT components lie in [0, 1]; on the demo's photos none passes 0.34 (99.9% below 0.27).
#: Scaled by 510 to a byte (clipped at 0.5): about 170 levels, a rounding error of at most 0.001
#: per component; descriptors are re-normalised after reading.
_QUANT = 510.0


class KeypointsError(ValueError):
    """Stored keypoints that cannot be used; ``str()`` says why."""


@dataclass(frozen=True)
class Keypoints:
    """Keypoints of one photo at its extraction size ``width`` x ``height``: ``xy`` (n, 2) float32
    pixels, ``descriptors`` (n, 128) uint8 quantised RootSIFT."""

    width: int
    height: int
    xy: np.ndarray = field(repr=False)
    descriptors: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return len(self.xy)

    def unit_descriptors(self) -> np.ndarray:
        """Descriptors as unit-length float32 rows (for matching by dot product)."""
        d = self.descriptors.astype(np.float32)
        norms = np.linalg.norm(d, axis=1, keepdims=True)
        return d / np.maximum(norms, 1e-6)

    def to_bytes(self) -> bytes:
        n = len(self.xy)
        coords = np.clip(np.rint(self.xy * _SUBPIXEL), 0, 65535).astype("<u2")
        return (_HEADER.pack(_MAGIC, _VERSION, self.width, self.height, n, _DIM)
                + coords.tobytes() + np.ascontiguousarray(self.descriptors, dtype=np.uint8).tobytes())

    @classmethod
    def from_bytes(cls, data: bytes, max_features: int = MAX_FEATURES) -> "Keypoints":
        """Read stored keypoints; ``KeypointsError`` saying what is wrong for anything that is not
        what ``to_bytes`` wrote (truncated, oversized, another format)."""
        data = bytes(data)
        if len(data) < _HEADER.size:
            raise KeypointsError(f"keypoints record is {len(data)} bytes, shorter than its {_HEADER.size}-byte header")
        magic, version, width, height, n, dim = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise KeypointsError("not a keypoints record (wrong magic bytes)")
        if version != _VERSION:
            raise KeypointsError(f"keypoints format {version} is not understood (this program reads {_VERSION})")
        if dim != _DIM:
            raise KeypointsError(f"keypoints have {dim}-byte descriptors, not {_DIM}")
        if n > max_features:
            raise KeypointsError(f"keypoints record holds {n} keypoints, more than the limit of {max_features}")
        if not (0 < width <= _MAX_SIDE and 0 < height <= _MAX_SIDE):
            raise KeypointsError(f"keypoints record names an image of {width} x {height} px")
        expected = _HEADER.size + n * (4 + _DIM)
        if len(data) != expected:
            raise KeypointsError(f"keypoints record is {len(data)} bytes; {n} keypoints take {expected}")
        coords = np.frombuffer(data, dtype="<u2", count=2 * n, offset=_HEADER.size).reshape(n, 2)
        xy = coords.astype(np.float32) / _SUBPIXEL
        if n and (xy[:, 0].max() > width or xy[:, 1].max() > height):
            raise KeypointsError("keypoints record has points outside its image")
        descriptors = np.frombuffer(data, dtype=np.uint8, count=n * _DIM, offset=_HEADER.size + 4 * n).reshape(n, _DIM)
        return cls(int(width), int(height), xy, descriptors)


@dataclass(frozen=True)
class Alignment:
    """A photo (the query) aligned onto a reference."""

    inliers: int
    matches: int
    #: Share of the reference (at its extraction size) inside the convex hull of the inliers.
    coverage: float
    #: 3 x 3, query extraction pixels -> reference extraction pixels.
    homography: np.ndarray = field(repr=False)
    query_size: tuple[int, int] = (0, 0)
    reference_size: tuple[int, int] = (0, 0)
    #: The inliers' convex hull in reference extraction pixels (k, 2): where the print lines up.
    hull: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32), repr=False)
    #: The inliers themselves, in reference extraction pixels (not serialised).
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32), repr=False)
    #: The inliers weighted by how central they sit in the photo (``ITEM_SPREAD``): the item a
    #: person photographs is in the middle, the shelf behind it around it.
    central: float = 0.0

    @property
    def inlier_ratio(self) -> float:
        return self.inliers / self.matches if self.matches else 0.0

    def to_dict(self) -> dict:
        return {"inliers": self.inliers, "matches": self.matches, "inlier_ratio": round(self.inlier_ratio, 3),
                "coverage": round(self.coverage, 3), "homography": np.round(self.homography, 6).tolist(),
                "query_size": list(self.query_size), "reference_size": list(self.reference_size),
                "hull": np.round(self.hull, 1).tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "Alignment":
        return cls(int(data["inliers"]), int(data["matches"]), float(data["coverage"]),
                   np.asarray(data["homography"], dtype=np.float64), tuple(data["query_size"]),
                   tuple(data["reference_size"]), np.asarray(data.get("hull", []), np.float32).reshape(-1, 2))


# ---- keypoints ---------------------------------------------------------------------------------

_LOCAL = threading.local()


def _sift(max_features: int):
    """One SIFT detector per thread (the import's decoding threads find keypoints side by side)."""
    detectors = getattr(_LOCAL, "sift", None)
    if detectors is None:
        detectors = _LOCAL.sift = {}
    if max_features not in detectors:
        detectors[max_features] = cv2.SIFT_create(nfeatures=max_features)
    return detectors[max_features]


def extraction_image(image: Image.Image, side: int = EXTRACT_SIDE) -> Image.Image:
    """The photo as keypoints are found on it: long side at most ``side`` (never enlarged)."""
    scale = side / max(image.size)
    if scale >= 1.0:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def extract(image: Image.Image, max_features: int = MAX_FEATURES, side: int = EXTRACT_SIDE) -> Keypoints:
    """SIFT keypoints of ``image`` (any mode) at long side ``side`` at most, RootSIFT-quantised."""
    small = extraction_image(image, side)
    gray = np.asarray(small.convert("L"))
    points, descriptors = _sift(max_features).detectAndCompute(gray, None)
    if descriptors is None or not points:
        return Keypoints(small.width, small.height, np.zeros((0, 2), np.float32), np.zeros((0, _DIM), np.uint8))
    response = np.array([p.response for p in points])
    where = np.array([p.pt for p in points], dtype=np.float32)
    # strongest first; ties by position, so the same photo gives the same record in any process
    order = np.lexsort((where[:, 1], where[:, 0], -response))[:max_features]
    xy = where[order]
    d = descriptors[order].astype(np.float32)
    root = np.sqrt(d / np.maximum(d.sum(axis=1, keepdims=True), 1e-6))  # RootSIFT (Arandjelovic & Zisserman 2012)
    quantised = np.clip(np.rint(root * _QUANT), 0, 255).astype(np.uint8)
    xy[:, 0] = np.clip(xy[:, 0], 0, small.width)
    xy[:, 1] = np.clip(xy[:, 1], 0, small.height)
    return Keypoints(small.width, small.height, xy, quantised)


# ---- alignment ---------------------------------------------------------------------------------

def align(query: Keypoints, reference: Keypoints) -> Alignment | None:
    """The query aligned onto the reference, or None when no sane homography is found."""
    return align_many(query, [reference])[0]


def align_many(query: Keypoints, references: list[Keypoints]) -> list[Alignment | None]:
    """``align`` against several references: their descriptors side by side in one matrix
    product, the two nearest of each reference found for every query point at once."""
    results: list[Alignment | None] = [None] * len(references)
    usable = [i for i, ref in enumerate(references) if len(ref) >= MIN_MATCHES]
    if len(query) < MIN_MATCHES or not usable:
        return results
    q = query.unit_descriptors()
    for chunk in (usable[k : k + _CHUNK] for k in range(0, len(usable), _CHUNK)):
        longest = max(len(references[i]) for i in chunk)
        padded = np.zeros((len(chunk), longest, _DIM), np.float32)  # zero rows: similarity 0, never a match
        for row, i in enumerate(chunk):
            padded[row, : len(references[i])] = references[i].unit_descriptors()
        similarities = (q @ padded.reshape(-1, _DIM).T).reshape(len(q), len(chunk), longest)
        for row, i, pairs in zip(range(len(chunk)), chunk, _ratio_matches(similarities)):
            if len(pairs) >= MIN_MATCHES:
                results[i] = _fit(query, references[i], pairs)
    return results


#: References matched in one matrix product (800 x 8 x 800 similarities: 20 MB).
_CHUNK = 8


def _ratio_matches(similarities: np.ndarray) -> list[np.ndarray]:
    """For each reference (axis 1 of (query points, references, reference points) similarities of
    unit descriptors): (k, 2) index pairs (query, reference) passing the ratio test, one query
    point per reference point (the nearest kept)."""
    best = similarities.argmax(axis=2)
    s1 = np.take_along_axis(similarities, best[..., None], 2)[..., 0]
    np.put_along_axis(similarities, best[..., None], -1.0, 2)  # the second best: the best masked
    s2 = similarities.max(axis=2)
    d1 = np.sqrt(np.maximum(0.0, 2.0 - 2.0 * s1))  # unit vectors: distance from the dot product
    d2 = np.sqrt(np.maximum(0.0, 2.0 - 2.0 * s2))
    keep = (d1 < RATIO * d2) & (s1 > 0)
    out = []
    for ref in range(similarities.shape[1]):
        q_idx = np.flatnonzero(keep[:, ref])
        r_idx, sim = best[q_idx, ref], s1[q_idx, ref]
        order = np.lexsort((-sim, r_idx))  # by reference point, best first
        r_sorted = r_idx[order]
        first = np.ones(len(order), bool)
        first[1:] = r_sorted[1:] != r_sorted[:-1]
        chosen = order[first]
        out.append(np.stack([q_idx[chosen], r_idx[chosen]], axis=1))
    return out


def _fit(query: Keypoints, reference: Keypoints, pairs: np.ndarray) -> Alignment | None:
    src = query.xy[pairs[:, 0]].reshape(-1, 1, 2)
    dst = reference.xy[pairs[:, 1]].reshape(-1, 1, 2)
    try:
        homography, mask = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, REPROJECTION_PX, maxIters=MAX_ITERATIONS,
                                              confidence=0.999)
    except cv2.error:
        return None
    if homography is None or mask is None:
        return None
    inliers = mask.ravel().astype(bool)
    if inliers.sum() < 4:
        return None
    inside = src.reshape(-1, 2)[inliers]
    if not sane(homography, (*inside.min(axis=0), *inside.max(axis=0))):
        return None
    hull = _hull(dst.reshape(-1, 2)[inliers])
    coverage = float(min(1.0, cv2.contourArea(hull) / max(1.0, reference.width * reference.height))) if len(hull) >= 3 \
        else 0.0
    offsets = (src.reshape(-1, 2)[inliers] - [query.width / 2, query.height / 2]) / max(query.width, query.height)
    central = float(np.exp(-0.5 * np.sum(offsets**2, axis=1) / ITEM_SPREAD**2).sum())
    return Alignment(int(inliers.sum()), len(pairs), coverage, homography, (query.width, query.height),
                     (reference.width, reference.height), hull, dst.reshape(-1, 2)[inliers].astype(np.float32), central)


def item_plane(query: Keypoints, reference: Keypoints, planes: int = 2) -> Alignment | None:
    """The alignment of the item itself, for comparing its print: up to ``planes`` homographies
    (each fitted to the matches the previous ones left out: a photo of a pack on a shelf often has
    two, the pack and the shelf behind it, and a box shows two faces), the one whose inliers sit
    most centrally in the photo. Identity evidence is ``align``'s (the most inliers)."""
    if len(query) < MIN_MATCHES or len(reference) < MIN_MATCHES:
        return None
    pairs = _ratio_matches((query.unit_descriptors() @ reference.unit_descriptors().T)[:, None, :])[0]
    found: list[Alignment] = []
    while len(pairs) >= MIN_MATCHES and len(found) < planes:
        fitted = _fit(query, reference, pairs)
        if fitted is None or (found and (fitted.inliers < SECOND_PLANE or fitted.inlier_ratio < SECOND_PLANE_RATIO)):
            break
        found.append(fitted)
        projected = cv2.perspectiveTransform(query.xy[pairs[:, 0]].reshape(-1, 1, 2).astype(np.float64),
                                             fitted.homography).reshape(-1, 2)
        residual = np.linalg.norm(projected - reference.xy[pairs[:, 1]], axis=1)
        pairs = pairs[residual > 2 * REPROJECTION_PX]
    return max(found, key=lambda a: a.central / a.inliers, default=None)


def sane(homography: np.ndarray, region: tuple[float, float, float, float]) -> bool:
    """False for a homography no photo of a flat print gives, over the ``region`` of the photo it
    was fitted on (x0, y0, x1, y1: the inliers' bounding box; extrapolated beyond it, a true
    homography of a pack on a shelf bends wildly): degenerate, folding the region (its corners no
    longer a convex quadrilateral in order), scaling its area by more than ``MAX_AREA_SCALE`` or
    with a local scale that differs more than ``MAX_PERSPECTIVE`` times between its corners."""
    h = np.asarray(homography, dtype=np.float64)
    if not np.all(np.isfinite(h)) or abs(np.linalg.det(h)) < 1e-12:
        return False
    x0, y0, x1, y1 = (float(v) for v in region)
    if x1 - x0 < 1 or y1 - y0 < 1:  # inliers on a line or a point: no plane
        return False
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
    ones = np.ones((4, 1))
    projected = np.hstack([corners, ones]) @ h.T
    if np.any(projected[:, 2] <= 1e-9):  # a corner behind the camera: the print would be folded over
        return False
    quad = projected[:, :2] / projected[:, 2:3]
    edges = np.roll(quad, -1, axis=0) - quad
    cross = edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1] - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
    if not (np.all(cross > 0) or np.all(cross < 0)):
        return False
    area = 0.5 * abs(np.sum(quad[:, 0] * np.roll(quad[:, 1], -1) - np.roll(quad[:, 0], -1) * quad[:, 1]))
    scale = area / max(1.0, (x1 - x0) * (y1 - y0))
    if not (1.0 / MAX_AREA_SCALE <= scale <= MAX_AREA_SCALE):
        return False
    # local area scale of a homography at a point: det(A - c x^T) / (h3 . x)^3
    local = np.abs(np.linalg.det(h) / projected[:, 2] ** 3)
    return float(local.max() / max(local.min(), 1e-12)) <= MAX_PERSPECTIVE


def _hull(points: np.ndarray) -> np.ndarray:
    if len(points) < 3:
        return np.zeros((0, 2), np.float32)
    return cv2.convexHull(points.astype(np.float32)).reshape(-1, 2)


# ---- difference --------------------------------------------------------------------------------

#: Cells across the reference's longer side (the shorter side gets as many as keep cells square).
GRID = 12
#: A cell is compared when this share of it lies where the print lines up: inside the photo and
#: inside the inliers' hull grown by ``HULL_MARGIN`` of the reference's size (around a pack, the
#: shelf and its neighbours differ from one photo to the next: that is no difference of print).
MIN_CELL_OVERLAP = 0.75
HULL_MARGIN = 0.04
#: Shift (share of a cell's side) tolerated between photo and reference: homographies fitted to
#: packs that are not perfectly flat leave a few pixels of residual misalignment.
SHIFT = 0.2
#: Search radius (share of a cell's side) for an element that moved.
MOVED_SEARCH = 0.75
#: A cell is compared only within this distance (in cells) of an inlier: where the alignment is
#: directly supported. Further out, a pack that is not flat, or a second plane, lines up poorly.
SUPPORT = 1.5
#: Gradient-image correlation at or above this: the same print.
PRINT_MATCH = 0.4
#: An element moved: the reference cell found this well further away than the tolerated shift.
MOVED_MATCH = 0.75
#: A cell whose gradient energy (mean magnitude, 0-255 scale) is below this is flat (no print).
FLAT = 4.0
#: Chroma distance (a*, b* of CIELAB, after the colour normalisation) of cell means above this:
#: another colour. Chroma, not lightness: light falls unevenly on a pack, its hue does not change.
COLOUR_DELTA = 10.0
KINDS = ("match", "print", "colour", "missing", "moved", "outside")


@dataclass(frozen=True)
class Difference:
    """The photo compared with a reference, cell by cell on the reference's grid: ``kinds`` (rows
    x cols of ``KINDS``), ``structure`` (gradient correlation, 1 = same print) and ``colour``
    (chroma distance of the cells' means)."""

    rows: int
    cols: int
    kinds: tuple[tuple[str, ...], ...]
    structure: np.ndarray = field(repr=False)
    colour: np.ndarray = field(repr=False)
    reference_size: tuple[int, int] = (0, 0)

    @property
    def compared(self) -> int:
        return sum(kind != "outside" for row in self.kinds for kind in row)

    @property
    def differing_share(self) -> float:
        """Share of the compared cells (those where the print lines up) that differ."""
        compared = self.compared
        differing = sum(kind not in ("match", "outside") for row in self.kinds for kind in row)
        return differing / compared if compared else 0.0

    @property
    def overlap_share(self) -> float:
        return self.compared / (self.rows * self.cols)

    def to_dict(self) -> dict:
        return {"rows": self.rows, "cols": self.cols, "kinds": [list(row) for row in self.kinds],
                "structure": _plain(self.structure, 2), "colour": _plain(self.colour, 1),
                "differing_share": round(self.differing_share, 3), "overlap_share": round(self.overlap_share, 3)}

    def overlay(self, reference_image: Image.Image, side: int = 640) -> Image.Image:
        return draw_overlay(reference_image, self.to_dict(), side)


def _plain(grid: np.ndarray, digits: int) -> list:
    """A grid as nested lists for JSON: rounded, None outside the overlap (JSON has no NaN)."""
    return [[None if not np.isfinite(v) else round(float(v), digits) for v in row] for row in grid]


def draw_overlay(reference_image: Image.Image, grid: dict, side: int = 640, matching: bool = True) -> Image.Image:
    """The reference with the grid drawn over it: differing cells tinted and outlined in red,
    matching cells lightly tinted green, cells outside the overlap greyed. ``grid``: a
    ``Difference.to_dict()`` (as kept in a verdict). ``matching=False``: only the differing cells
    are marked (for the photo laid over the reference, whose own pixels should show)."""
    picture = reference_image.convert("RGB")
    if max(picture.size) > side:
        picture = picture.copy()
        picture.thumbnail((side, side), Image.Resampling.LANCZOS)
    width, height = picture.size
    rows, cols = grid["rows"], grid["cols"]
    tint = Image.new("RGBA", picture.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(tint)
    line = max(2, round(min(width, height) / 160))
    outlines = []
    for r in range(rows):
        for c in range(cols):
            box = (round(c * width / cols), round(r * height / rows),
                   round((c + 1) * width / cols) - 1, round((r + 1) * height / rows) - 1)
            kind = grid["kinds"][r][c]
            if kind == "outside":
                draw.rectangle(box, fill=(128, 128, 128, 170))
            elif kind == "match":
                if matching:
                    draw.rectangle(box, fill=(30, 160, 60, 55))
            else:
                draw.rectangle(box, fill=(220, 30, 30, 95))
                outlines.append(box)
    canvas = picture.convert("RGBA")
    canvas.alpha_composite(tint)
    pen = ImageDraw.Draw(canvas)
    for box in outlines:
        pen.rectangle(box, outline=(200, 0, 0, 255), width=line)
    return canvas.convert("RGB")


def warp_matrix(photo_size: tuple[int, int], alignment: Alignment) -> np.ndarray:
    """The homography from a photo of ``photo_size`` (the query, at any size) to the reference at
    its extraction size."""
    qw, qh = alignment.query_size
    to_query = np.diag([qw / photo_size[0], qh / photo_size[1], 1.0])  # photo px -> query extraction px
    return np.asarray(alignment.homography, dtype=np.float64) @ to_query


def warp_onto_reference(photo: Image.Image, alignment: Alignment) -> Image.Image:
    """The photo laid over the reference: warped into its frame at the reference's extraction
    size (black outside the photo)."""
    width, height = alignment.reference_size
    warped = cv2.warpPerspective(np.asarray(photo.convert("RGB")), warp_matrix(photo.size, alignment),
                                 (int(width), int(height)), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return Image.fromarray(warped)


@dataclass(frozen=True)
class CellFeatures:
    """What ``difference`` measures in each cell (rows x cols arrays; NaN outside the overlap)."""

    compared: np.ndarray
    #: Mean gradient magnitude of the reference's and of the photo's cell.
    ref_energy: np.ndarray
    photo_energy: np.ndarray
    #: Best gradient correlation within ``SHIFT``; within ``MOVED_SEARCH`` and how far (cells).
    near: np.ndarray
    far: np.ndarray
    shift: np.ndarray
    delta_e: np.ndarray
    #: Lab distance of the means in chroma alone (a, b) and in lightness alone.
    delta_ab: np.ndarray
    delta_l: np.ndarray
    #: Distance (in cells) from the cell's centre to the nearest inlier: how directly the
    #: alignment is supported there.
    support: np.ndarray


def difference(photo: Image.Image, reference_image: Image.Image, alignment: Alignment, grid: int = GRID) -> Difference:
    """Where ``photo`` differs from ``reference_image``, given ``alignment`` (photo onto reference,
    from their keypoints). Both images may be at any size: the homography is rescaled from the
    extraction sizes recorded in the alignment."""
    return classify(cell_features(photo, reference_image, alignment, grid), alignment.reference_size)


def classify(features: CellFeatures, reference_size: tuple[int, int] = (0, 0)) -> Difference:
    """Each compared cell's kind from its features (the thresholds above)."""
    rows, cols = features.compared.shape
    compared = features.compared & (np.nan_to_num(features.support, nan=0.0) <= SUPPORT)
    kinds = [["outside"] * cols for _ in range(rows)]
    for r in range(rows):
        for c in range(cols):
            if not compared[r, c]:
                continue
            ref_energy, photo_energy = features.ref_energy[r, c], features.photo_energy[r, c]
            near, far, shift = features.near[r, c], features.far[r, c], features.shift[r, c]
            if ref_energy < FLAT and photo_energy < 2 * FLAT:
                kind = "match"  # plain in both
            elif ref_energy >= FLAT and photo_energy < FLAT / 2:
                kind = "missing"  # print in the reference, none in the photo
            elif near >= PRINT_MATCH:
                kind = "match"
            elif far >= MOVED_MATCH and shift > 1.5 * SHIFT:
                kind = "moved"
            else:
                kind = "print"
            if kind == "match" and features.delta_ab[r, c] > COLOUR_DELTA:
                kind = "colour"
            kinds[r][c] = kind
    structure = np.where(compared, features.near, np.nan).astype(np.float32)
    colour = np.where(compared, features.delta_ab, np.nan).astype(np.float32)
    return Difference(rows, cols, tuple(tuple(row) for row in kinds), structure, colour, reference_size)


def cell_features(photo: Image.Image, reference_image: Image.Image, alignment: Alignment,
                  grid: int = GRID) -> CellFeatures:
    """The photo warped onto the reference (at its extraction size), colours matched inside the
    overlap, and each cell of the grid measured: gradient energy, best gradient correlation near
    and further away, Lab distance of the means."""
    width, height = alignment.reference_size
    reference = reference_image.convert("RGB")
    if reference.size != (width, height):
        reference = reference.resize((width, height), Image.Resampling.BILINEAR)
    ref = np.asarray(reference)
    warp = warp_matrix(photo.size, alignment)
    src = np.asarray(photo.convert("RGB"))
    warped = cv2.warpPerspective(src, warp, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    inside = cv2.warpPerspective(np.full(src.shape[:2], 255, np.uint8), warp, (width, height),
                                 flags=cv2.INTER_NEAREST)
    inside = cv2.erode(inside, np.ones((5, 5), np.uint8)) > 0  # resampled borders are not print
    lined_up = np.zeros((height, width), np.uint8)
    if len(alignment.hull) >= 3:
        cv2.fillConvexPoly(lined_up, np.round(alignment.hull).astype(np.int32), 255)
        grow = max(1, round(HULL_MARGIN * max(width, height)))
        lined_up = cv2.dilate(lined_up, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    mask = inside & (lined_up > 0)

    ref_lab = cv2.cvtColor(ref, cv2.COLOR_RGB2LAB).astype(np.float32)
    photo_lab = _match_colours(cv2.cvtColor(warped, cv2.COLOR_RGB2LAB).astype(np.float32), ref_lab, mask)
    ref_lab[..., 0] *= 100.0 / 255.0  # OpenCV's 8-bit Lab: L in 0..255, a and b offset by 128
    photo_lab[..., 0] *= 100.0 / 255.0
    ref_grad = _gradient(ref_lab[..., 0])
    photo_grad = np.where(inside, _gradient(photo_lab[..., 0]), 0).astype(np.float32)

    cols = grid if width >= height else max(1, round(grid * width / height))
    rows = grid if height >= width else max(1, round(grid * height / width))
    shape = (rows, cols)
    compared = np.zeros(shape, bool)
    ref_energy, photo_energy, near, far, shift, delta_e, delta_ab, delta_l, support = (
        np.full(shape, np.nan, np.float32) for _ in range(9))
    points = alignment.points
    for r in range(rows):
        for c in range(cols):
            y0, y1 = round(r * height / rows), round((r + 1) * height / rows)
            x0, x1 = round(c * width / cols), round((c + 1) * width / cols)
            cell = mask[y0:y1, x0:x1]
            if cell.mean() < MIN_CELL_OVERLAP:
                continue
            compared[r, c] = True
            delta = ref_lab[y0:y1, x0:x1][cell].mean(axis=0) - photo_lab[y0:y1, x0:x1][cell].mean(axis=0)
            delta_e[r, c] = float(np.linalg.norm(delta))
            delta_ab[r, c] = float(np.linalg.norm(delta[1:]))
            delta_l[r, c] = float(abs(delta[0]))
            if len(points):
                centre = ((x0 + x1) / 2, (y0 + y1) / 2)
                support[r, c] = float(np.min(np.hypot((points[:, 0] - centre[0]) / (x1 - x0),
                                                      (points[:, 1] - centre[1]) / (y1 - y0))))
            ref_energy[r, c] = float(ref_grad[y0:y1, x0:x1].mean())
            photo_energy[r, c] = float(photo_grad[y0:y1, x0:x1][cell].mean())
            near[r, c], _ = _best_correlation(ref_grad, photo_grad, (y0, y1, x0, x1), SHIFT)
            if near[r, c] < PRINT_MATCH:  # only then does it matter whether it moved
                far[r, c], shift[r, c] = _best_correlation(ref_grad, photo_grad, (y0, y1, x0, x1), MOVED_SEARCH)
    return CellFeatures(compared, ref_energy, photo_energy, near, far, shift, delta_e, delta_ab, delta_l, support)


def _match_colours(photo: np.ndarray, reference: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Each Lab channel of the photo shifted and scaled to the reference's mean and spread inside
    the overlap (Reinhard et al. 2001): light and white balance of the two shots set aside."""
    out = photo.copy()
    if mask.sum() < 16:
        return out
    for k in range(3):
        p, r = photo[..., k][mask], reference[..., k][mask]
        scale = float(r.std()) / max(float(p.std()), 1.0)
        out[..., k] = (photo[..., k] - float(p.mean())) * min(3.0, max(1 / 3, scale)) + float(r.mean())
    return out


def _gradient(lightness: np.ndarray) -> np.ndarray:
    """Gradient magnitude of the lightness (0..100 scale mapped to about 0..255), lightly blurred."""
    smooth = cv2.GaussianBlur(lightness * 2.55, (0, 0), 1.2)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    return cv2.GaussianBlur(cv2.magnitude(gx, gy) / 4.0, (0, 0), 1.5)


def _best_correlation(ref_grad: np.ndarray, photo_grad: np.ndarray, box, radius: float) -> tuple[float, float]:
    """Best normalised correlation of the reference's cell (a margin of ``SHIFT`` trimmed) with the
    photo's gradients within ``radius`` of a cell's side, and how far from its place it was found
    (in cells)."""
    y0, y1, x0, x1 = box
    height, width = ref_grad.shape
    ch, cw = y1 - y0, x1 - x0
    ty, tx = max(1, round(SHIFT * ch / 2)), max(1, round(SHIFT * cw / 2))
    pad_y, pad_x = max(1, round(radius * ch)), max(1, round(radius * cw))
    template = ref_grad[y0 + ty : y1 - ty, x0 + tx : x1 - tx]
    sy0, sy1 = max(0, y0 + ty - pad_y), min(height, y1 - ty + pad_y)
    sx0, sx1 = max(0, x0 + tx - pad_x), min(width, x1 - tx + pad_x)
    search = photo_grad[sy0:sy1, sx0:sx1]
    if template.size == 0 or search.shape[0] < template.shape[0] or search.shape[1] < template.shape[1]:
        return 0.0, 0.0
    if float(template.std()) < 1e-3:
        return (1.0 if float(search.std()) < 1e-3 else 0.0), 0.0
    scores = cv2.matchTemplate(search, template, cv2.TM_CCOEFF_NORMED)
    _, best, _, at = cv2.minMaxLoc(scores)
    dy = (sy0 + at[1] - (y0 + ty)) / ch
    dx = (sx0 + at[0] - (x0 + tx)) / cw
    return float(best), float(np.hypot(dx, dy))


__all__ = ["Alignment", "CellFeatures", "Difference", "KINDS", "Keypoints", "KeypointsError", "align", "align_many", "cell_features", "classify", "difference",
           "draw_overlay", "extract", "sane", "warp_onto_reference"]
