"""Unit codes as evidence: a serial read on the item, against the brand's register of the serials
it issued and against the agency's memory of every code already read.

Pharmaceutical verification systems (the EU's FMD repositories, the US DSCSA verification
router) raise the same alerts: serial unknown, already seen or decommissioned, batch or expiry
mismatch. Against the product judged (the claimed one, else the identified one):
- **issued** (supports): the register lists the serial for the code's GTIN (a stamp: for one of
  the product's GTINs);
- **not issued** (a counterfeit's mark): the brand has a register for that GTIN and the serial is
  not in it. Without a register for the GTIN nothing is said: a brand that registers one product
  does not vouch for the others;
- **issued for another GTIN**: the serial is the brand's, but for another product;
- **batch or expiry different** from what the register recorded for the serial;
- **decommissioned**: the brand marked the serial sold (it left the supply chain) or seen;
- **seen before**: the same unit code was read in a check of another case (a copied code);
- **expired**: past the expiry the code (or the register) gives; a flag, not a counterfeit's mark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Mapping

from vision.unit_codes import STAMP, parse_unit

from ..storing.catalog import Catalog
from ..storing.serials import Issued, Register
from ..storing.sightings import Memory, Sighting, case_of, unit_digest

ISSUED = "issued"
NOT_ISSUED = "not_issued"
OTHER_GTIN = "other_gtin"
NO_REGISTER = "no_register"
#: A hashed register whose key is not on this machine: nothing can be looked up.
UNREADABLE = "register_unreadable"
#: A code with a batch or expiry but no serial.
NO_SERIAL = "no_serial"
#: The flags a finding can raise against the product, most telling first (``serial_not_issued``
#: calls the item counterfeit; the others, suspicious).
CONTRADICTIONS = ("serial_issued_for_other_gtin", "serial_decommissioned", "serial_seen_before", "batch_mismatch",
                  "expiry_mismatch")


@dataclass(frozen=True)
class SerialFinding:
    """One unit code read on the photos: what it says, what the register says, and whether the
    same code was read on another item before."""

    format: str
    text: str
    kind: str
    serial: str | None
    gtin: str | None = None
    batch: str | None = None
    expiry: date | None = None
    template: str | None = None
    register: str = NO_REGISTER
    #: The register's row that applies (issued; or issued for another GTIN).
    issued: Issued | None = None
    expired: bool = False
    seen_before: Sighting | None = None
    seen_count: int = 0
    #: The unit's identity in the memory (hex), the same for every copy of the code.
    unit: str | None = None
    products: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def batch_mismatch(self) -> bool:
        return bool(self.register == ISSUED and self.batch and self.issued and self.issued.batch
                    and self.batch != self.issued.batch)

    @property
    def expiry_mismatch(self) -> bool:
        return bool(self.register == ISSUED and self.expiry and self.issued and self.issued.expiry
                    and self.expiry != self.issued.expiry)

    @property
    def contradictions(self) -> tuple[str, ...]:
        found = {"serial_issued_for_other_gtin": self.register == OTHER_GTIN,
                 "serial_decommissioned": bool(self.register == ISSUED and self.issued and self.issued.state),
                 "serial_seen_before": self.seen_before is not None,
                 "batch_mismatch": self.batch_mismatch, "expiry_mismatch": self.expiry_mismatch}
        return tuple(flag for flag in CONTRADICTIONS if found[flag])

    @property
    def supports(self) -> bool:
        return self.register == ISSUED and not self.contradictions

    def message(self, flag: str) -> tuple[str, dict]:
        """The sentence (message key and arguments) for one of this finding's flags."""
        args = {"code": self.serial or self.text[:80], "gtin": self.gtin or ""}
        if flag == "serial_not_issued":
            return flag, args
        if flag == "serial_issued_for_other_gtin":
            return flag, {**args, "issued": self.issued.gtin if self.issued else "?"}
        if flag == "serial_decommissioned":
            state = self.issued.state if self.issued else "sold"
            when = self.issued.state_date.isoformat() if self.issued and self.issued.state_date else ""
            return f"serial_decommissioned_{state}", {**args, "date": when}
        if flag == "serial_seen_before":
            seen = self.seen_before
            key = "serial_seen_before" if seen.check_id is not None else "serial_seen_before_command_line"
            key += "" if seen.place else "_no_place"
            return key, {**args, "check": seen.check_id, "place": seen.place, "when": seen.seen_at,
                         "others": max(0, self.seen_count - 1)}
        if flag == "batch_mismatch":
            return flag, {**args, "read": self.batch, "expected": self.issued.batch}
        if flag == "expiry_mismatch":
            return flag, {**args, "read": self.expiry.isoformat(), "expected": self.issued.expiry.isoformat()}
        raise KeyError(flag)

    def to_dict(self) -> dict:
        issued = None
        if self.issued is not None:
            issued = {"gtin": self.issued.gtin, "product_id": self.products.get(self.issued.gtin),
                      "batch": self.issued.batch,
                      "expiry": self.issued.expiry.isoformat() if self.issued.expiry else None,
                      "state": self.issued.state,
                      "state_date": self.issued.state_date.isoformat() if self.issued.state_date else None}
        return {"format": self.format, "text": self.text, "kind": self.kind, "serial": self.serial, "gtin": self.gtin,
                "batch": self.batch, "expiry": self.expiry.isoformat() if self.expiry else None,
                "template": self.template, "register": self.register, "issued": issued,
                "batch_mismatch": self.batch_mismatch, "expiry_mismatch": self.expiry_mismatch,
                "expired": self.expired,
                "seen_before": self.seen_before.to_dict() if self.seen_before else None,
                "seen_count": self.seen_count, "unit": self.unit, "flags": list(self.contradictions)
                + (["serial_not_issued"] if self.register == NOT_ISSUED else [])}


