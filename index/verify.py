"""Check photos against a catalog: embed, search, gather evidence per product, decide.

A case is the photos of one item (several angles) with an optional claimed product; it gets
one Verdict. Products are ranked by the evidence of all their references, not image by image.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
from tqdm import tqdm

from vision import Embedder, UnreadableImage, load_photo

from . import calibration as calibration_module
from .catalog import Catalog, Reference
from .decision import Evidence, Policy, decide
from .verdict import Match, PhotoError, Verdict

SEARCH_K = 100
MAX_MATCHES = 5


@dataclass(frozen=True)
class Case:
    photos: tuple[str, ...]
    claimed_product_id: str | None = None
    case_id: str | None = None


@dataclass
class _Embedded:
    path: str
    vector: np.ndarray | None = None
    sha256: str = ""
    error: str | None = None


class Verifier:
    def __init__(self, catalog: Catalog, embedder: Embedder, policy: Policy = Policy(), decode_workers: int = 1):
        self.catalog = catalog
        self.embedder = embedder
        self.policy = policy
        self.decode_workers = max(1, decode_workers)
        self.calibration = calibration_module.current(catalog)

    def check(self, photos: Sequence[str | Path], claimed_product_id: str | None = None, case_id: str | None = None) -> Verdict:
        case = Case(tuple(str(p) for p in photos), claimed_product_id or None, case_id or None)
        return next(iter(self.check_many([case], progress=False)))

    def check_many(self, cases: Iterable[Case], batch_photos: int = 32, progress: bool = True) -> Iterator[Verdict]:
        """Verdicts in the order of the cases; photos of several cases are embedded together."""
        cases = list(cases)
        bar = tqdm(total=sum(len(c.photos) for c in cases), unit="img", desc="verifying", disable=not progress,
                   file=sys.stderr, dynamic_ncols=True)
        try:
            chunk: list[Case] = []
            for case in cases:
                chunk.append(case)
                if sum(len(c.photos) for c in chunk) >= batch_photos:
                    yield from self._check_chunk(chunk, bar)
                    chunk = []
            if chunk:
                yield from self._check_chunk(chunk, bar)
        finally:
            bar.close()

    # ---- internals -----------------------------------------------------------------------

    def _check_chunk(self, cases: list[Case], bar) -> Iterator[Verdict]:
        embedded = self._embed([p for case in cases for p in case.photos])
        offset = 0
        for case in cases:
            photos = embedded[offset : offset + len(case.photos)]
            offset += len(case.photos)
            bar.update(len(photos))
            yield self._verdict(case, photos)

    def _embed(self, paths: list[str]) -> list[_Embedded]:
        def load(path: str):
            try:
                return load_photo(path, min_side=self.embedder.min_decode_side)
            except UnreadableImage as exc:
                return exc
            except Exception as exc:  # an odd file gets an error entry, never a crash
                return UnreadableImage(path, f"unexpected error while reading: {type(exc).__name__}: {exc}")

        with ThreadPoolExecutor(max_workers=self.decode_workers) as pool:
            loaded = list(pool.map(load, paths))
        results = [_Embedded(path) for path in paths]
        good = [i for i, item in enumerate(loaded) if not isinstance(item, UnreadableImage)]
        for i, item in enumerate(loaded):
            if isinstance(item, UnreadableImage):
                results[i].error = item.reason
        if good:
            vectors = self.embedder.embed([loaded[i].image for i in good])
            for row, i in enumerate(good):
                results[i].vector = vectors[row]
                results[i].sha256 = loaded[i].sha256
        return results

    def _verdict(self, case: Case, photos: list[_Embedded]) -> Verdict:
        catalog = self.catalog
        errors = tuple(PhotoError(p.path, p.error) for p in photos if p.error is not None)
        readable = [p for p in photos if p.vector is not None]
        base = dict(photos=case.photos, case_id=case.case_id, claimed_product_id=case.claimed_product_id, errors=errors,
                    model=self.embedder.name, catalog_generation=catalog.generation,
                    checked_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        if not readable:
            decision = decide(Evidence(0, None, None, case.claimed_product_id, False, None, None), self.calibration, self.policy)
            return Verdict(decision.verdict, decision.counterfeit_score, decision.product_id, explanation=decision.explanation,
                           flags=decision.flags, **base)

        queries = np.stack([p.vector for p in readable])
        scores, best_image = self._product_scores(queries)
        refs = catalog.references_by_id(best_image.values())
        genuine = {product: s for (product, label), s in scores.items() if label == "genuine"}
        identified = max(genuine, key=genuine.get) if genuine else None
        claimed = case.claimed_product_id
        target = claimed or identified

        target_genuine = target_counterfeit = None
        claimed_in_catalog = False
        if target is not None:
            for label in ("genuine", "counterfeit"):
                exact = self._exact_product_score(queries, target, label)
                if exact is not None:
                    similarity, image_id = exact
                    scores[(target, label)] = similarity
                    best_image[(target, label)] = image_id
                    refs.update(catalog.references_by_id([image_id]))
                    if label == "genuine":
                        target_genuine, claimed_in_catalog = similarity, True
                    else:
                        target_counterfeit = similarity

        identical = tuple(ref.image_id for ref in catalog.find_sha256(p.sha256 for p in readable).values())
        evidence = Evidence(
            readable_photos=len(readable),
            identified=identified,
            identified_similarity=genuine.get(identified) if identified else None,
            claimed=claimed,
            claimed_in_catalog=claimed_in_catalog if claimed else identified is not None,
            target_genuine=target_genuine,
            target_counterfeit=target_counterfeit,
            identical_references=identical,
        )
        decision = decide(evidence, self.calibration, self.policy)
        matches = _matches(scores, best_image, refs, must_include=_must_show(decision.flags, target))
        details = {"identified_product_id": identified}
        if target_genuine is not None and self.calibration.usable:
            details["genuine_p_value"] = round(self.calibration.p_value(target_genuine), 4)
        if identical:
            details["identical_reference_ids"] = list(identical)
        return Verdict(decision.verdict, decision.counterfeit_score, decision.product_id, explanation=decision.explanation,
                       flags=decision.flags, matches=tuple(matches), details=details, **base)

    def _product_scores(self, queries: np.ndarray):
        """Per (product, label): the mean over photos of each photo's best similarity.

        A product missing from one photo's nearest neighbours gets that photo's lowest retrieved
        similarity, an upper bound on what it would have scored."""
        sims, ids = self.catalog.search(queries, SEARCH_K)
        refs = self.catalog.references_by_id(ids.ravel())
        per_photo: list[dict[tuple[str, str], tuple[float, int]]] = []
        for row_sims, row_ids in zip(sims, ids):
            best: dict[tuple[str, str], tuple[float, int]] = {}
            for similarity, image_id in zip(row_sims, row_ids):
                ref = refs.get(int(image_id))
                if ref is None:
                    continue
                key = (ref.product_id, ref.label)
                if key not in best or similarity > best[key][0]:
                    best[key] = (float(similarity), int(image_id))
            per_photo.append(best)
        floors = [float(row[np.isfinite(row)].min()) if np.isfinite(row).any() else 0.0 for row in sims]
        keys = {key for best in per_photo for key in best}
        scores, best_image = {}, {}
        for key in keys:
            values = [best[key][0] if key in best else floor for best, floor in zip(per_photo, floors)]
            scores[key] = float(np.mean(values))
            best_image[key] = max((best[key] for best in per_photo if key in best), key=lambda t: t[0])[1]
        return scores, best_image

    def _exact_product_score(self, queries: np.ndarray, product_id: str, label: str):
        refs = self.catalog.references(product_id=product_id, label=label)
        if not refs:
            return None
        ids, vectors = self.catalog.vectors([ref.image_id for ref in refs])
        sims = queries @ vectors.T  # (photos, references)
        best_per_photo = sims.max(axis=1)
        flat = int(np.argmax(sims))
        return float(best_per_photo.mean()), int(ids[flat % sims.shape[1]])


def _must_show(flags: Sequence[str], target: str | None) -> list[tuple[str, str]]:
    keys = []
    if target is not None:
        keys.append((target, "genuine"))
        if "closer_to_known_counterfeit" in flags:
            keys.append((target, "counterfeit"))
    return keys


def _matches(scores, best_image, refs: dict[int, Reference], must_include) -> list[Match]:
    required = [key for key in must_include if key in scores]
    ranked = [key for key in sorted(scores, key=scores.get, reverse=True) if key not in required]
    chosen = sorted(required + ranked[: MAX_MATCHES - len(required)], key=scores.get, reverse=True)
    matches = []
    for key in chosen:
        ref = refs.get(best_image[key])
        if ref is None:
            continue
        matches.append(Match(key[0], key[1], scores[key], ref.image_id, ref.name, ref.brand, ref.view, ref.sha256))
    return matches
