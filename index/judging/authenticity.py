"""Authenticity: is this the brand's own product or a copy of it? A genuine-versus-counterfeit
model for each product whose catalog holds seized fakes (or, failing that, for its brand), and
for each view of it (box label, insole, cap ...) that has fakes of its own, calibrated out of fold
on both sides.

Identity (which product is this?) and authenticity are two questions. A counterfeit is the same
product made by someone else: the claim model settles identity and says little about it (on real
fake bags and shoes the identity score separated fakes from genuine at chance, AUROC 0.51, while a
genuine-versus-fake model on the same photos reached 0.78: FINDINGS.md). So wherever the catalog
knows fakes of a product, this model answers the second question, and the verdict needs both.

Each model is a logistic regression (class-balanced) on the catalog's vectors and, beside them,
each photo's detail vector (``vision.details``: max-pooled ImageNet features, where a fake's tell
sits in one place; on real fake bags 0.83 -> 0.86 AUROC with them, FINDINGS.md) when every
reference of the catalog's fitted scopes has one (``details``). In a tuned catalog the models weigh
the ImageNet view of its vectors, not the tuned draws (``imagenet_width``): tuning teaches the
backbone to draw every photo of a product together, whoever printed the pack, which is the very
difference this model looks for (and it trained on most genuine references, not on the fakes).
Out of fold (folds
grouped by photo session, each session counted once) it scores every genuine *and* every
counterfeit reference; from those scores:
- ``p_value``: the share of genuine photos that look at least as fake (the false-alarm side:
  ``counterfeit`` needs a level few genuine photos reach);
- ``fake_share``: the share of known fakes that look at least as genuine (the acceptance side:
  ``genuine`` needs a level at most 5% of the known fakes reach);
- ``probability``: the chance the photos show a fake, at even odds (a logistic fit of the
  out-of-fold scores), which orders cases by risk.
A photo of a case is scored by the model of its view when one exists, else by the product's.
Stored as one ``.npz`` (no pickle).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np

#: Counterfeit and genuine references a product (or brand, or view) needs for a model of its own.
MIN_FAKES = 3
MIN_GENUINE = 3
FOLDS = 5
#: The catalog's unit vectors are scaled like the product head's logits (``head.SCALE``), so a
#: moderately regularised model can reach confident outputs.
SCALE = 10.0
C = 1.0
#: A green badge needs the photos to look more genuine than all but this share of the known fakes
#: (out of fold): the fakes a counterfeiter sells are the known fakes' kin.
GENUINE_FAKE_SHARE = 0.05


@dataclass(frozen=True)
class AuthenticityModel:
    #: A product id, or ``brand:<name>`` for a brand's pooled model.
    scope: str
    weight: np.ndarray
    bias: float
    #: Out-of-fold log-odds of "fake" for the scope's genuine / counterfeit references, sorted,
    #: with each one's weight (1 / its photo session's size), same order.
    genuine_scores: np.ndarray
    fake_scores: np.ndarray
    genuine_weights: np.ndarray | None = None
    fake_weights: np.ndarray | None = None
    #: P(fake) = sigmoid(platt[0] * log-odds + platt[1]), fitted on the out-of-fold scores at even odds.
    platt: tuple[float, float] = (1.0, 0.0)
    #: How many counterfeit and genuine references the model was fitted on (for reports).
    fakes: int = 0
    genuine: int = 0
    #: The view the model is for (a manifest's ``view``), or "" for every view of the scope.
    view: str = ""
    #: Out-of-fold AUROC of the model (how well it tells this scope's fakes from its genuine photos).
    auroc: float = float("nan")
    #: Whether the model weighs each photo's detail vector beside its catalog vector.
    details: bool = False
    #: 0: the model weighs the whole catalog vector; else only its last ``imagenet_width`` dimensions,
    #: unit length: a tuned catalog's ImageNet view (``fit``).
    imagenet_width: int = 0

    def photo_scores(self, vectors: np.ndarray, details: np.ndarray | None = None) -> np.ndarray:
        """Log-odds of "fake" for each photo (``vectors``: the catalog's; ``details``: the photos'
        detail vectors, which a model fitted with them needs)."""
        weighed = inputs(weighed_part(vectors, self.imagenet_width), details if self.details else None)
        return SCALE * weighed @ self.weight + self.bias

    def score(self, vectors: np.ndarray, details: np.ndarray | None = None) -> float:
        """Mean log-odds over the photos of a case that it shows a fake of the scope."""
        return float(np.mean(self.photo_scores(vectors, details)))

    def calibrated(self, scores) -> np.ndarray:
        """Log-odds of "fake" at even odds, from the model's own (out-of-fold calibrated)."""
        return self.platt[0] * np.asarray(scores, np.float64) + self.platt[1]

    def probability(self, score: float) -> float:
        return float(_sigmoid(self.calibrated(score)))

    def p_value(self, score: float) -> float:
        """Share of genuine photos that look at least as fake (conformal, session-weighted)."""
        return tail_share(self.genuine_scores, self.genuine_weights, score, upper=True)

    def fake_share(self, score: float) -> float:
        """Share of known fakes that look at least as genuine (conformal, session-weighted)."""
        return tail_share(self.fake_scores, self.fake_weights, score, upper=False)

    def out_of_fold(self, alpha: float, genuine_fake_share: float = GENUINE_FAKE_SHARE) -> dict:
        """What the model did to its own references, each scored by a model that had not seen its
        photo session: the share of known fakes it would call ``counterfeit`` (more fake-looking
        than all but ``alpha`` of the genuine photos), and the share of genuine photos clear of the
        fakes as the green badge needs them (no more than ``genuine_fake_share`` of the fakes look
        as genuine); each session counted once."""
        g_w, f_w = _weights(self.genuine_weights, self.genuine_scores), _weights(self.fake_weights, self.fake_scores)
        caught = [self.p_value(score) < alpha for score in self.fake_scores]
        clear = [self.fake_share(score) <= genuine_fake_share for score in self.genuine_scores]
        return {"fakes": self.fakes, "genuine": self.genuine, "auroc": round(self.auroc, 3),
                "fakes_caught": round(float(np.average(caught, weights=f_w)), 3) if len(caught) else None,
                "genuine_clear": round(float(np.average(clear, weights=g_w)), 3) if len(clear) else None}