class SerialJudge:
    """Judges the unit codes of a case against a catalog's register and memory."""

    def __init__(self, catalog: Catalog, product_gtins: Mapping[str, Iterable[str]]):
        self.register = Register.of(catalog)
        self.memory = Memory(catalog.db)
        self.product_gtins = {product: tuple(g.rjust(14, "0") for g in gtins) for product, gtins in product_gtins.items()}
        self.products = {gtin: product for product, gtins in self.product_gtins.items() for gtin in gtins}

    def judge(self, codes: Iterable, target: str | None, case_id: str | None = None, photos: Iterable[str] = (),
              photo_hashes: Iterable[str] = (), today: date | None = None) -> tuple[SerialFinding, ...]:
        """Each unit code among ``codes`` (``vision.codes.Code`` or their dicts), once. ``photos``
        (paths) and ``photo_hashes`` (SHA-256) tell this case from others in the memory."""
        register = self.register
        register.refresh()
        today = today or date.today()
        case = case_of(case_id, photos)
        hashes = list(photo_hashes)
        findings, seen = [], set()
        for code in codes:
            format_, text = (code["format"], code["text"]) if isinstance(code, dict) else (code.format, code.text)
            unit = parse_unit(text, register.stamps)
            if unit is None or (unit.unit_key or text) in seen:
                continue
            seen.add(unit.unit_key or text)
            status, row = (NO_SERIAL, None) if unit.serial is None else self._look_up(unit, target)
            expiry = unit.expiry or (row.expiry if row is not None else None)
            sighting, count, digest = None, 0, None
            if unit.unit_key is not None:
                digest = unit_digest(unit.unit_key)
                sighting, count = self.memory.earlier(digest, case, hashes)
            findings.append(SerialFinding(format_, text, unit.kind, unit.serial, unit.gtin, unit.batch, unit.expiry,
                                          unit.template, status, row, bool(expiry and expiry < today), sighting,
                                          count, digest.hex() if digest else None, self.products))
        return tuple(findings)

    def _look_up(self, unit, target: str | None) -> tuple[str, Issued | None]:
        register = self.register
        if not register.exists:
            return NO_REGISTER, None
        if not register.readable:
            return UNREADABLE, None
        rows = register.lookup(unit.serial) or []
        if unit.kind == STAMP:  # the code names no GTIN: the product judged's
            mine = self.product_gtins.get(target, ())
            match = [row for row in rows if row.gtin in mine]
            if match or (rows and not mine):
                return ISSUED, (match or rows)[0]
            if rows:
                return OTHER_GTIN, rows[0]
            return (NOT_ISSUED if any(register.has_register(g) for g in mine) else NO_REGISTER), None
        match = [row for row in rows if row.gtin == unit.gtin]
        if match:
            return ISSUED, match[0]
        if register.has_register(unit.gtin):
            return NOT_ISSUED, None
        if rows:
            return OTHER_GTIN, rows[0]
        return NO_REGISTER, None
