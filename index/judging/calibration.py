"""What a genuine photo of each product scores, learnt from the catalog's own references, and
where the evidence is strong enough to earn a verdict.

References come in photo sessions (a burst of shots, one shelf on one visit): a reference scored
by a model that saw its session-mates looks far more typical than a new field photo does.
Measured on Grocery Store (scripts/experiments/evidence.py): grouping only near-duplicates
(cosine >= 0.92) put the out-of-fold recall@1 at 0.92 and the median similarity of a reference to
its product at 0.875, against 0.78 and 0.757 for new (val) photos; grouping at 0.87 matched new
photos (recall 0.79-0.82). So every out-of-fold score here holds out whole *sessions*
(``SESSION_SIMILARITY``), and each session counts once in the calibration (each reference weighs
1 / its session's size).

For every genuine reference, out of fold (5 folds by session):
- the product head's log-probability of every product and the label-text support of every
  product (``index.judging.evidence``);
- and, leaving whole products out (5 groups), what it looks like to a catalog that lacks its
  product: the unknown-product case.
From these the claim model (``index.judging.claim_model``) is fitted, and then:
- ``claim_scores``: each product's genuine references' out-of-fold claim probabilities, so a
  check's score becomes a conformal p-value (per product, else brand, else catalog);
- ``lookalike_scores``: the claim probabilities references reach for the product they are most
  often taken for (a look-alike claim); ``unknown_scores``: the same for the product an unknown
  product is taken for. A ``genuine`` verdict needs a probability that only the policy's
  ``accept_rate`` of them reach (``accept_threshold``).
- ``fakes``: authenticity models (``index.judging.authenticity``): genuine versus counterfeit per
  product (or brand, or view) with known fakes, calibrated out of fold on both sides.

Calibration is derived data: stored in the catalog with the generation it was computed for and
recomputed when references change.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from ..storing import details as detail_store
from ..storing.catalog import Catalog
from . import head as head_module
from .claim_model import ClaimModel
from .evidence import features
from .authenticity import AuthenticityModels
from .authenticity import fit as fit_authenticity
from .text import TextIndex, build_profile, read_figures, read_words
from .views import ViewHead
from .views import fit as fit_view_head

MIN_VALUES = 10
SETTING = "calibration"
FORMAT = 8  # bump when the stored calibration changes meaning (8: sessions and authenticity models on a
#                tuned catalog's ImageNet view; 7: authenticity models weigh detail vectors)
HEAD_ARTIFACT = "product_head"
VIEW_HEADS_ARTIFACT = "view_heads.npz"
CLAIM_MODEL_ARTIFACT = "claim_model.npz"
FAKES_ARTIFACT = "authenticity_models.npz"
VIEW_HEAD_ARTIFACT = "view_head.npz"
MAX_PER_PRODUCT = 400  # cap the references per product used for fitting (large catalogs)
#: References of a product at least this similar (single linkage) are one photo session.
SESSION_SIMILARITY = 0.87
FOLDS = 5
#: Each reference is also scored against the products the head confuses it with most.
LOOKALIKES = 3
#: A product needs genuine references from at least this many photo sessions before the green
#: badge can name it: with one session, no genuine photo of it was ever scored by a model that had
#: not seen that session, so nothing measured says how its new photos, or look-alikes, score
#: (issue 28; docs/verification.md, "Thin catalogs").
MIN_SESSIONS = 2
#: What the sentence asks for when a product is thin: photos from this many sessions in all.
ASK_SESSIONS = 3
#: Below this many photo sessions of a product, what the out-of-fold scores say of it rests on
#: few independent photos: a green badge, or an accusation from its looks alone, then needs a
#: margin ``THIN_MARGIN`` times as strict (the share of look-alike claims or genuine photos that
#: may reach it divided by it). Measured on thin catalogs cut from Grocery Store (issue 28; 2, 5 and
#: 10 train photos a product, 2-10 sessions): at the nominal 5% level 12.4%, 5.9% and 4.7% of
#: look-alike claims got the green badge; at 1%, 1.2%, 0.6% and 0.6%.
FULL_SESSIONS = 10
THIN_MARGIN = 5.0


@dataclass(frozen=True)
class Calibration:
    generation: int
    #: product -> sorted out-of-fold claim probabilities of its genuine references
    claim_scores: dict[str, tuple[float, ...]] = field(default_factory=dict)
    #: product -> the weight of each of those values (1 / size of its photo session), same order
    claim_weights: dict[str, tuple[float, ...]] = field(default_factory=dict)
    #: product -> sorted leave-one-session-out similarities of its genuine references
    similarities: dict[str, tuple[float, ...]] = field(default_factory=dict)
    brands: dict[str, str] = field(default_factory=dict)
    #: sorted out-of-fold claim probabilities of look-alike claims / unknown products, and weights
    lookalike_scores: tuple[float, ...] = ()
    lookalike_weights: tuple[float, ...] = ()
    unknown_scores: tuple[float, ...] = ()
    unknown_weights: tuple[float, ...] = ()
    #: Out-of-fold figures of the fit (for reports): true claims and negatives accepted, weights.
    fit_report: dict = field(default_factory=dict)
    head: head_module.ProductHead | None = None
    model: ClaimModel | None = None
    fakes: AuthenticityModels = field(default_factory=AuthenticityModels)
    text: TextIndex | None = None
    #: A head per view of a tuned catalog's vectors (``head_module.ViewHeads``); None otherwise.
    views: head_module.ViewHeads | None = None
    #: product -> photo sessions among its genuine references (``SESSION_SIMILARITY``)
    session_counts: dict[str, int] = field(default_factory=dict)
    #: Which view of the item a photo shows, learnt from the references' views; None when the
    #: catalog has fewer than two views (``index.judging.views``).
    view_head: ViewHead | None = None
    #: Products calibrated on their own photos after tuning only with the scores of the references
    #: the backbone trained on put on the unseen photos' scale (``_add_trained_scores``): a low
    #: score against them is inconclusive, not an accusation, as against pooled photos.
    mapped: tuple[str, ...] = ()

    def thin_products(self, products) -> tuple[str, ...]:
        """Those of ``products`` the catalog holds too few photo sessions of to tell them from
        their neighbours (``MIN_SESSIONS``), in the order given."""
        out = []
        for product in products:
            if product and product not in out and self.session_counts.get(product, 0) < MIN_SESSIONS:
                out.append(product)
        return tuple(out)

    def margin(self, product: str | None) -> float:
        """How much stricter a green badge or an accusation from looks must be for ``product``:
        ``THIN_MARGIN`` below ``FULL_SESSIONS`` photo sessions of it, else 1."""
        return THIN_MARGIN if product and self.session_counts.get(product, 0) < FULL_SESSIONS else 1.0

    def photos_needed(self, products) -> int:
        """How many more photos (each from another session) the thinnest of ``products`` needs."""
        return max([ASK_SESSIONS - self.session_counts.get(p, 0) for p in products] + [1])

    def separating_views(self, product: str) -> list[str]:
        """The views of ``product`` (or its brand) whose known fakes a model tells apart, best first."""
        return [m.view for m in self.fakes.views_of(product, self.brands.get(product, ""))]

    def claim_p_value(self, product: str, score: float) -> tuple[float, str]:
        """(p-value, calibration level: product, brand or catalog) of a claim probability."""
        values, weights, level = self._values(product)
        if not len(values):
            return float("nan"), "none"
        p = _weighted_p_value(values, weights, score)
        if score < values[0] and len(values) >= 2:
            # below every genuine reference: extrapolate the tail (a normal on the log-odds), so a
            # photo far from anything genuine gets a p-value to match instead of a tie at the floor
            logits = _logit(values)
            mean, std = float(np.average(logits, weights=weights)), max(float(np.std(logits)), 1e-3)
            p *= _normal_cdf((_logit(score) - mean) / std) / max(_normal_cdf((logits[0] - mean) / std), 1e-300)
        return float(p), level

    def accept_threshold(self, rate: float, claimed: bool = True) -> float:
        """The claim probability that only ``rate`` of look-alike claims (``claimed``) or of
        unknown products (no claim) reach out of fold: the least a green badge needs."""
        values = np.asarray(self.lookalike_scores if claimed else self.unknown_scores)
        weights = np.asarray(self.lookalike_weights if claimed else self.unknown_weights)
        if not len(values):
            return 1.0
        cumulative = np.cumsum(weights) / np.sum(weights)
        return float(values[min(len(values) - 1, int(np.searchsorted(cumulative, 1.0 - rate)))])

    def similarity_p_value(self, product: str, similarity: float) -> float:
        """Share of the product's genuine references (leave-one-session-out) that are as far or
        farther from their nearest genuine neighbour: is the photo close to anything genuine?"""
        values = np.asarray(self.similarities.get(product, ()))
        if len(values) < MIN_VALUES:
            values = self._pooled("similarities")
        if not len(values):
            return float("nan")
        return (1 + int(np.searchsorted(values, similarity, side="right"))) / (len(values) + 1)

    def claim_threshold(self, product: str, false_alarm_rate: float) -> float | None:
        values, weights, _ = self._values(product)
        if not len(values):
            return None
        cumulative = np.cumsum(weights) / np.sum(weights)
        return float(values[min(len(values) - 1, int(np.searchsorted(cumulative, false_alarm_rate)))])

    def _values(self, product: str) -> tuple[np.ndarray, np.ndarray, str]:
        """A product's calibration values and weights: its own (if its sessions add up to at least
        ``MIN_VALUES`` photos' worth), else its brand's, else the catalog's."""
        own = self.claim_scores.get(product, ())
        if len(own) >= MIN_VALUES:
            return np.asarray(own), np.asarray(self.claim_weights[product]), "product"
        brand = self.brands.get(product, "")
        if brand:
            members = [p for p in self.claim_scores if self.brands.get(p) == brand]
            values = np.concatenate([self.claim_scores[p] for p in members]) if members else np.zeros(0)
            if len(values) >= MIN_VALUES:
                weights = np.concatenate([self.claim_weights[p] for p in members])
                order = np.argsort(values, kind="stable")
                return values[order], weights[order], "brand"
        values, weights = self._pooled("claim_scores"), self._pooled("claim_weights_sorted")
        return values, weights, "catalog"

    def _pooled(self, name: str) -> np.ndarray:
        cache = self.__dict__.setdefault("_pooled_cache", {})  # frozen dataclass: cache beside the fields
        if name not in cache:
            if name == "claim_weights_sorted":
                values = np.concatenate([np.asarray(v) for v in self.claim_scores.values()]) \
                    if self.claim_scores else np.zeros(0)
                weights = np.concatenate([np.asarray(self.claim_weights[p]) for p in self.claim_scores]) \
                    if self.claim_scores else np.zeros(0)
                cache[name] = weights[np.argsort(values, kind="stable")]
            else:
                cache[name] = np.sort([v for values in getattr(self, name).values() for v in values])
        return cache[name]

    def summary(self, false_alarm_rate: float) -> dict[str, dict]:
        """Per product: how many references calibrate it, at which level, and its threshold."""
        out = {}
        for product in sorted(set(self.similarities) | set(self.claim_scores) | set(self.session_counts)):
            _, _, level = self._values(product)
            threshold = self.claim_threshold(product, false_alarm_rate)
            out[product] = {
                "references": len(self.claim_scores.get(product, ())) or None,
                "sessions": round(float(sum(self.claim_weights.get(product, ()))), 1) or None,
                "level": level,
                "claim_threshold": None if threshold is None else round(threshold, 4),
                "photo_sessions": self.session_counts.get(product, 0),
                "can_confirm": product not in self.thin_products([product]),
                "known_fakes": self.known_fakes(product, false_alarm_rate),
            }
        return out

    def known_fakes(self, product: str, false_alarm_rate: float) -> dict | None:
        """How the authenticity model that judges ``product`` (its own, or its brand's) did on its
        own references, out of fold (``AuthenticityModel.out_of_fold``), at the level a check
        accuses at (half the false-alarm budget, ``decision``); None without seized fakes."""
        model = self.fakes.for_product(product, self.brands.get(product, ""))
        if model is None:
            return None
        return {"model": str(model.scope), "brand": self.brands.get(product, ""),
                **model.out_of_fold(false_alarm_rate / 2)}

    def to_json(self) -> str:
        return json.dumps({
            "format": FORMAT,
            "generation": self.generation,
            "claim_scores": {p: [round(v, 5) for v in values] for p, values in self.claim_scores.items()},
            "claim_weights": {p: [round(v, 4) for v in values] for p, values in self.claim_weights.items()},
            "similarities": {p: [round(v, 4) for v in values] for p, values in self.similarities.items()},
            "brands": self.brands,
            "lookalike_scores": [round(v, 5) for v in self.lookalike_scores],
            "lookalike_weights": [round(v, 4) for v in self.lookalike_weights],
            "unknown_scores": [round(v, 5) for v in self.unknown_scores],
            "unknown_weights": [round(v, 4) for v in self.unknown_weights],
            "fit_report": self.fit_report,
            "session_counts": self.session_counts,
            "has_claim_model": self.model is not None,
            "mapped": list(self.mapped),
        })

    @classmethod
    def from_json(cls, text: str, head, model, fakes, text_index, views=None, view_head=None) -> "Calibration":
        data = json.loads(text)
        return cls(
            int(data["generation"]),
            {p: tuple(v) for p, v in data.get("claim_scores", {}).items()},
            {p: tuple(v) for p, v in data.get("claim_weights", {}).items()},
            {p: tuple(v) for p, v in data.get("similarities", {}).items()},
            data.get("brands", {}),
            tuple(data.get("lookalike_scores", ())), tuple(data.get("lookalike_weights", ())),
            tuple(data.get("unknown_scores", ())), tuple(data.get("unknown_weights", ())),
            data.get("fit_report", {}),
            head, model, fakes, text_index, views,
            {p: int(n) for p, n in data.get("session_counts", {}).items()},
            view_head,
            tuple(data.get("mapped", ())),
        )