@dataclass(frozen=True)
class AuthenticityEvidence:
    """A case's photos judged by the authenticity models of the product judged."""
    #: The models' own log-odds of "fake" (class-balanced), mean over the photos: above 0 the
    #: models lean fake. (Their out-of-fold calibration sets the probability; its intercept rests on
    #: a few dozen references, so it does not decide which way the photos lean.)
    log_odds: float
    #: P(fake) at even odds, from the out-of-fold calibration: the risk score.
    probability: float
    #: Share of genuine photos at least as fake / of known fakes at least as genuine (out of fold).
    p_value: float
    fake_share: float
    scope: str
    #: The view each photo was judged in ("" where the scope's all-view model judged it).
    views: tuple[str, ...]
    fakes: int
    genuine: int

    def to_dict(self) -> dict:
        return {"model": self.scope, "fakes": self.fakes, "genuine": self.genuine,
                "log_odds": round(self.log_odds, 3), "probability": round(self.probability, 4),
                "p_value": round(self.p_value, 4), "fake_share": round(self.fake_share, 4),
                **({"views": list(self.views)} if any(self.views) else {})}


class AuthenticityModels:
    def __init__(self, models: dict[tuple[str, str], AuthenticityModel] | None = None):
        self.models = models or {}

    def __bool__(self) -> bool:
        return bool(self.models)

    def scope_of(self, product: str, brand: str = "") -> str | None:
        """The scope whose models judge ``product``: its own, else its brand's."""
        if (product, "") in self.models:
            return product
        key = f"brand:{brand.casefold()}" if brand else None
        return key if key and (key, "") in self.models else None

    def for_product(self, product: str, brand: str = "") -> AuthenticityModel | None:
        scope = self.scope_of(product, brand)
        return None if scope is None else self.models[(scope, "")]

    def views_of(self, product: str, brand: str = "") -> list[AuthenticityModel]:
        """The scope's per-view models, those that separate its fakes best first."""
        scope = self.scope_of(product, brand)
        found = [m for (s, v), m in self.models.items() if s == scope and v]
        return sorted(found, key=lambda m: -(m.auroc if m.auroc == m.auroc else 0.0))

    def needs_details(self, product: str, brand: str = "") -> bool:
        """Whether judging ``product`` needs the photos' detail vectors (``vision.details``)."""
        scope = self.scope_of(product, brand)
        return scope is not None and any(m.details for (s, _), m in self.models.items() if s == scope)

    def judge(self, product: str, brand: str, vectors: np.ndarray, views: list[str] | None = None,
              details: np.ndarray | None = None) -> AuthenticityEvidence | None:
        """The case's photos (``vectors``, one row a photo; ``views``: each photo's view or "";
        ``details``: their detail vectors, where ``needs_details``) judged by the product's
        models: each photo by its view's model when there is one."""
        scope = self.scope_of(product, brand)
        if scope is None:
            return None
        vectors = np.asarray(vectors, np.float64)
        views = list(views or [""] * len(vectors))
        if details is not None:
            details = np.asarray(details, np.float64)
        elif self.needs_details(product, brand):
            raise ValueError(f"the authenticity model of {scope} weighs detail vectors: pass the photos' details")
        used: list[AuthenticityModel] = []
        raw, log_odds = [], []
        for row, (vector, view) in enumerate(zip(vectors, views)):
            model = self.models.get((scope, view or ""), None) or self.models[(scope, "")]
            used.append(model)
            score = float(model.photo_scores(vector[None, :], None if details is None else details[row:row + 1])[0])
            raw.append(score)
            log_odds.append(float(model.calibrated(score)))
        case = float(np.mean(log_odds))
        # The out-of-fold scores of the models used, on the same calibrated scale: the case's place
        # among genuine photos and among known fakes.
        distinct = {(m.scope, m.view): m for m in used}.values()
        genuine = np.concatenate([m.calibrated(m.genuine_scores) for m in distinct])
        genuine_w = np.concatenate([_weights(m.genuine_weights, m.genuine_scores) for m in distinct])
        fake = np.concatenate([m.calibrated(m.fake_scores) for m in distinct])
        fake_w = np.concatenate([_weights(m.fake_weights, m.fake_scores) for m in distinct])
        g_order, f_order = np.argsort(genuine, kind="stable"), np.argsort(fake, kind="stable")
        main = self.models[(scope, "")]
        return AuthenticityEvidence(
            float(np.mean(raw)), float(_sigmoid(case)),
            tail_share(genuine[g_order], genuine_w[g_order], case, upper=True),
            tail_share(fake[f_order], fake_w[f_order], case, upper=False),
            scope, tuple(m.view for m in used), main.fakes, main.genuine)

    def to_bytes(self) -> bytes:
        keys = sorted(self.models)
        models = [self.models[k] for k in keys]

        def cat(name):
            return np.concatenate([np.asarray(getattr(m, name), np.float64) for m in models]) if models else np.zeros(0)

        buffer = io.BytesIO()
        np.savez(buffer, scopes=np.array([k[0] for k in keys], dtype=str), views=np.array([k[1] for k in keys], dtype=str),
                 weights=np.stack([m.weight for m in models]) if models else np.zeros((0, 0)),
                 biases=np.array([m.bias for m in models]),
                 counts=np.array([[m.fakes, m.genuine] for m in models], dtype=np.int64).reshape(-1, 2),
                 platt=np.array([m.platt for m in models]).reshape(-1, 2),
                 aurocs=np.array([m.auroc for m in models]),
                 details=np.array([m.details for m in models], dtype=bool),
                 imagenet_widths=np.array([m.imagenet_width for m in models], dtype=np.int64),
                 genuine_scores=cat("genuine_scores"),
                 genuine_weights=np.concatenate([_weights(m.genuine_weights, m.genuine_scores) for m in models])
                 if models else np.zeros(0),
                 fake_scores=cat("fake_scores"),
                 fake_weights=np.concatenate([_weights(m.fake_weights, m.fake_scores) for m in models])
                 if models else np.zeros(0),
                 genuine_lengths=np.array([len(m.genuine_scores) for m in models], dtype=np.int64),
                 fake_lengths=np.array([len(m.fake_scores) for m in models], dtype=np.int64))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes | None) -> "AuthenticityModels":
        if not data:
            return cls()
        with np.load(io.BytesIO(data), allow_pickle=False) as a:
            g_off = np.concatenate([[0], np.cumsum(a["genuine_lengths"])])
            f_off = np.concatenate([[0], np.cumsum(a["fake_lengths"])])
            models = {}
            with_details = a["details"] if "details" in a.files else np.zeros(len(a["scopes"]), dtype=bool)
            widths = a["imagenet_widths"] if "imagenet_widths" in a.files else \
                np.zeros(len(a["scopes"]), dtype=np.int64)
            for i, (scope, view) in enumerate(zip(a["scopes"], a["views"])):
                g, f = slice(g_off[i], g_off[i + 1]), slice(f_off[i], f_off[i + 1])
                models[(str(scope), str(view))] = AuthenticityModel(
                    str(scope), a["weights"][i], float(a["biases"][i]), a["genuine_scores"][g], a["fake_scores"][f],
                    a["genuine_weights"][g], a["fake_weights"][f], (float(a["platt"][i][0]), float(a["platt"][i][1])),
                    int(a["counts"][i][0]), int(a["counts"][i][1]), str(view), float(a["aurocs"][i]),
                    bool(with_details[i]), int(widths[i]))
            return cls(models)


