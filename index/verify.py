"""Check photos against a catalog: read and embed each photo once, search, gather the evidence
per product, decide.

A case is the photos of one item (several angles) with an optional claimed product; it gets
one Verdict. Each photo is decoded once, read (label text, barcodes: ``vision.package``, as the
catalog's settings ask) and embedded; the case's evidence for each candidate product (product
head, nearest references, label text) goes through the catalog's claim model, the barcodes
through its GTINs, the fakes through its known-fakes models, and one decision comes out.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
from PIL import Image
from tqdm import tqdm

from vision import Embedder, UnreadableImage, load_photo
from vision.near_copy import COPY_THRESHOLD, copy_scores
from vision.offline import EfficientNetLite0
from vision.package import PackageReader, PackageReading

from .connect import reader_for
from .ids import clean_or_none
from .importing.manifests import ManifestError, QueryRow
from .judging import calibration as calibration_module
from .judging.alignment import QueryKeypoints, align_product, compare_with_reference
from .judging.codes import CodeBook
from .judging.decision import Evidence, Policy, decide
from .judging.evidence import features
from .judging.regions import region_evidence
from .judging.serials import SerialJudge
from .judging.text import accented_words, read_figures, read_words
from .judging.views import capture_views
from .storing.catalog import Catalog, Reference
from .verdict import Match, PhotoError, Verdict

POLICY_SETTING = "policy"
SEARCH_K = 100
MAX_MATCHES = 5
#: Nearest references per photo that are checked for being the very same picture.
COPY_CANDIDATES = 3
#: After embedding, a checked photo is kept only this large (long side) for the copy check
#: (which works at 320 px) and the region map (the model's input size).
HELD_PHOTO_SIDE = 640
#: Readings of recently checked photos kept (a few KB each).
READINGS_KEPT = 512
#: Products the claim model weighs for identification: the head's best few (the rest are far).
CANDIDATES = 5
#: A copy of a catalog photo must say the same thing: with at least this many words read on
#: each, at least this share of them in common (OCR of the same print agrees on most words).
COPY_MIN_WORDS = 3
COPY_MIN_WORD_OVERLAP = 0.4


@dataclass(frozen=True)
class Case:
    photos: tuple[str, ...]
    claimed_product_id: str | None = None
    case_id: str | None = None
    #: The view of each photo as the inspector gives it ("" or absent: the catalog's view head
    #: assigns one).
    views: tuple[str, ...] = ()


#: Reading the barcodes of a guided capture stops taking more photos after this many seconds
#: (each photo is decoded at most 2,048 px and read in ~0.1-0.5 s).
SCAN_S = 8.0


def read_photo_codes(photos: Sequence[str | Path], seconds: float = SCAN_S) -> list:
    """The barcodes on each photo (``vision.codes.read_codes``); needs no catalog, so a caller
    reads them without holding the checker. Unreadable photos are skipped; none is begun after
    ``seconds``."""
    from vision.codes import read_codes

    deadline = time.monotonic() + seconds
    codes = []
    for photo in photos:
        if time.monotonic() > deadline:
            break
        try:
            codes += read_codes(load_photo(photo).image)
        except (UnreadableImage, OSError):
            continue
    return codes


def policy_of(catalog: Catalog) -> Policy:
    """The catalog's own verdict policy (its false-alarm target), else the defaults."""
    stored = catalog.setting(POLICY_SETTING)
    return Policy(**json.loads(stored)) if stored else Policy()


def set_policy(catalog: Catalog, policy: Policy) -> None:
    """Store the catalog's verdict policy (audited when the catalog's changes are)."""
    if not all(0.0 <= rate < 1.0 for rate in (policy.false_alarm_rate, policy.unknown_p_value, policy.accept_rate,
                                              policy.open_accept_rate)):
        raise ValueError("rates must lie in [0, 1)")
    catalog.set_setting(POLICY_SETTING, json.dumps(asdict(policy)))


def cases_from_queries(rows: Sequence[QueryRow], manifest: str = "QUERIES.csv") -> list[tuple[Case, list[QueryRow]]]:
    """Group manifest rows into cases: rows sharing a case_id are one item; others stand alone."""
    grouped: dict[str, list[QueryRow]] = {}
    for row in rows:
        grouped.setdefault(row.case_id or f"\0{row.line}", []).append(row)
    cases, problems = [], []
    for members in grouped.values():
        claims = {row.claimed_product_id for row in members if row.claimed_product_id}
        if len(claims) > 1:
            lines = ", ".join(str(row.line) for row in members)
            problems.append(f"lines {lines}: case {members[0].case_id!r} claims several products ({', '.join(sorted(claims))})")
        cases.append((Case(tuple(str(row.path) for row in members), next(iter(claims), None), members[0].case_id), members))
    if problems:
        raise ManifestError(manifest, problems)
    return cases