def text_index(catalog: Catalog, image_ids: list[int] | None = None, words_by_id: dict[int, list[str]] | None = None,
               exclude: set[str] = frozenset(), figures_by_id: dict[int, list[str]] | None = None) -> TextIndex | None:
    """Text profiles of the catalog's products from their declarations and the words read on
    their genuine references (``image_ids``, default all); None when nothing was ever read or
    declared. The figures read on them (``figures_by_id``, read from the catalog when the words
    are) go into the profiles too: the index checks compare with, not the calibration's folds."""
    info = catalog.product_info()
    if words_by_id is None:
        words_by_id, figures_by_id = reference_text(catalog)
    figures_by_id = figures_by_id or {}
    if not words_by_id and not any(i.label_text for i in info.values()):
        return None
    rows = catalog.db.execute("SELECT image_id, product_id, name, brand FROM refs WHERE label = 'genuine'").fetchall()
    wanted = None if image_ids is None else set(image_ids)
    declared: dict[str, tuple[str, str]] = {}
    read: dict[str, list[list[str]]] = {}
    shown: dict[str, list[list[str]]] = {}
    for image_id, product, name, brand in rows:
        if product in exclude:
            continue
        declared.setdefault(product, (name, brand))
        if name or brand:
            declared[product] = (name or declared[product][0], brand or declared[product][1])
        if (wanted is None or image_id in wanted) and image_id in words_by_id:
            read.setdefault(product, []).append(words_by_id[image_id])
            shown.setdefault(product, []).append(figures_by_id.get(image_id, []))
    profiles = [build_profile(product, name, brand, info[product].label_text if product in info else "",
                              read.get(product, ()), shown.get(product, ()) if figures_by_id else ())
                for product, (name, brand) in declared.items()]
    return TextIndex(profiles)


