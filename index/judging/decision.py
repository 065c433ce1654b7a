"""The verdict rule: evidence and calibration in; outcome, score, flags and one plain sentence out.

All verdict logic lives here. A photo comparison can show that an item looks like (or unlike) the
genuine references of a product; it cannot prove authenticity. So:
- ``counterfeit`` needs evidence from a known fake: the photos are closer to a counterfeit
  reference of the product than to any of its genuine references;
- ``suspicious`` means the photos score lower for the product than all but ``false_alarm_rate`` of
  its genuine references do (a calibrated test: about that share of genuine items is flagged);
- ``unknown`` means there is nothing to judge: no readable photo, a claimed product the catalog
  does not hold, a photo that matches no catalog product well enough, or a copy of a catalog
  photo (which shows the brand's picture, not the item on sale);
- ``genuine`` means consistent with the genuine references, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

from .calibration import Calibration
from .messages import explain


@dataclass(frozen=True)
class Policy:
    #: Share of genuine photos that may be called ``suspicious`` (the false-alarm rate).
    false_alarm_rate: float = 0.05
    #: Without a claim, a photo whose best product scores below this calibrated p-value matches
    #: no catalog product well enough: ``unknown`` rather than a confident guess.
    unknown_p_value: float = 0.01


@dataclass(frozen=True)
class Evidence:
    readable_photos: int
    identified: str | None
    claimed: str | None
    claimed_in_catalog: bool
    #: Mean over photos of the best similarity to the genuine references of the product judged
    #: (the claimed one, else the identified one).
    target_similarity: float | None
    #: Same, to the known counterfeits of that product; None when it has none.
    target_counterfeit_similarity: float | None = None
    #: Mean over photos of the product head's log-probability for the product judged.
    target_claim_score: float | None = None
    identified_claim_score: float | None = None
    #: A catalog photo that a checked photo is a copy of: (image_id, product_id, label).
    copied_reference: tuple[int, str, str] | None = None


@dataclass(frozen=True)
class Decision:
    verdict: str
    counterfeit_score: float | None
    product_id: str | None
    flags: tuple[str, ...]
    #: The sentence's key in ``messages`` and its arguments: the app and reports render it in
    #: the user's language; ``explanation`` is the English text.
    message: str
    message_args: dict
    p_value: float | None = None
    calibration_level: str | None = None

    @property
    def explanation(self) -> str:
        return explain(self.message, self.message_args)


def decide(evidence: Evidence, calibration: Calibration, policy: Policy = Policy()) -> Decision:
    flags: list[str] = []
    if evidence.readable_photos == 0:
        return Decision("unknown", None, None, ("no_readable_photo",), "no_readable_photo", {})
    target = evidence.claimed or evidence.identified
    if evidence.claimed and not evidence.claimed_in_catalog:
        return Decision("unknown", None, evidence.identified, ("claimed_product_not_in_catalog",),
                        "claimed_product_not_in_catalog", {"claimed": evidence.claimed})
    if target is None or evidence.target_similarity is None:
        return Decision("unknown", None, None, ("empty_catalog",), "empty_catalog", {})

    similarity = evidence.target_similarity
    p_value, level = _p_value(evidence, calibration, target)
    score = None if p_value is None else 1.0 - p_value
    if level == "none":
        flags.append("uncalibrated")
        score = min(1.0, max(0.0, 1.0 - similarity))
    elif level in ("brand", "catalog"):
        flags.append(f"calibrated_at_{level}_level")
    args = {"target": target, "similarity": similarity}

    fake = evidence.target_counterfeit_similarity
    if fake is not None and fake > similarity:
        flags.append("closer_to_known_counterfeit")
        # Nearer a known fake than any genuine reference: at least even odds of not being genuine.
        return Decision("counterfeit", max(score or 0.0, 0.5), target, tuple(flags), "closer_to_known_counterfeit",
                        {**args, "fake": fake}, p_value, level)

    if evidence.copied_reference is not None:
        image_id, product, label = evidence.copied_reference
        flags.append("reused_catalog_photo")
        return Decision("unknown", None, product, tuple(flags), "reused_catalog_photo",
                        {"image_id": image_id, "product": product}, p_value, level)

    if (evidence.claimed and evidence.identified and evidence.identified != evidence.claimed
            and evidence.identified_claim_score is not None and evidence.target_claim_score is not None
            and evidence.identified_claim_score > evidence.target_claim_score):
        flags.append("looks_like_other_product")
        args["identified"] = evidence.identified

    open_p = _open_set_p_value(evidence, calibration, target)
    if not evidence.claimed and open_p is not None and open_p < policy.unknown_p_value:
        flags.append("no_close_match")
        return Decision("unknown", score, None, tuple(flags), "no_close_match",
                        {**args, "percent": 100 * (1 - open_p)}, p_value, level)

    if p_value is None and "looks_like_other_product" in flags:
        return Decision("suspicious", score, target, tuple(flags), "looks_like_other_uncalibrated", args, p_value, level)

    if p_value is not None and p_value < policy.false_alarm_rate:
        flags.append("less_similar_than_genuine_photos")
        key = "less_similar_looks_like_other" if "looks_like_other_product" in flags else "less_similar_than_genuine"
        return Decision("suspicious", score, target, tuple(flags), key, {**args, "percent": 100 * (1 - p_value)},
                        p_value, level)

    if p_value is None:
        return Decision("genuine", score, target, tuple(flags), "consistent_with_genuine_uncalibrated", args,
                        p_value, level)
    # Within the claimed product's genuine range, yet the head prefers another product: the
    # verdict stays (flagging every such photo would flag many genuine ones), the sentence says so.
    key = "consistent_looks_like_other" if "looks_like_other_product" in flags else "consistent_with_genuine"
    return Decision("genuine", score, target, tuple(flags), key, {**args, "percent": 100 * p_value}, p_value, level)


def _p_value(evidence: Evidence, calibration: Calibration, product: str) -> tuple[float | None, str]:
    """The p-value that the photos are genuine photos of ``product``: from the product head's
    claim score (does it look like this product rather than another?) when the catalog has a
    head, else from the similarity to the product's references."""
    if evidence.target_claim_score is not None:
        p, level = calibration.claim_p_value(product, evidence.target_claim_score)
        if p == p:  # not NaN
            return p, level
    p, level = calibration.similarity_p_value(product, evidence.target_similarity)
    return (p, level) if p == p else (None, "none")


def _open_set_p_value(evidence: Evidence, calibration: Calibration, product: str) -> float | None:
    """How typical the photos' similarity to the product's references is for genuine photos: a
    head always names some product, so "matches nothing" is judged on similarity alone."""
    p, _ = calibration.similarity_p_value(product, evidence.target_similarity)
    return p if p == p else None