@dataclass
class _Embedded:
    path: str
    vector: np.ndarray | None = None
    image: Image.Image | None = field(default=None, repr=False)
    reading: PackageReading = field(default_factory=PackageReading)
    error: str | None = None
    #: SHA-256 of the photo's bytes: a re-check of the same case shares photos (``serials``).
    sha256: str = ""
    #: The detail features' input (``vision.details``), where the catalog's authenticity models
    #: weigh them; turned into vectors only for a case whose product needs them (the offline model
    #: gives them from its own forward pass: ``detail``).
    detail_input: object = field(default=None, repr=False)
    detail: np.ndarray | None = field(default=None, repr=False)


class Verifier:
    def __init__(self, catalog: Catalog, embedder: Embedder, policy: Policy | None = None, decode_workers: int = 1,
                 reader: PackageReader | None = None, alignment: bool | None = None):
        """``reader``: what to read on each photo (default: what the catalog's references were read
        with, so photos and references are compared on the same evidence). ``alignment``: align the
        photos with the product's references (default: when the catalog keeps their keypoints)."""
        self.catalog = catalog
        self.embedder = embedder
        self._fixed_policy = policy
        self._fixed_reader = reader
        self._fixed_alignment = alignment
        self.decode_workers = max(1, decode_workers)
        self._load()

    def _load(self) -> None:
        self.policy = self._fixed_policy or policy_of(self.catalog)
        self.reader = self._fixed_reader or reader_for(self.catalog, accents=True)
        #: sha256 -> what was read on that photo: a photo checked again (another claim, a batch
        #: re-run, a reopened case) is not read again
        self._readings: dict[str, PackageReading] = {}
        self.align = self.catalog.keeps_keypoints if self._fixed_alignment is None else self._fixed_alignment
        #: sha256 -> keypoints of that photo, for the same reason
        self._query_points = QueryKeypoints()
        self.calibration = calibration_module.current(self.catalog)
        #: Whether an authenticity model weighs detail vectors (``vision.details``)
        self._details_wanted = any(m.details for m in self.calibration.fakes.models.values())
        info = self.catalog.product_info()
        self._label_texts = {p: i.label_text for p, i in info.items() if i.label_text}
        self.codes = CodeBook({p: i.gtins for p, i in info.items()}, self.calibration.brands)
        self.serials = SerialJudge(self.catalog, {p: i.gtins for p, i in info.items()})

    def scan_codes(self, photos: Sequence[str | Path]) -> tuple[list, str | None]:
        """The barcodes on ``photos`` read against the catalog's GTINs (no claim), and the one
        catalog product they name, if they name exactly one: what a guided capture preselects as
        the claimed product. Unreadable photos are skipped (the check itself reports them)."""
        return self.judge_codes(read_photo_codes(photos))

    def judge_codes(self, codes: Sequence) -> tuple[list, str | None]:
        """Codes already read (``read_photo_codes``) against the catalog's GTINs, and the one
        product they name (see ``scan_codes``)."""
        findings = self.codes.judge(codes, None)
        return findings, self.codes.identify(findings)

    def reload(self) -> None:
        """Pick up catalog changes made by another writer (references, calibration, policy, and the
        model itself after a tuning committed: checks then embed with the tuned weights)."""
        self.catalog.reload()
        record = self.catalog.embedder
        if record.name != self.embedder.name or not _same_fingerprint(record.fingerprint, self.embedder):
            from .connect import embedder_for

            self.embedder = embedder_for(self.catalog)
        self._load()

    def capture_views(self, product_id: str) -> list[tuple[str, bool]]:
        """The views of ``product_id`` an inspector should photograph, one photo each: (view, whether
        its known fakes differ there), those that separate its fakes best first
        (``index.judging.views.capture_views``); [] for a product whose references name no part of it."""
        return capture_views(self.catalog.reference_views(product_id),
                             self.calibration.separating_views(product_id))

    def check(self, photos: Sequence[str | Path], claimed_product_id: str | None = None, case_id: str | None = None,
              regions: bool = True, views: Sequence[str] | None = None) -> Verdict:
        case = Case(tuple(str(p) for p in photos), clean_or_none(claimed_product_id), clean_or_none(case_id),
                    tuple((v or "").strip().casefold() for v in (views or ())))
        return next(iter(self.check_many([case], progress=False, regions=regions)))

    def check_many(self, cases: Iterable[Case], batch_photos: int = 32, progress: bool = True,
                   regions: bool = False) -> Iterator[Verdict]:
        """Verdicts in the order of the cases; photos of several cases are embedded together."""
        cases = list(cases)
        bar = tqdm(total=sum(len(c.photos) for c in cases), unit="img", desc="verifying", disable=not progress,
                   file=sys.stderr, dynamic_ncols=True)
        try:
            chunk: list[Case] = []
            for case in cases:
                chunk.append(case)
                if sum(len(c.photos) for c in chunk) >= batch_photos:
                    yield from self._check_chunk(chunk, bar, regions)
                    chunk = []
            if chunk:
                yield from self._check_chunk(chunk, bar, regions)
        finally:
            bar.close()

    # ---- internals -----------------------------------------------------------------------

    def _check_chunk(self, cases: list[Case], bar, regions: bool) -> Iterator[Verdict]:
        embedded = self._embed([p for case in cases for p in case.photos])
        offset = 0
        for case in cases:
            photos = embedded[offset : offset + len(case.photos)]
            offset += len(case.photos)
            bar.update(len(photos))
            yield self._verdict(case, photos, regions)

    def _embed(self, paths: list[str]) -> list[_Embedded]:
        """Each photo decoded, turned into the model's input and a small copy for the copy check
        and region map right away: what a chunk holds stays small whatever the photos' size."""
        reader = self.reader
        # the offline model's forward pass gives the detail vectors too (one pass, not two, and no
        # second model loaded)
        same_pass = self._details_wanted and isinstance(self.embedder, EfficientNetLite0) \
            and self.embedder.runs_imagenet_view
        details = _detail_features() if self._details_wanted and not same_pass else None

        def load(path: str):
            try:
                photo = load_photo(path, min_side=max(self.embedder.min_decode_side, reader.min_side))
                image = photo.image
                reading = self._readings.get(photo.sha256)
                if reading is None:
                    reading = self._readings[photo.sha256] = reader.read(image)
                    while len(self._readings) > READINGS_KEPT:
                        self._readings.pop(next(iter(self._readings)))
                tensor = self.embedder.preprocess(image)
                detail = None
                if details is not None:
                    detail = details.preprocess(image)
                image.thumbnail((HELD_PHOTO_SIDE, HELD_PHOTO_SIDE), Image.Resampling.LANCZOS)
                return tensor, image, reading, photo.sha256, detail
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
            maxima = None
            if same_pass:
                vectors, maxima = self.embedder.embed_with_details([loaded[i][0] for i in good])
            else:
                vectors = self.embedder.embed_tensors([loaded[i][0] for i in good])
            for row, i in enumerate(good):
                if maxima is not None:
                    results[i].detail = maxima[row]
                results[i].vector = vectors[row]
                results[i].image = loaded[i][1]
                results[i].reading = loaded[i][2]
                results[i].sha256 = loaded[i][3]
                results[i].detail_input = loaded[i][4]
        return results

    def _verdict(self, case: Case, photos: list[_Embedded], regions: bool) -> Verdict:
        catalog = self.catalog
        calibration = self.calibration
        errors = tuple(PhotoError(p.path, p.error) for p in photos if p.error is not None)
        readable = [p for p in photos if p.vector is not None]
        base = dict(photos=case.photos, case_id=case.case_id, claimed_product_id=case.claimed_product_id, errors=errors,
                    model=self.embedder.name, catalog_generation=catalog.generation,
                    checked_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        if not readable:
            decision = decide(Evidence(0, None, case.claimed_product_id, False, None), calibration, self.policy)
            return Verdict(decision.verdict, decision.counterfeit_score, decision.product_id,
                           explanation=decision.explanation, flags=decision.flags,
                           details={"message": _message(decision)}, **base)

        queries = np.stack([p.vector for p in readable])
        sims, ids = catalog.search(queries, SEARCH_K)
        refs = catalog.references_by_id(ids.ravel())
        scores, best_image = _product_scores(sims, ids, refs)
        words = read_words(line for p in readable for line in p.reading.text)
        codes_read = [code for p in readable for code in p.reading.codes]
        claimed = case.claimed_product_id

        # ---- every candidate product's evidence, through the claim model ------------------------
        head, model = calibration.head, calibration.model
        probabilities: dict[str, float] = {}
        head_scores: dict[str, float] = {}
        if head is not None:
            per_photo = head.log_probs(queries)
            log_probs = per_photo.mean(axis=0)
            head_scores = dict(zip(head.products, log_probs.tolist()))
            column = {p: i for i, p in enumerate(head.products)}
            candidates = [head.products[i] for i in np.argsort(-log_probs)[:CANDIDATES]]
            code_named = self.codes.identify(self.codes.judge(codes_read, None)) if self.codes else None
            for extra in (claimed, code_named):
                if extra in column and extra not in candidates:
                    candidates.append(extra)
            for product in candidates:  # exact, over all of the candidate's references: the evidence shown
                exact = self._exact_product_score(queries, product, "genuine")
                if exact is not None:
                    scores[(product, "genuine")], best_image[(product, "genuine")] = exact
            support = self._text_support(words, column)
            if model is not None:
                rows = np.array([column[p] for p in candidates])
                matrix = features(np.tile(log_probs, (len(rows), 1)), np.tile(support, (len(rows), 1)),
                                  np.full(len(rows), len(words)), rows)
                probabilities = dict(zip(candidates, model.probability(matrix).tolist()))
            ranking = sorted(candidates, key=lambda p: (probabilities.get(p, 0.0), head_scores[p]), reverse=True)
            photo_products = self._photo_products(readable, per_photo) if len(readable) > 1 and model is not None else ()
        else:
            genuine = {product: value for (product, label), value in scores.items() if label == "genuine"}
            ranking = sorted(genuine, key=genuine.get, reverse=True)
            code_named = None
            photo_products = ()
        identified = ranking[0] if ranking else None
        target = claimed or code_named or identified

        target_similarity = target_fake = None
        if target is not None:
            for label in ("genuine", "counterfeit"):
                exact = self._exact_product_score(queries, target, label)
                if exact is None:
                    continue
                scores[(target, label)], best_image[(target, label)] = exact
                if label == "genuine":
                    target_similarity = exact[0]
                else:
                    target_fake = exact[0]
        missing = [i for i in best_image.values() if i not in refs]  # exact scores may pick refs beyond the top k
        if missing:
            refs.update(catalog.references_by_id(missing))

        others = [value for (product, label), value in scores.items() if label == "genuine" and product != target]
        other_similarity = max(others) if others else None
        findings = tuple(self.codes.judge(codes_read, target)) if codes_read else ()
        serials = self.serials.judge(codes_read, target, case.case_id, case.photos,
                                     [p.sha256 for p in readable]) if codes_read else ()
        figures = read_figures(line for p in readable for line in p.reading.text)
        comparison = calibration.text.compare(words, target, figures) if calibration.text is not None and target else None
        photo_views = self._photo_views(case, photos, queries)
        authenticity = None
        if target:
            brand = calibration.brands.get(target, "")
            details = None
            if calibration.fakes.needs_details(target, brand):
                details = np.stack([p.detail for p in readable]) if all(p.detail is not None for p in readable) \
                    else _detail_features().of_tensors([p.detail_input for p in readable])
            authenticity = calibration.fakes.judge(target, brand, queries, list(photo_views), details)
        copied = self._copied_reference(readable, ids, refs)
        aligned = self._alignment(readable, queries, target)
        evidence = Evidence(
            readable_photos=len(readable),
            identified=identified,
            claimed=claimed,
            claimed_in_catalog=target_similarity is not None if claimed else False,
            target_similarity=target_similarity,
            target_counterfeit_similarity=target_fake,
            # counted only where no model judges the product (the one case the count is said and used)
            target_fakes=self._fake_count(target) if target_fake is not None and authenticity is None else 0,
            other_similarity=other_similarity,
            target_claim_score=probabilities.get(target) if target else None,
            identified_claim_score=probabilities.get(identified) if identified else None,
            copied_reference=copied,
            codes=findings,
            identified_by_code=code_named if not claimed else None,
            text=comparison,
            words_read=len(words),
            authenticity=authenticity,
            photo_products=photo_products,
            view_products=calibration.views.products(queries) if calibration.views is not None else (),
            neighbours=tuple(p for p in ranking if p != target)[:2],
            look_alikes=tuple(ranking),
            photo_views=photo_views,
            serials=serials,
        )
        decision = decide(evidence, calibration, self.policy)
        order = {product: rank for rank, product in enumerate(ranking)}
        matches = _matches(scores, best_image, refs, order, head_scores, probabilities,
                           must_include=_must_show(decision.flags, target, copied,
                                                   authenticity is not None or "too_few_known_fakes" in decision.flags))
        details: dict = {"identified_product_id": identified, "message": _message(decision)}
        named_in_sentence = [v for k, v in decision.message_args.items()
                             if k in ("target", "identified", "other", "product", "first", "second") and isinstance(v, str)]
        names = self.catalog.product_names([decision.product_id, claimed, identified, *photo_products,
                                            *named_in_sentence])  # the sentence names products by name too
        if names:
            details["product_names"] = names  # for people: ids such as SKU numbers say little
        if decision.p_value is not None:
            details["genuine_p_value"] = round(decision.p_value, 4)
            details["calibration_level"] = decision.calibration_level
            details["false_alarm_rate"] = self.policy.false_alarm_rate
        if target and target in probabilities:
            details["claim_probability"] = round(probabilities[target], 4)
            details["accept_at"] = round(calibration.accept_threshold(self.policy.accept_rate, claimed=True)
                                         if claimed or code_named else
                                         calibration.accept_threshold(self.policy.open_accept_rate, claimed=False), 4)
        if copied is not None:
            details["copied_reference_id"] = copied[0]
        if any(photo_views):
            details["views"] = list(photo_views)  # as each photo was judged, for the inspector to correct
        region = None
        if regions and target is not None and (target, "genuine") in best_image:
            region = self._regions(readable[0], refs.get(best_image[(target, "genuine")]))
        record = _evidence_record(readable, words, findings, comparison, evidence,
                                  [*names.values(), self._label_texts.get(target, "")],
                                  calibration.text.known(words) if calibration.text is not None else None)
        if aligned is not None:
            record["alignment"] = aligned
        return Verdict(decision.verdict, decision.counterfeit_score, decision.product_id, explanation=decision.explanation,
                       flags=decision.flags, matches=tuple(matches), details=details, regions=region,
                       advice=decision.advice, evidence=record, looks_like_product_id=identified, **base)

    def _fake_count(self, product: str) -> int:
        """How many photos of seized fakes of ``product`` the catalog holds."""
        return len(self.catalog.references(product_id=product, label="counterfeit"))

    def _alignment(self, readable: list[_Embedded], queries: np.ndarray, product: str | None,
                   view: str | None = None) -> dict | None:
        """Flat print (``judging.alignment``): the photos aligned with the product's genuine
        references nearest to them (and with its known fakes, when it has any); where the
        best-aligned photo differs from its reference. None when the catalog keeps no keypoints or
        nothing aligns at all."""
        if not self.align or product is None:
            return None
        points = [self._query_points.get(photo.sha256, photo.image) for photo in readable]
        genuine = align_product(self.catalog, points, queries, product, "genuine", view)
        if genuine is None:
            return None
        record = genuine.to_dict()
        if genuine.photo is not None:
            photo = readable[genuine.photo]
            record["photo"] = photo.path
            found = compare_with_reference(self.catalog, photo.image, points[genuine.photo], genuine)
            if found is not None:
                record["difference"] = found
        fakes = align_product(self.catalog, points, queries, product, "counterfeit", view)
        if fakes is not None:
            record["counterfeit"] = fakes.to_dict()
        return record

    def _photo_products(self, readable: list[_Embedded], per_photo: np.ndarray) -> tuple[str, ...]:
        """The products that single photos identify clearly enough that, checked alone against
        another product, the photo would be flagged ``looks_like_other_product`` (its appearance
        and its own words, through the claim model; the level only ``false_alarm_rate / 2`` of
        look-alike claims reach out of fold), in photo order. A back or barcode close-up that looks
        like nothing in particular names none."""
        calibration = self.calibration
        head, model = calibration.head, calibration.model
        threshold = calibration.accept_threshold(self.policy.false_alarm_rate / 2, claimed=True)
        column = {p: i for i, p in enumerate(head.products)}
        found: list[str] = []
        for photo, row in zip(readable, per_photo):  # the head's log-probabilities, one row a photo
            top = int(np.argmax(row))
            words = read_words(photo.reading.text)
            support = self._text_support(words, column)
            matrix = features(row[None, :], support[None, :], np.array([len(words)]), np.array([top]))
            if float(model.probability(matrix)[0]) >= threshold and head.products[top] not in found:
                found.append(head.products[top])
        return tuple(found)

    def _photo_views(self, case: Case, photos: list[_Embedded], queries: np.ndarray) -> tuple[str, ...]:
        """The view of each readable photo: the inspector's where given, else the one the catalog's
        view head assigns ("" when the catalog does not know its views)."""
        given = [case.views[i] if i < len(case.views) else "" for i, p in enumerate(photos) if p.vector is not None]
        assigned = self.calibration.view_head.assign(queries) if self.calibration.view_head is not None \
            else [""] * len(given)
        return tuple(mine or theirs for mine, theirs in zip(given, assigned))

    def _text_support(self, words, column: dict[str, int]) -> np.ndarray:
        """The label-text support of each head product (its column) from the words read."""
        support = np.zeros(len(column))
        if self.calibration.text is not None and words:
            for product, value in self.calibration.text.supports(words).items():
                if product in column:
                    support[column[product]] = value
        return support

    def _exact_product_score(self, queries: np.ndarray, product_id: str, label: str):
        refs = self.catalog.references(product_id=product_id, label=label)
        if not refs:
            return None
        ids, vectors = self.catalog.vectors([ref.image_id for ref in refs])
        sims = queries @ vectors.T  # (photos, references)
        best_per_photo = sims.max(axis=1)
        flat = int(np.argmax(sims))
        return float(best_per_photo.mean()), int(ids[flat % sims.shape[1]])

    def _copied_reference(self, readable: list[_Embedded], ids: np.ndarray, refs: dict[int, Reference]):
        """The catalog photo that one of the checked photos is a copy of, if any: aligned pixel for
        pixel (``vision.near_copy``) *and* saying the same thing (text, barcodes). Two labels
        printed on one template line up too, but carry other words and numbers."""
        best = None
        for photo, row in zip(readable, ids):
            candidates, pictures = [], []
            for image_id in row[:COPY_CANDIDATES]:
                ref = refs.get(int(image_id))
                thumb = self.catalog.thumbnail_path(ref.sha256) if ref else None
                if thumb is not None and thumb.is_file():
                    with Image.open(thumb) as reference:
                        pictures.append(reference.convert("RGB"))
                    candidates.append(ref)
            for ref, score in zip(candidates, copy_scores(photo.image, pictures)):
                if score >= COPY_THRESHOLD and (best is None or score > best[0]) and self._same_content(photo, ref):
                    best = (score, ref)
        return None if best is None else (best[1].image_id, best[1].product_id, best[1].label)

    def _same_content(self, photo: _Embedded, ref: Reference) -> bool:
        """False when what was read on the two disagrees: other barcode numbers, or mostly other words."""
        stored = self.catalog.readings([ref.image_id]).get(ref.image_id)
        if not stored:
            return True
        theirs = PackageReading.from_json(stored)
        ours_codes = {c.text for c in photo.reading.codes}
        their_codes = {c.text for c in theirs.codes}
        if ours_codes and their_codes and not ours_codes & their_codes:
            return False
        ours_words = {w.word for w in read_words(photo.reading.text)}
        their_words = {w.word for w in read_words(theirs.text)}
        if len(ours_words) >= COPY_MIN_WORDS and len(their_words) >= COPY_MIN_WORDS:
            return len(ours_words & their_words) / len(ours_words | their_words) >= COPY_MIN_WORD_OVERLAP
        return True

    def _regions(self, photo: _Embedded, reference: Reference | None) -> dict | None:
        if reference is None:
            return None
        thumb = self.catalog.thumbnail_path(reference.sha256)
        if not thumb.is_file():
            return None
        with Image.open(thumb) as image:
            ref_map = self.embedder.feature_map(image.convert("RGB"))
        query_map = self.embedder.feature_map(photo.image)
        evidence = region_evidence(query_map, ref_map)
        evidence.update({
            "photo": photo.path,
            "reference_image_id": reference.image_id,
            "box": list(self.embedder.covered_box(*photo.image.size)),
        })
        return evidence


def _same_fingerprint(recorded, embedder: Embedder) -> bool:
    if not recorded:
        return True
    ours = getattr(embedder, "_fingerprint_cache", None)
    if ours is None:
        ours = embedder._fingerprint_cache = embedder.fingerprint()
    return float(np.dot(np.asarray(recorded, np.float32), np.asarray(ours, np.float32))) >= 0.99


def _product_scores(sims: np.ndarray, ids: np.ndarray, refs: dict[int, Reference]):
    """Per (product, label): the mean over photos of each photo's best similarity.

    A product missing from one photo's nearest neighbours gets that photo's lowest retrieved
    similarity, an upper bound on what it would have scored."""
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
    scores, best_image = {}, {}
    for key in {key for best in per_photo for key in best}:
        values = [best[key][0] if key in best else floor for best, floor in zip(per_photo, floors)]
        scores[key] = float(np.mean(values))
        best_image[key] = max((best[key] for best in per_photo if key in best), key=lambda t: t[0])[1]
    return scores, best_image


def _detail_features():
    """The detail features' model (``vision.details``), loaded once per process when first needed."""
    from vision.details import shared

    return shared()


def _evidence_record(readable, words, findings, comparison, evidence: Evidence,
                     declared_texts: Sequence[str] = (), known: Sequence[str] | None = None) -> dict:
    """What was read on the photos and how it bears on the product judged, for a person to check
    (``declared_texts``: the product's name and label text, whose accents the words expected keep;
    ``known``: the words read that are words of the catalog's profiles, the ones a person is shown)."""
    record: dict = {
        "text": {
            "read": [{"text": line.text, "confidence": round(line.confidence, 3), "photo": photo.path,
                      **({"accented": line.accented} if line.accented else {})}
                     for photo in readable for line in photo.reading.text],
            "words": [w.word for w in words],
            **({"known": list(known)} if known is not None else {}),
        },
        "codes": [finding.to_dict() for finding in findings],
    }
    accented = accented_words([*declared_texts, *(line.accented for photo in readable for line in photo.reading.text
                                                  if line.accented)])
    if accented:
        record["text"]["accented"] = accented  # folded word -> as printed, for what a person is shown
    if comparison is not None:
        record["text"].update(comparison.to_dict())
    if evidence.serials:
        record["serials"] = [finding.to_dict() for finding in evidence.serials]
    if evidence.authenticity is not None:
        record["known_fakes"] = evidence.authenticity.to_dict()
    elif evidence.target_fakes:  # filed, but too few for a model: said, not taken for "none filed"
        record["known_fakes_filed"] = evidence.target_fakes
    return record


def _message(decision) -> dict:
    """The verdict's sentence as key and arguments, so it can be shown in another language."""
    args = {k: (round(float(v), 4) if isinstance(v, (float, np.floating)) else v) for k, v in decision.message_args.items()}
    return {"key": decision.message, "args": args}


def _must_show(flags: Sequence[str], target: str | None, copied, has_fake_model: bool = False) -> list[tuple[str, str]]:
    keys = []
    if target is not None:
        keys.append((target, "genuine"))
        if "closer_to_known_counterfeit" in flags or "matches_known_counterfeits" in flags or has_fake_model:
            keys.append((target, "counterfeit"))
    if copied is not None:
        keys.append((copied[1], copied[2]))
    return keys


def _matches(scores, best_image, refs: dict[int, Reference], order: dict[str, int], head_scores: dict[str, float],
             probabilities: dict[str, float], must_include) -> list[Match]:
    """Products best first: genuine entries in identification order; a product's known fakes
    right before its genuine entry when nearer than it, right after otherwise."""

    def rank(key):
        product, label = key
        position = order.get(product, len(order) + 1 - scores[key])
        if label == "counterfeit":
            genuine = scores.get((product, "genuine"), -1.0)
            position += -0.5 if scores[key] > genuine else 0.5
        return position

    required = [key for key in dict.fromkeys(must_include) if key in scores]
    ranked = [key for key in sorted(scores, key=rank) if key not in required]
    chosen = sorted(required + ranked[: max(0, MAX_MATCHES - len(required))], key=rank)
    matches = []
    for key in chosen:
        ref = refs.get(best_image[key])
        if ref is None:
            continue
        probability = None
        if key[1] == "genuine":
            probability = probabilities.get(key[0], float(np.exp(head_scores[key[0]])) if key[0] in head_scores else None)
        matches.append(Match(key[0], key[1], scores[key], ref.image_id, ref.name, ref.brand, ref.view, ref.sha256,
                             probability))
    return matches
