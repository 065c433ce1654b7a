"""What a code says about the single unit it is printed on: its serial number, batch and expiry.

Three kinds of unit code are read (``vision.codes`` reads the symbols; this module reads what
they say):
- **GS1 element strings** in a GS1 DataMatrix (medicines), GS1 QR or GS1-128: GTIN (AI 01),
  batch (10), expiry (17), serial (21); zxing-cpp gives them as human-readable text
  (``(01)…(21)…``) or raw (with the ``]d2`` symbology prefix and GS separators, which it writes
  as ``<GS>``);
- **GS1 Digital Link URIs** (``https://id.example.com/01/GTIN/10/BATCH/21/SERIAL?17=YYMMDD``),
  which retailers are moving to;
- **anti-counterfeit stamps** (QR codes that open a brand's checking page): an opaque URL with a
  code in it. Nothing in the code says which part is the serial, so a stamp is read only against
  the URL templates brands register (``https://xacthuc.brand.vn/c/{serial}``).

biip parses the GS1 forms (its tables of application identifiers, dates with day ``00`` as the
month's last day, Digital Link paths and query parameters), not hand-written tables. A template
compiles to one anchored regular expression with a bounded serial class: linear time, whatever a
counterfeiter prints in the QR code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

#: Longest payload looked at. A QR code holds up to ~4,300 characters; a unit code is far shorter,
#: and the cap keeps a hostile payload from costing time.
MAX_PAYLOAD = 1024
#: What a serial in a stamp template may be: the URL-safe characters (RFC 3986 unreserved), 4 to 64
#: of them (stamp codes seen in the field: 8 to 32).
STAMP_SERIAL = r"[A-Za-z0-9._~\-]{4,64}"
PLACEHOLDER = "{serial}"
GS1 = "gs1"
DIGITAL_LINK = "digital_link"
STAMP = "stamp"


@dataclass(frozen=True)
class StampPattern:
    """A brand's stamp URL template with one ``{serial}`` in it."""

    template: str
    brand: str = ""

    def __post_init__(self):
        check_template(self.template)

    @property
    def regex(self) -> re.Pattern:
        compiled = getattr(self, "_regex", None)
        if compiled is None:
            before, after = self.template.split(PLACEHOLDER)
            # http and https are the same stamp: a copy may carry either
            before = re.sub(r"^https?://", "", before, flags=re.IGNORECASE)
            compiled = re.compile(r"(?:https?://)?" + re.escape(before) + f"(?P<serial>{STAMP_SERIAL})"
                                  + re.escape(after), re.IGNORECASE)
            object.__setattr__(self, "_regex", compiled)
        return compiled

    def serial_of(self, text: str) -> str | None:
        match = self.regex.fullmatch(text)
        return match.group("serial") if match else None


def check_template(template: str) -> None:
    """A usable stamp template, or ValueError saying why."""
    if template.count(PLACEHOLDER) != 1:
        raise ValueError(f"a stamp template holds {PLACEHOLDER} exactly once, as in "
                         f"https://xacthuc.brand.vn/c/{PLACEHOLDER} (not {template!r})")
    before = template.split(PLACEHOLDER)[0]
    if len(re.sub(r"^https?://", "", before, flags=re.IGNORECASE)) < 4 or len(template) > 200:
        raise ValueError(f"a stamp template starts with the brand's own address (4 to 200 characters), "
                         f"not {template!r}")
    if any(c.isspace() for c in template):
        raise ValueError(f"a stamp template has no spaces: {template!r}")


@dataclass(frozen=True)
class UnitCode:
    """What one code says about its unit. ``serial`` is None for a code with a batch or expiry
    but no serial (it can still be past its expiry)."""

    kind: str
    serial: str | None = None
    #: 14 digits, as printed (its check digit is ``index.judging.codes``'s business).
    gtin: str | None = None
    batch: str | None = None
    expiry: date | None = None
    #: The stamp template that gave the serial (stamps only).
    template: str | None = None

    @property
    def unit_key(self) -> str | None:
        """The unit's identity across checks: GTIN and serial (a serial is unique per GTIN in GS1),
        or the stamp's template and serial; None without a serial."""
        if self.serial is None:
            return None
        return f"{STAMP}|{self.template}|{self.serial}" if self.kind == STAMP else f"{self.gtin or ''}|{self.serial}"


def parse_unit(text: str, stamps: tuple[StampPattern, ...] | list[StampPattern] = ()) -> UnitCode | None:
    """The unit code in a barcode's text, or None when it says nothing about a unit (a plain EAN,
    a URL no brand registered)."""
    text = (text or "").strip()
    if not text or len(text) > MAX_PAYLOAD:
        return None
    elements = _gs1_elements(text)
    if elements is not None:
        kind, values = elements
        serial, batch = values.get("21"), values.get("10")
        expiry = values.get("17")
        if serial is None and batch is None and expiry is None:
            return None
        return UnitCode(kind, serial, values.get("01"), batch, expiry)
    for stamp in stamps:
        serial = stamp.serial_of(text)
        if serial is not None:
            return UnitCode(STAMP, serial, template=stamp.template)
    return None


def _gs1_elements(text: str) -> tuple[str, dict] | None:
    """(kind, {AI: value}) of a GS1 element string or Digital Link URI; expiry (17) as a date."""
    try:
        if text.startswith("("):
            from biip.gs1_messages import GS1Message

            return GS1, _values(GS1Message.parse_hri(text).element_strings)
        import biip

        result = biip.parse(text.replace("<GS>", "\x1d"))
    except Exception:  # not GS1: a stamp, a plain URL, a number
        return None
    if result.gs1_digital_link_uri is not None:
        return DIGITAL_LINK, _values(result.gs1_digital_link_uri.element_strings)
    if result.gs1_message is not None:
        return GS1, _values(result.gs1_message.element_strings)
    return None


def _values(element_strings) -> dict:
    values: dict = {}
    for element in element_strings:
        ai = element.ai.ai
        if ai == "17":
            values[ai] = element.date
        elif ai in ("01", "10", "21") and ai not in values:
            values[ai] = element.value
    return values
