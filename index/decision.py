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
    explanation: str
    p_value: float | None = None
    calibration_level: str | None = None


def decide(evidence: Evidence, calibration: Calibration, policy: Policy = Policy()) -> Decision:
    flags: list[str] = []
    if evidence.readable_photos == 0:
        return Decision("unknown", None, None, ("no_readable_photo",),
                        "None of the photos could be read, so nothing was compared.")
    target = evidence.claimed or evidence.identified
    if evidence.claimed and not evidence.claimed_in_catalog:
        return Decision("unknown", None, evidence.identified, ("claimed_product_not_in_catalog",),
                        f"The catalog has no genuine reference of the claimed product {evidence.claimed}, "
                        "so the claim cannot be checked.")
    if target is None or evidence.target_similarity is None:
        return Decision("unknown", None, None, ("empty_catalog",), "The catalog has no genuine references to compare with.")

    similarity = evidence.target_similarity
    p_value, level = _p_value(evidence, calibration, target)
    score = None if p_value is None else 1.0 - p_value
    if level == "none":
        flags.append("uncalibrated")
        score = min(1.0, max(0.0, 1.0 - similarity))
    elif level in ("brand", "catalog"):
        flags.append(f"calibrated_at_{level}_level")

    fake = evidence.target_counterfeit_similarity
    if fake is not None and fake > similarity:
        flags.append("closer_to_known_counterfeit")
        # Nearer a known fake than any genuine reference: at least even odds of not being genuine.
        return Decision("counterfeit", max(score or 0.0, 0.5), target, tuple(flags),
                        f"The photos are closer to a known counterfeit of {target} (similarity {fake:.2f}) "
                        f"than to any of its genuine references ({similarity:.2f}).", p_value, level)

    if evidence.copied_reference is not None:
        image_id, product, label = evidence.copied_reference
        flags.append("reused_catalog_photo")
        return Decision("unknown", None, product, tuple(flags),
                        f"The photo is a copy of catalog photo #{image_id} of {product} (possibly resized, cropped, "
                        "recompressed, watermarked or mirrored). It shows the brand's own picture, not the item on "
                        "sale, so the item itself is unverified: ask for photos of the item in hand.", p_value, level)

    if (evidence.claimed and evidence.identified and evidence.identified != evidence.claimed
            and evidence.identified_claim_score is not None and evidence.target_claim_score is not None
            and evidence.identified_claim_score > evidence.target_claim_score):
        flags.append("looks_like_other_product")

    open_p = _open_set_p_value(evidence, calibration, target)
    if not evidence.claimed and open_p is not None and open_p < policy.unknown_p_value:
        flags.append("no_close_match")
        return Decision("unknown", score, None, tuple(flags),
                        f"The photo does not match any product in the catalog well enough to judge: it is less "
                        f"similar to its best candidate, {target} ({similarity:.2f}), than "
                        f"{100 * (1 - open_p):.0f}% of that product's genuine photos are.", p_value, level)

    if p_value is None and "looks_like_other_product" in flags:
        return Decision("suspicious", score, target, tuple(flags),
                        f"The photos look more like {evidence.identified} than like {target}; the catalog holds too "
                        f"few references of {target} to say how much its genuine photos vary. Check the item by hand.",
                        p_value, level)

    if p_value is not None and p_value < policy.false_alarm_rate:
        flags.append("less_similar_than_genuine_photos")
        other = f" It looks more like {evidence.identified}." if "looks_like_other_product" in flags else ""
        return Decision("suspicious", score, target, tuple(flags),
                        f"The photos score lower for {target} than {100 * (1 - p_value):.0f}% of its genuine "
                        f"reference photos do (similarity {similarity:.2f}).{other} Check the item by hand.",
                        p_value, level)

    typical = f"; {100 * p_value:.0f}% of its genuine photos score as low or lower" if p_value is not None else ""
    return Decision("genuine", score, target, tuple(flags),
                    f"The photos are consistent with the genuine references of {target} (similarity "
                    f"{similarity:.2f}{typical}). A photo comparison cannot prove authenticity.", p_value, level)


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
