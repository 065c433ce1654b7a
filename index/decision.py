"""The verdict rule: evidence and calibration in, outcome, score, flags and one plain sentence out.

All verdict logic lives here, so a better rule replaces this one module. A photo comparison can
show that an item looks like (or unlike) the genuine references of a product; it cannot prove
authenticity, so the strongest word, ``counterfeit``, needs evidence from a known fake.
"""

from __future__ import annotations

from dataclasses import dataclass

from .calibration import Calibration


@dataclass(frozen=True)
class Policy:
    #: Share of genuine photos that may be called ``suspicious`` (the false-alarm rate).
    false_alarm_rate: float = 0.05
    #: Without a claimed product, a best similarity below this quantile of genuine-to-genuine
    #: similarity means the photo matches nothing in the catalog well enough: ``unknown``.
    unknown_quantile: float = 0.01


@dataclass(frozen=True)
class Evidence:
    readable_photos: int
    identified: str | None
    identified_similarity: float | None
    claimed: str | None
    claimed_in_catalog: bool
    #: Similarity of the photos to the genuine references of the product judged (claimed, else identified).
    target_genuine: float | None
    #: Similarity to known counterfeits of that product, if the catalog has any.
    target_counterfeit: float | None
    #: Image ids of references whose photo file is byte-identical to a checked photo.
    identical_references: tuple[int, ...] = ()


@dataclass(frozen=True)
class Decision:
    verdict: str
    counterfeit_score: float | None
    product_id: str | None
    flags: tuple[str, ...]
    explanation: str


def decide(evidence: Evidence, calibration: Calibration, policy: Policy = Policy()) -> Decision:
    flags: list[str] = []
    if evidence.identical_references:
        flags.append("reused_catalog_photo")
    if evidence.readable_photos == 0:
        return Decision("unknown", None, None, ("no_readable_photo",),
                        "None of the photos could be read, so nothing was compared.")
    target = evidence.claimed or evidence.identified
    if evidence.claimed and not evidence.claimed_in_catalog:
        flags.append("claimed_product_not_in_catalog")
        return Decision("unknown", None, evidence.identified, tuple(flags),
                        f"The catalog has no genuine reference of the claimed product {evidence.claimed}, "
                        "so the claim cannot be checked.")
    if target is None or evidence.target_genuine is None:
        return Decision("unknown", None, None, ("empty_catalog",), "The catalog has no genuine references to compare with.")

    similarity = evidence.target_genuine
    if calibration.usable:
        p_value = calibration.p_value(similarity)
        score = 1.0 - p_value
    else:
        flags.append("uncalibrated")
        p_value = None
        score = min(1.0, max(0.0, 1.0 - similarity))

    reused = (" The photo is an exact copy of a catalog photo, so it shows the brand's own picture, "
              "not necessarily the item on sale." if evidence.identical_references else "")
    fake = evidence.target_counterfeit
    if fake is not None and fake > similarity:
        flags.append("closer_to_known_counterfeit")
        # Nearer a known fake than any genuine reference: at least even odds of not being genuine.
        return Decision("counterfeit", max(score, 0.5), target, tuple(flags),
                        f"The photo is closer to a known counterfeit of {target} (similarity {fake:.2f}) "
                        f"than to its genuine references ({similarity:.2f})." + reused)

    if not evidence.claimed and calibration.usable and similarity < calibration.quantile(policy.unknown_quantile):
        flags.append("no_close_match")
        return Decision("unknown", score, None, tuple(flags),
                        f"The photo does not match any product in the catalog well enough to judge "
                        f"(best similarity {similarity:.2f}, product {target})." + reused)

    if evidence.claimed and evidence.identified and evidence.identified != evidence.claimed:
        if evidence.identified_similarity is not None and evidence.identified_similarity > similarity:
            flags.append("looks_like_other_product")

    if p_value is not None and p_value < policy.false_alarm_rate:
        flags.append("less_similar_than_genuine_photos")
        other = (f" It looks more like {evidence.identified}." if "looks_like_other_product" in flags else "")
        return Decision("suspicious", score, target, tuple(flags),
                        f"The photo is less similar to the genuine references of {target} ({similarity:.2f}) "
                        f"than {100 * (1 - p_value):.0f}% of genuine photos are.{other}" + reused)

    if "looks_like_other_product" in flags:
        return Decision("suspicious", score, target, tuple(flags),
                        f"The photo looks more like {evidence.identified} ({evidence.identified_similarity:.2f}) "
                        f"than like the claimed product {target} ({similarity:.2f})." + reused)

    typical = f"; {100 * p_value:.0f}% of genuine photos are less similar" if p_value is not None else ""
    return Decision("genuine", score, target, tuple(flags),
                    f"The photo matches the genuine references of {target} (similarity {similarity:.2f}{typical}). "
                    "A photo comparison cannot prove authenticity." + reused)