def weighed_part(vectors: np.ndarray, width: int) -> np.ndarray:
    """The part of the catalog's vectors a model weighs: all of it, or the last ``width``
    dimensions (a tuned catalog's ImageNet view), unit length."""
    vectors = np.atleast_2d(np.asarray(vectors, np.float64))
    if not width or width >= vectors.shape[1]:
        return vectors
    part = vectors[:, -width:]
    return part / np.maximum(np.linalg.norm(part, axis=1, keepdims=True), 1e-12)


def inputs(vectors: np.ndarray, details: np.ndarray | None) -> np.ndarray:
    """What a model weighs for each photo: its catalog vector, and its detail vector beside it."""
    vectors = np.atleast_2d(np.asarray(vectors, np.float64))
    if details is None:
        return vectors
    return np.hstack([vectors, np.atleast_2d(np.asarray(details, np.float64))])


def fit(vectors: np.ndarray, products: list[str], labels: list[str], brands: dict[str, str],
        groups: np.ndarray, views: list[str] | None = None, details: np.ndarray | None = None,
        imagenet_width: int = 0) -> AuthenticityModels:
    """A model per product with enough fakes, per brand for the brand's other products, and per
    view of each with enough genuine and counterfeit references in that view.

    ``labels``: genuine/counterfeit per reference; ``groups``: photo-session id per reference
    (whole sessions go to one fold); ``views``: each reference's view ("" when none); ``details``:
    each reference's detail vector (every model then weighs them), or None; ``imagenet_width``: weigh
    only the vectors' last ``imagenet_width`` dimensions (``weighed_part``), 0 for all."""
    with_details = details is not None
    vectors = inputs(weighed_part(vectors, imagenet_width), details)
    products_arr = np.asarray(products)
    fake = np.asarray(labels) == "counterfeit"
    views_arr = np.asarray(views if views is not None else [""] * len(products), dtype=object)
    brand_of = np.array([brands.get(p, "").casefold() for p in products])
    scopes: list[tuple[str, np.ndarray]] = [(p, products_arr == p) for p in sorted(set(products_arr[fake]))]
    scopes += [(f"brand:{b}", brand_of == b) for b in sorted({b for b in brand_of[fake] if b})]
    models: dict[tuple[str, str], AuthenticityModel] = {}
    for scope, members in scopes:
        candidates = [("", members)] + [(v, members & (views_arr == v))
                                        for v in sorted({str(v) for v in views_arr[members & fake] if v})]
        for view, chosen in candidates:
            if int((chosen & fake).sum()) < MIN_FAKES or int((chosen & ~fake).sum()) < MIN_GENUINE:
                continue
            if view and (scope, "") not in models:
                break  # a view's model only beside the scope's own
            index = np.flatnonzero(chosen)
            model = _fit_scope(scope, view, vectors[index], fake[index], groups[index], with_details, imagenet_width)
            if model is not None:
                models[(scope, view)] = model
    return AuthenticityModels(models)


