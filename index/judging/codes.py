"""Barcodes as evidence: what a code read on the photo says about the product it is on.

A GTIN is found in an EAN/UPC symbol, a GS1 element string (GS1-128, GS1 DataMatrix, GS1 QR) or a
GS1 Digital Link URI; biip parses all of them and knows the GS1 prefix table (which GS1
organisation issued the number: ``893`` is GS1 Vietnam; it names the issuer, not the country of
manufacture) and the company prefix.

Against the product judged (the claimed one, else the identified one):
- **supports**: the GTIN is one the catalog lists for that product;
- **contradicts**: the GTIN belongs to another catalog product; or the check digit is wrong (a
  made-up or misprinted number); or the product's brand has known company prefixes (from the GTINs
  the catalog lists for the brand) and this one is not among them;
- **neutral**: no GTIN (a plain URL, a batch code), or a GTIN the catalog does not know from a
  company the brand may use.
Without a claim, a GTIN the catalog lists names the product directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

SUPPORTS = "supports"
OTHER_PRODUCT = "other_product"
BAD_CHECK_DIGIT = "bad_check_digit"
FOREIGN_COMPANY = "foreign_company"
UNLISTED = "unlisted"
NO_GTIN = "no_gtin"
CONTRADICTIONS = (OTHER_PRODUCT, BAD_CHECK_DIGIT, FOREIGN_COMPANY)


@dataclass(frozen=True)
class CodeFinding:
    """One code read on the photos, what it says, and how it bears on the product judged."""

    format: str
    text: str
    gtin: str | None = None
    #: True/False for a number with a check digit; None when there is no GTIN to check.
    check_digit_ok: bool | None = None
    #: The GS1 organisation that issued the prefix, e.g. "GS1 Vietnam" (not the country of origin).
    issuer: str = ""
    company_prefix: str = ""
    #: The catalog product this GTIN belongs to, if any.
    product_id: str | None = None
    relation: str = NO_GTIN

    def to_dict(self) -> dict:
        return {"format": self.format, "text": self.text, "gtin": self.gtin, "check_digit_ok": self.check_digit_ok,
                "issuer": self.issuer, "company_prefix": self.company_prefix, "product_id": self.product_id,
                "relation": self.relation}

    @property
    def contradicts(self) -> bool:
        return self.relation in CONTRADICTIONS


@dataclass(frozen=True)
class Parsed:
    gtin: str | None
    check_digit_ok: bool | None
    issuer: str = ""
    company_prefix: str = ""


def parse(format: str, text: str, symbol_valid: bool = True) -> Parsed:
    """The GTIN a code carries (14 digits), its check-digit result and its GS1 prefix facts."""
    import biip
    from biip.gtin import Gtin

    text = text.strip()
    digits_only = text.isdigit() and len(text) in (8, 12, 13, 14)
    if digits_only and not symbol_valid:
        return Parsed(_pad14(text), False)
    gtin = None
    try:
        if text.startswith("("):
            from biip.gs1_messages import GS1Message

            element = GS1Message.parse_hri(text).element_strings.get(ai="01")
            gtin = element.gtin if element else None
        else:
            result = biip.parse(text)
            gtin = result.gtin
            if gtin is None and result.gs1_message is not None:
                element = result.gs1_message.element_strings.get(ai="01")
                gtin = element.gtin if element else None
            if gtin is None and result.gs1_digital_link_uri is not None:
                element = result.gs1_digital_link_uri.element_strings.get(ai="01")
                gtin = element.gtin if element else None
            if gtin is None and digits_only:
                try:
                    Gtin.parse(text)
                except Exception:
                    return Parsed(_pad14(text), False)
    except Exception:
        gtin = None
    if gtin is None:
        return Parsed(None, None)
    return Parsed(gtin.as_gtin_14(), True, gtin.prefix.usage if gtin.prefix else "",
                  gtin.company_prefix.value if gtin.company_prefix else "")


class CodeBook:
    """The catalog's GTINs: which product each belongs to, and each brand's company prefixes."""

    def __init__(self, gtins: Mapping[str, Iterable[str]], brands: Mapping[str, str]):
        self.owner: dict[str, str] = {}
        self.brand_prefixes: dict[str, set[str]] = {}
        self.brands = dict(brands)
        for product, numbers in gtins.items():
            for number in numbers:
                parsed = parse("EAN13", number)
                if parsed.gtin is None:
                    continue
                self.owner[parsed.gtin] = product
                brand = self.brands.get(product, "")
                if brand and parsed.company_prefix:
                    self.brand_prefixes.setdefault(brand.casefold(), set()).add(parsed.company_prefix)

    def __bool__(self) -> bool:
        return bool(self.owner)

    def identify(self, findings: Iterable[CodeFinding]) -> str | None:
        """The one catalog product that the valid GTINs read name, if they name exactly one."""
        named = {f.product_id for f in findings if f.product_id and f.check_digit_ok}
        return next(iter(named)) if len(named) == 1 else None

    def judge(self, codes: Iterable, product: str | None) -> list[CodeFinding]:
        """Each code read (``vision.codes.Code`` or its dict), interpreted against ``product``."""
        findings, seen = [], set()
        for code in codes:
            format_, text, valid = ((code["format"], code["text"], code.get("valid", True)) if isinstance(code, dict)
                                    else (code.format, code.text, code.valid))
            parsed = parse(format_, text, valid)
            key = parsed.gtin or text
            if key in seen:
                continue
            seen.add(key)
            owner = self.owner.get(parsed.gtin) if parsed.gtin else None
            relation = self._relation(parsed, owner, product)
            findings.append(CodeFinding(format_, text, parsed.gtin, parsed.check_digit_ok, parsed.issuer,
                                        parsed.company_prefix, owner, relation))
        return findings

    def _relation(self, parsed: Parsed, owner: str | None, product: str | None) -> str:
        if parsed.gtin is None:
            return NO_GTIN
        if parsed.check_digit_ok is False:
            return BAD_CHECK_DIGIT
        if product is None:
            return SUPPORTS if owner else UNLISTED
        if owner == product:
            return SUPPORTS
        if owner is not None:
            return OTHER_PRODUCT
        prefixes = self.brand_prefixes.get(self.brands.get(product, "").casefold())
        if prefixes and parsed.company_prefix and parsed.company_prefix not in prefixes:
            return FOREIGN_COMPANY
        return UNLISTED


def _pad14(digits: str) -> str:
    return digits.rjust(14, "0")