def reference_text(catalog: Catalog) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """image id -> the words, and the figures (``text.figures``), read on that reference (only
    references that were read), from one pass over the stored readings."""
    words_by_id, figures_by_id = {}, {}
    for image_id, reading in catalog.readings().items():
        lines = json.loads(reading).get("text", ())
        words_by_id[int(image_id)] = [w.word for w in read_words(lines)]
        figures_by_id[int(image_id)] = list(read_figures(lines))
    return words_by_id, figures_by_id


def reference_words(catalog: Catalog) -> dict[int, list[str]]:
    """image id -> the words read on that reference (only references that were read)."""
    return reference_text(catalog)[0]


def compute(catalog: Catalog) -> Calibration:
    rows = catalog.db.execute(
        "SELECT image_id, product_id, brand, label FROM refs ORDER BY product_id, image_id").fetchall()
    rng = np.random.default_rng(0)
    genuine_rows = [r for r in rows if r[3] == "genuine"]
    brands: dict[str, str] = {}
    by_product: dict[str, list[int]] = {}
    for image_id, product_id, brand, _ in genuine_rows:
        by_product.setdefault(product_id, []).append(image_id)
        if brand:
            brands[product_id] = brand
    for product, ids in by_product.items():
        if len(ids) > MAX_PER_PRODUCT:
            by_product[product] = sorted(rng.choice(ids, MAX_PER_PRODUCT, replace=False).tolist())
    ids = [i for product_ids in by_product.values() for i in product_ids]
    products = [p for p, product_ids in by_product.items() for _ in product_ids]
    if not ids:
        return Calibration(catalog.generation, brands=brands)
    vectors = _vectors(catalog, ids)
    classes = sorted(by_product)
    column = {p: i for i, p in enumerate(classes)}
    y = np.array([column[p] for p in products])
    imagenet = imagenet_view(catalog)
    sessions = _sessions(session_vectors(vectors, imagenet), y)
    session_counts = {classes[label]: int(len(np.unique(sessions[y == label]))) for label in np.unique(y)}
    words_by_id, figures_by_id = reference_text(catalog)
    words = [words_by_id.get(i, []) for i in ids]
    read_counts = np.array([len(w) for w in words], np.float64)
    index_all = text_index(catalog, ids, words_by_id, figures_by_id=figures_by_id)

    # After `tune`, the backbone has seen its training references: their scores are optimistic
    # (measured: 32% false alarms when calibrated on them). Calibrate on the references it did not
    # train on (held out at tuning, or added since); the head still learns from all of them.
    trained = trained_ids(catalog)
    usable = np.array([i not in trained for i in ids]) if trained else np.ones(len(ids), bool)

    head = head_module.fit(vectors, products, catalog.generation)
    width = _view_width(catalog)
    views = head_module.fit_views(vectors, products, catalog.generation, width) if width and head is not None else None
    fakes = _fit_fakes(catalog, rows, brands, imagenet)
    view_head = _fit_view_head(catalog)
    if head is None:  # one product: nothing to tell apart, similarity alone calibrates
        return Calibration(catalog.generation, similarities=_loo_similarities(vectors, y, sessions, usable, classes),
                           brands=brands, fakes=fakes, text=index_all, session_counts=session_counts,
                           view_head=view_head)

    # a large catalog is calibrated with fewer folds (each fold refits a head: ~15 s at 20k references)
    splits = head_module.LARGE_FOLDS if head_module.is_large(len(ids), len(classes), vectors.shape[1]) else FOLDS
    folds = _session_folds(sessions, y, usable, splits)
    log_probs, text = _out_of_fold(vectors, y, classes, folds, words, ids, catalog, words_by_id, splits)
    positives = features(log_probs, text, read_counts, y)
    confused = _most_confused(log_probs, y, LOOKALIKES)
    lookalikes = [features(log_probs, text, read_counts, confused[:, j]) for j in range(confused.shape[1])]
    u_log_probs, u_text, taken_for = _left_out_products(vectors, y, words, ids, catalog, words_by_id, classes, splits)
    unknown = features(u_log_probs, u_text, read_counts, taken_for)
    rows_ok = usable & (folds >= 0)
    # a product left out of a catalog of one other product leaves no head to take it for anything
    unknown_ok = rows_ok & np.isfinite(u_log_probs).any(axis=1)
    session_weight = 1.0 / np.bincount(sessions)[sessions]
    if not rows_ok.any():
        # No product has two photo sessions: no genuine photo can be scored by a model that has
        # not seen its session, so there is nothing to fit a claim model on (a catalog of one
        # packshot a product). Identification still works; no green badge can be earned.
        return Calibration(catalog.generation, similarities=_loo_similarities(vectors, y, sessions, usable, classes),
                           brands=brands, head=head, fakes=fakes, text=index_all, views=views,
                           session_counts=session_counts, view_head=view_head)
    train_x = np.concatenate([positives[rows_ok]] + [n[rows_ok] for n in lookalikes] + [unknown[unknown_ok]])
    train_y = np.concatenate([np.ones(rows_ok.sum())] + [np.zeros(rows_ok.sum())] * len(lookalikes)
                             + [np.zeros(unknown_ok.sum())])
    train_w = np.concatenate([np.tile(session_weight[rows_ok], len(lookalikes) + 1), session_weight[unknown_ok]])
    model = ClaimModel.fit(train_x, train_y, train_w, catalog.generation)

    v_true = model.probability(positives[rows_ok])
    v_lookalike = model.probability(lookalikes[0][rows_ok])
    v_unknown = model.probability(unknown[unknown_ok])
    w, w_unknown = session_weight[rows_ok], session_weight[unknown_ok]
    claim_scores: dict[str, list[tuple[float, float]]] = {}
    for product_index, score, weight in zip(y[rows_ok], v_true, w):
        claim_scores.setdefault(classes[product_index], []).append((float(score), float(weight)))
    mapped = _add_trained_scores(claim_scores, v_true, w, vectors, y, classes, sessions, usable, session_weight, words,
                                 ids, catalog, words_by_id, read_counts, splits, model) if trained else []
    lookalike_order, unknown_order = np.argsort(v_lookalike), np.argsort(v_unknown)
    result = Calibration(
        catalog.generation,
        {p: tuple(v for v, _ in sorted(pairs)) for p, pairs in claim_scores.items()},
        {p: tuple(wt for _, wt in sorted(pairs)) for p, pairs in claim_scores.items()},
        _loo_similarities(vectors, y, sessions, usable, classes),
        brands,
        tuple(float(v) for v in v_lookalike[lookalike_order]), tuple(float(v) for v in w[lookalike_order]),
        tuple(float(v) for v in v_unknown[unknown_order]), tuple(float(v) for v in w_unknown[unknown_order]),
        {}, head, model, fakes, index_all, views, session_counts, view_head,
    )
    object.__setattr__(result, "fit_report", _fit_report(result, v_true, w, model))
    object.__setattr__(result, "mapped", tuple(mapped))
    return result