def tail_share(values: np.ndarray, weights: np.ndarray | None, score: float, upper: bool) -> float:
    """Weighted conformal share of ``values`` (sorted) at or beyond ``score`` (above it when
    ``upper``, below it otherwise), counting the case itself once. Beyond every value the tail is
    extrapolated with a normal fitted to them, so that a few dozen references can still tell a
    clear case (a plain conformal share cannot go below one in n + 1)."""
    values = np.asarray(values, np.float64)
    if not len(values):
        return 1.0
    weights = _weights(weights, values)
    own = float(np.mean(weights))
    if upper:
        beyond = weights[np.searchsorted(values, score, side="left"):].sum()
    else:
        beyond = weights[:np.searchsorted(values, score, side="right")].sum()
    share = (own + float(beyond)) / (own + float(weights.sum()))
    if beyond == 0 and len(values) >= 2:
        mean, std = float(np.average(values, weights=weights)), max(float(np.std(values)), 1e-3)
        if upper:
            share *= _normal_sf((score - mean) / std) / max(_normal_sf((values[-1] - mean) / std), 1e-300)
        else:
            share *= _normal_sf((mean - score) / std) / max(_normal_sf((mean - values[0]) / std), 1e-300)
    return float(share)


def _weights(weights, values) -> np.ndarray:
    return np.ones(len(values)) if weights is None or len(weights) != len(values) else np.asarray(weights, np.float64)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))