def _add_trained_scores(claim_scores, v_true, w, vectors, y, classes, sessions, usable, session_weight, words, ids,
                        catalog, words_by_id, read_counts, splits, model) -> list[str]:
    """After tuning, give each product short of ``MIN_VALUES`` unseen references a calibration of
    its own: its references the backbone trained on, scored out of fold, with each score put on
    the unseen photos' scale (the share of trained references' scores below it, catalog-wide,
    read as that share of the unseen references' scores: a quantile map, weighted by session).

    Why (issue 26): a tuning keeps 20% of each product's references out of training
    (``importing.tuning.CALIBRATION_SHARE``) and only those calibrate, so a product of the demo
    catalog (14 references) kept 3-6 and every product fell back to its brand's or the whole
    catalog's pooled scores ("0 of 9 calibrated on their own photos", and "calibrated at catalog
    level" on every check). A trained reference's raw score is optimistic (measured: 32% false
    alarms when calibrated on them), which is what the map removes: the trained scores keep only
    their order, the scale is the unseen photos'. Holding out 10 references per product instead
    was measured worse on new photos (docs/verification.md, "Two draws, and two rule changes").
    Products with enough unseen references keep them alone, as before. Returns the products
    calibrated so."""
    short = [label for label, product in enumerate(classes)
             if len(claim_scores.get(product, ())) < MIN_VALUES]
    if not short or len(v_true) < 2:
        return []
    trained_rows = ~usable
    folds = _session_folds(sessions, y, trained_rows, splits)
    if not (folds >= 0).any():
        return []
    log_probs, text = _out_of_fold(vectors, y, classes, folds, words, ids, catalog, words_by_id, splits)
    rows = trained_rows & (folds >= 0)
    v_trained = model.probability(features(log_probs, text, read_counts, y)[rows])
    w_trained = session_weight[rows]
    mapped = _quantile_map(v_trained, w_trained, v_true, w)
    added = set()
    for product_index, score, weight in zip(y[rows], mapped, w_trained):
        if product_index in short:
            claim_scores.setdefault(classes[product_index], []).append((float(score), float(weight)))
            added.add(classes[product_index])
    return sorted(added)


def _quantile_map(values: np.ndarray, weights: np.ndarray, target: np.ndarray, target_weights: np.ndarray):
    """Each value's weighted quantile among ``values``, read off the weighted quantiles of ``target``."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order]) - 0.5 * weights[order]
    share = np.empty(len(values))
    share[order] = cumulative / weights.sum()
    target_order = np.argsort(target, kind="stable")
    target_cumulative = (np.cumsum(target_weights[target_order]) - 0.5 * target_weights[target_order]) \
        / target_weights.sum()
    return np.interp(share, target_cumulative, target[target_order])


def _fit_report(calibration: Calibration, v_true: np.ndarray, weights: np.ndarray, model: ClaimModel) -> dict:
    """Out of fold, at the default acceptance rate: how many true claims, look-alike claims and
    unknown products would get the green badge (for reports and the Status tab)."""
    from .decision import Policy

    policy = Policy()
    claim = calibration.accept_threshold(policy.accept_rate, True)
    open_ = calibration.accept_threshold(policy.open_accept_rate, False)
    return {
        "references": int(len(v_true)), "sessions": round(float(weights.sum()), 1),
        "true_claims_accepted": round(float(np.average(v_true >= claim, weights=weights)), 4),
        "true_accepted_without_claim": round(float(np.average(v_true >= open_, weights=weights)), 4),
        "weights": model.weights(),
    }


def _vectors(catalog: Catalog, ids: list[int]) -> np.ndarray:
    id_array, vectors = catalog.vectors(ids)
    order = {int(i): row for row, i in enumerate(id_array)}
    return vectors[[order[i] for i in ids]]


def imagenet_view(catalog: Catalog) -> int | None:
    """The width of the ImageNet view of a tuned catalog's vectors (the last, beside the tuned
    draws: ``vision.offline``), or None where its vectors hold none (untuned, CLIP, tuned alone).

    Photo sessions are found in that view (``session_vectors``), and the authenticity models weigh
    it: a session is how the photos were taken (one shelf, one visit), not what a model learnt, and
    tuning pulls a product's photos together by design, so in the tuned views photos of different
    visits merge into one "session" (Grocery Store, the same 2,721 photos: 15 of 81 products under
    ``FULL_SESSIONS`` sessions on the untuned vectors, 54 on the tuned ones, which made the green
    badge five times as strict for them after tuning)."""
    width = _view_width(catalog)
    if not width:
        return None
    from vision.offline import split_draws, views_of

    from ..importing.tuning import BACKBONE_ARTIFACT

    blob = catalog.artifact(BACKBONE_ARTIFACT)
    if blob is None:
        return None
    # the draws are told by the weights' names: the safetensors header, not the tensors
    names = json.loads(blob[8:8 + int.from_bytes(blob[:8], "little")])
    try:
        return width if views_of(catalog.embedder.dim, len(split_draws(dict.fromkeys(names)))) else None
    except ValueError:
        return None


def session_vectors(vectors: np.ndarray, view: int | None) -> np.ndarray:
    """The vectors sessions are found in: the ImageNet view of ``view`` dimensions
    (``imagenet_view``), or all of them."""
    if not view:
        return vectors
    imagenet = np.asarray(vectors[:, -view:], np.float32)  # the ImageNet view is the last (vision.offline)
    return imagenet / np.maximum(np.linalg.norm(imagenet, axis=1, keepdims=True), 1e-12)


def _sessions(vectors: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A session id per reference: connected components of 'at least SESSION_SIMILARITY' within
    each product."""
    sessions = np.zeros(len(y), dtype=np.int64)
    offset = 0
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        groups = head_module.similarity_groups(vectors[members], SESSION_SIMILARITY)
        sessions[members] = groups + offset
        offset += int(groups.max()) + 1
    return sessions