def _normal_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _fit_scope(scope: str, view: str, x: np.ndarray, y: np.ndarray, groups: np.ndarray,
               details: bool = False, imagenet_width: int = 0) -> AuthenticityModel | None:
    from sklearn.linear_model import LogisticRegression

    from ..evaluation import auroc

    x = SCALE * np.asarray(x, np.float64)
    rng = np.random.default_rng(0)
    unique = np.unique(groups)
    fold_of = dict(zip(unique, rng.permutation(len(unique)) % FOLDS))
    folds = np.array([fold_of[g] for g in groups])
    oof = np.full(len(y), np.nan)
    for k in range(FOLDS):
        held = folds == k
        train = ~held
        if not held.any() or len(set(y[train])) < 2:
            continue
        m = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(x[train], y[train])
        oof[held] = m.decision_function(x[held])
    _, session = np.unique(groups, return_inverse=True)
    session_weight = 1.0 / np.bincount(session)[session]
    ok = np.isfinite(oof)
    genuine, fake = ok & ~y, ok & y
    if genuine.sum() < MIN_GENUINE or fake.sum() < 2:
        return None
    g_order = np.argsort(oof[genuine], kind="stable")
    f_order = np.argsort(oof[fake], kind="stable")
    platt = _platt(oof[ok], y[ok], session_weight[ok])
    final = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(x, y)
    return AuthenticityModel(scope, final.coef_[0].astype(np.float64), float(final.intercept_[0]),
                             oof[genuine][g_order], oof[fake][f_order],
                             session_weight[genuine][g_order], session_weight[fake][f_order], platt,
                             int(y.sum()), int((~y).sum()), view,
                             float(auroc(oof[genuine], oof[fake])), details, imagenet_width)


def _platt(scores: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """P(fake | score) at even odds: a one-feature logistic fit, each class weighing as much in
    all as the other. The slope is kept positive (a model cannot call its own output backwards)."""
    from sklearn.linear_model import LogisticRegression

    w = np.asarray(weights, np.float64).copy()
    for label in (True, False):
        total = w[y == label].sum()
        if total > 0:
            w[y == label] *= 0.5 * len(y) / total
    m = LogisticRegression(C=1.0, max_iter=1000).fit(np.asarray(scores)[:, None], y, sample_weight=w)
    slope = float(m.coef_[0][0])
    if slope <= 1e-3:
        return 1.0, 0.0
    return slope, float(m.intercept_[0])