def _session_folds(sessions: np.ndarray, y: np.ndarray, usable: np.ndarray, splits: int = FOLDS) -> np.ndarray:
    """Fold per reference, whole sessions together; references a tuned backbone trained on are
    never held out (-1), nor those of a product with a single session (held out, it would leave
    the product with no photo at all: not a new photo of a known product but an unknown one)."""
    rng = np.random.default_rng(0)
    folds = np.full(len(y), -1)
    for label in np.unique(y):
        members = np.flatnonzero((y == label) & usable)
        if not len(members) or len(np.unique(sessions[y == label])) < MIN_SESSIONS:
            continue
        unique, local = np.unique(sessions[members], return_inverse=True)
        order = rng.permutation(len(unique))
        folds[members] = order[local] % splits
    return folds


def _text_support(index: TextIndex | None, words: list[str], column: dict[str, int], n_products: int) -> np.ndarray:
    out = np.zeros(n_products, np.float32)
    if index is None or not words:
        return out
    from .text import ReadWord

    for product, support in index.supports([ReadWord(w) for w in words]).items():
        if product in column:
            out[column[product]] = support
    return out


def _out_of_fold(vectors, y, classes, folds, words, ids, catalog, words_by_id, splits):
    """Each reference scored by a head and text profiles fitted without its photo session (its fold)."""
    n, n_products = len(y), len(classes)
    log_probs = np.full((n, n_products), -np.inf, np.float32)
    text = np.zeros((n, n_products), np.float32)
    column = {p: i for i, p in enumerate(classes)}
    for fold in range(splits):
        held = folds == fold
        if not held.any():
            continue
        train = ~held
        weight, bias = head_module.fit_linear_any(vectors[train], y[train], n_products)
        log_probs[held] = head_module.log_softmax(head_module.SCALE * (vectors[held] @ weight) + bias)
        index = text_index(catalog, [i for i, t in zip(ids, train) if t], words_by_id)
        for row in np.flatnonzero(held):
            text[row] = _text_support(index, words[row], column, n_products)
    return log_probs, text


def _left_out_products(vectors, y, words, ids, catalog, words_by_id, classes, splits):
    """Each reference as its product's unknown twin: scored by a head and text profiles of a
    catalog without its product (groups of products left out in turn)."""
    n, n_products = len(y), len(classes)
    rng = np.random.default_rng(1)
    group_of = rng.permutation(n_products) % min(splits, n_products)
    log_probs = np.full((n, n_products), -np.inf, np.float32)
    text = np.zeros((n, n_products), np.float32)
    column = {p: i for i, p in enumerate(classes)}
    for group in np.unique(group_of):
        left_out = np.flatnonzero(group_of == group)
        kept = np.flatnonzero(group_of != group)
        if len(kept) < 2:
            continue
        held = np.isin(y, left_out)
        remap = np.full(n_products, -1)
        remap[kept] = np.arange(len(kept))
        weight, bias = head_module.fit_linear_any(vectors[~held], remap[y[~held]], len(kept))
        log_probs[np.ix_(held, kept)] = head_module.log_softmax(head_module.SCALE * (vectors[held] @ weight) + bias)
        index = text_index(catalog, [i for i, h in zip(ids, held) if not h], words_by_id,
                           exclude={classes[c] for c in left_out})
        for row in np.flatnonzero(held):
            text[row] = _text_support(index, words[row], column, n_products)
    taken_for = np.argmax(log_probs, axis=1)
    return log_probs, text, taken_for


def _most_confused(log_probs: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """(rows, k): the k products each row is most taken for, its own excluded."""
    masked = log_probs.copy()
    masked[np.arange(len(y)), y] = -np.inf
    k = max(1, min(k, log_probs.shape[1] - 1))
    return np.argsort(-masked, axis=1)[:, :k]


def _loo_similarities(vectors, y, sessions, usable, classes) -> dict[str, tuple[float, ...]]:
    """Per product: each usable reference's similarity to its nearest reference of the product
    from another session."""
    out: dict[str, tuple[float, ...]] = {}
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        if len(members) < 2:
            continue
        sims = vectors[members] @ vectors[members].T
        same = sessions[members][:, None] == sessions[members][None, :]
        sims[same] = -np.inf
        best = sims.max(axis=1)[usable[members]]
        best = best[np.isfinite(best)]
        if len(best):
            out[classes[label]] = tuple(sorted(float(v) for v in best))
    return out


def _fit_fakes(catalog: Catalog, rows, brands: dict[str, str], imagenet: int | None) -> AuthenticityModels:
    """Genuine-versus-counterfeit models for the products (and brands, and views) with known fakes."""
    fake_products = {r[1] for r in rows if r[3] == "counterfeit"}
    if not fake_products:
        return AuthenticityModels()
    fake_brands = {brands.get(p, "").casefold() for p in fake_products} - {""}
    chosen = [r for r in rows if r[1] in fake_products or brands.get(r[1], "").casefold() in fake_brands]
    ids = [r[0] for r in chosen]
    vectors = _vectors(catalog, ids)
    products = [r[1] for r in chosen]
    labels = [r[3] for r in chosen]
    groups = np.zeros(len(ids), dtype=np.int64)
    keys = sorted({(p, l) for p, l in zip(products, labels)})
    offset = 0
    seen_as = session_vectors(vectors, imagenet)
    for key in keys:
        members = np.flatnonzero([(p, l) == key for p, l in zip(products, labels)])
        local = head_module.similarity_groups(seen_as[members], SESSION_SIMILARITY)
        groups[members] = local + offset
        offset += int(local.max()) + 1
    view_of = dict(catalog.db.execute("SELECT image_id, view FROM refs").fetchall())
    views = [(view_of.get(i) or "").strip().casefold() for i in ids]
    refs = catalog.references_by_id(ids)
    details = detail_store.for_references(catalog, [refs[i] for i in ids])
    return fit_authenticity(vectors, products, labels, brands, groups, views, details, imagenet or 0)


def _fit_view_head(catalog: Catalog) -> ViewHead | None:
    """The catalog's views learnt from its references (genuine and counterfeit alike: a fake's
    insole is an insole), at most ``MAX_PER_PRODUCT`` a product and view."""
    rows = catalog.db.execute("SELECT image_id, product_id, view FROM refs WHERE view != '' "
                              "ORDER BY product_id, view, image_id").fetchall()
    if len({(v or "").strip().casefold() for _, _, v in rows}) < 2:
        return None
    kept: dict[tuple[str, str], int] = {}
    chosen = []
    for image_id, product, view in rows:
        key = (product, view)
        if kept.get(key, 0) < MAX_PER_PRODUCT:
            kept[key] = kept.get(key, 0) + 1
            chosen.append((image_id, view))
    return fit_view_head(_vectors(catalog, [i for i, _ in chosen]), [v for _, v in chosen], catalog.generation)


#: Artifact: JSON list of the image ids the catalog's tuned backbone was trained on.
TRAINED_IDS_ARTIFACT = "tuned_on_ids.json"


def trained_ids(catalog: Catalog) -> set[int]:
    blob = catalog.artifact(TRAINED_IDS_ARTIFACT)
    return set(json.loads(blob)) if blob else set()


def current(catalog: Catalog) -> Calibration:
    """The calibration for the catalog as it is now; recomputed (and saved, if writable) when stale."""
    stored = catalog.setting(SETTING)
    if stored:
        data = json.loads(stored)
        generation = data.get("generation")
        if data.get("format") == FORMAT and generation == catalog.generation:
            blob = catalog.artifact(HEAD_ARTIFACT)
            head = head_module.ProductHead.from_bytes(blob) if blob else None
            model_blob = catalog.artifact(CLAIM_MODEL_ARTIFACT)
            model = ClaimModel.from_bytes(model_blob) if model_blob else None
            views_blob = catalog.artifact(VIEW_HEADS_ARTIFACT)
            views = head_module.ViewHeads.from_bytes(views_blob) if views_blob else None
            fresh = (head is None or head.generation == generation) and (model is None or model.generation == generation) \
                and (views is None or views.generation == generation)
            if fresh and (model is not None or head is None or not data.get("has_claim_model", True)):
                return Calibration.from_json(stored, head, model, AuthenticityModels.from_bytes(catalog.artifact(FAKES_ARTIFACT)),
                                             text_index(catalog), views,
                                             ViewHead.from_bytes(catalog.artifact(VIEW_HEAD_ARTIFACT)))
    calibration = compute(catalog)
    if catalog.writable:
        save(catalog, calibration)
    return calibration


def refresh(catalog: Catalog) -> Calibration:
    calibration = compute(catalog)
    save(catalog, calibration)
    return calibration


def save(catalog: Catalog, calibration: Calibration) -> None:
    """Head, claim model, fake models and calibration in one transaction, so they always belong
    to the same generation."""
    catalog.save_derived(
        settings={SETTING: calibration.to_json()},
        artifacts={HEAD_ARTIFACT: calibration.head.to_bytes() if calibration.head else None,
                   CLAIM_MODEL_ARTIFACT: calibration.model.to_bytes() if calibration.model else None,
                   FAKES_ARTIFACT: calibration.fakes.to_bytes() if calibration.fakes else None,
                   VIEW_HEADS_ARTIFACT: calibration.views.to_bytes() if calibration.views else None,
                   VIEW_HEAD_ARTIFACT: calibration.view_head.to_bytes() if calibration.view_head else None},
    )


def _view_width(catalog: Catalog) -> int | None:
    """The width of each view of a tuned catalog's vectors (several views side by side), else None."""
    from vision.offline import TUNED_NAME, views_dim

    width, dim = views_dim(1, False), catalog.embedder.dim
    return width if catalog.embedder.name == TUNED_NAME and dim > width and dim % width == 0 else None


def _normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _logit(p):
    p = np.clip(np.asarray(p, np.float64), 1e-9, 1 - 1e-9)
    return np.log(p) - np.log1p(-p)


def _weighted_p_value(values: np.ndarray, weights: np.ndarray, score: float) -> float:
    """(w + sum of weights of values <= score) / (w + total weight), w = the mean weight: a
    conformal p-value in which each photo session counts once."""
    at_or_below = int(np.searchsorted(values, score, side="right"))
    own = float(np.mean(weights))
    return (own + float(np.sum(weights[:at_or_below]))) / (own + float(np.sum(weights)))
