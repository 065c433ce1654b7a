"""Case files that prove where they came from: every report this deployment writes carries an
Ed25519 signature over its exact bytes, made with the deployment's private key.

The key pair is created on first use and kept outside the catalog (a catalog folder travels; the
key stays with the deployment): ``VERIFIER_KEY_DIR``, else ``~/.config/counterfeit-verifier``.
``scripts/verify_report.py REPORT`` checks a report with the public key.

A signature cannot sign itself, so a document is written with a placeholder where its
verification block goes; the signature is made over those bytes, then the placeholder is replaced
by the block, which is rendered only from the signature, the key's fingerprint and the document's
language. Checking reverses it: find the block, render it again from what it says (a block edited
by hand no longer matches), put the placeholder back and verify the signature over every other
byte. One byte changed anywhere fails.

A report verifies only in the format it was issued in (issue 25): before, a signed JSON report
renamed ``.html`` verified, and a browser rendered the markup in its notes (a fake GENUINE badge
over the page, a script). Now the signature covers the format with the bytes (scheme ``CPV2``),
the format checked is the one the file's name says, a report must begin as that format does (an
HTML report with ``<!doctype html>``, a JSON one with ``{``: so not even a report issued before,
under ``CPV1``, can pass for the other format), and JSON reports escape ``<``, ``>`` and ``&``.
The blocks are found by substring search and fixed-width fields: linear in the file's size.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PRIVATE_NAME = "report-signing-key.pem"
PUBLIC_NAME = "report-signing-key.pub.pem"
#: What a QR code says: the scheme, the key's fingerprint and the signature. ``CPV2`` signs the
#: report's format with its bytes (``_message``); ``CPV1`` (reports issued before) signed the bytes
#: alone, and still verifies in the format it was issued in (``verify_report``).
CODE_PREFIX = "CPV2"
LEGACY_PREFIX = "CPV1"

HTML_PLACEHOLDER = "<!--verification-block-->"
JSON_PLACEHOLDER = '"verification": null'
#: How each format begins, exactly as this module's callers write it (``ui.report``): a report is
#: checked as the format its name says, and must begin as that format does. A JSON report begins
#: with ``{`` and an HTML one with the doctype, so no signature made over one can stand for the other.
FORMATS = {"html": b"<!doctype html>", "json": b"{"}
SUFFIXES = {".html": "html", ".htm": "html", ".json": "json"}
#: A case file larger than this is refused before it is read (a report with 12 photos is ~2 MB).
MAX_REPORT_BYTES = 32 * 1024**2
#: A check that takes longer is given up (it is linear in the file's size: ~0.1 s for 32 MB).
TIME_LIMIT_S = 5.0

# The blocks are found by plain substring search and fixed-width fields, never by a regex that
# can backtrack over what the file holds (a file of 4,000 section openers froze the server).
_HTML_OPEN = b'<section class="verification" '
_HTML_CLOSE = b"</section><!--/verification-->"
_JSON_OPEN = b'"verification": {'
_KEY_CHARS = frozenset(b"0123456789abcdef")
_SIG_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_LANG_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyz")


class ReportNotVerified(Exception):
    """The report was edited, signed by another key, or carries no signature; the sentence says which
    (in English), ``reason`` and ``details`` say it for a page in the reader's language
    (``ui.i18n``: ``report_<reason>``)."""

    def __init__(self, message: str, reason: str, **details):
        super().__init__(message)
        self.reason = reason
        self.details = details


def default_key_dir() -> Path:
    return Path(os.environ.get("VERIFIER_KEY_DIR") or Path.home() / ".config" / "counterfeit-verifier")


def fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    folder: Path

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public)

    @property
    def public_path(self) -> Path:
        return self.folder / PUBLIC_NAME

    @classmethod
    def load_or_create(cls, folder: str | Path | None = None) -> "SigningKey":
        """The deployment's key; created (private part readable by its owner only) on first use.
        Two processes starting together agree on one key: the file is created exclusively."""
        folder = Path(folder) if folder else default_key_dir()
        private_path = folder / PRIVATE_NAME
        if not private_path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            tmp = folder / f".{PRIVATE_NAME}.{os.getpid()}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, private_path)  # fails if another process made it first: theirs wins
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
        try:
            key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{private_path}: not an Ed25519 private key in PEM ({exc}); move it aside and a new "
                             "key is made (reports signed with the old key then need its public key)") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{private_path}: not an Ed25519 key")
        signing = cls(key, folder)
        public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
        if not signing.public_path.exists() or signing.public_path.read_bytes() != public_pem:
            tmp = folder / f".{PUBLIC_NAME}.{os.getpid()}"
            tmp.write_bytes(public_pem)
            os.replace(tmp, signing.public_path)
        return signing

    def sign(self, data: bytes) -> str:
        return _b64(self.private.sign(data))


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    path = Path(path)
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read an Ed25519 public key in PEM ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path}: not an Ed25519 public key")
    return key


def verification_code(key_fingerprint: str, signature: str, scheme: str = CODE_PREFIX) -> str:
    return f"{scheme}:{key_fingerprint}:{signature}"


def html_block(key_fingerprint: str, signature: str, language: str, scheme: str = CODE_PREFIX) -> str:
    """The verification block of an HTML report: the code as text and as a QR code (PNG, so that
    the report prints it and a phone scans it). ``scheme`` ``CPV1``: the block of a report issued
    before the format was signed (it carried no ``data-scheme``)."""
    import segno

    from .i18n import t

    code = verification_code(key_fingerprint, signature, scheme)
    qr = f'<img alt="QR" width="180" src="{segno.make(code, error="m").png_data_uri(scale=4, border=4)}">'
    grouped = " ".join(signature[i:i + 8] for i in range(0, len(signature), 8))
    marked = "" if scheme == LEGACY_PREFIX else f'data-scheme="{scheme}" '
    return (f'<section class="verification" {marked}data-key="{key_fingerprint}" data-lang="{language}" '
            f'data-signature="{signature}"><h2>{html.escape(t("verification_title", language))}</h2>'
            f'<div class="verify-row"><div class="qr">{qr}</div><div><p>{html.escape(t("verification_help", language))}</p>'
            f'<p class="code"><b>{html.escape(t("verification_key", language))}:</b> {key_fingerprint}<br>'
            f'<b>{html.escape(t("verification_code", language))}:</b> {grouped}</p></div></div>'
            f'</section><!--/verification-->')


def _message(report_format: str, unsigned: bytes) -> bytes:
    """What a ``CPV2`` signature covers: the scheme and the report's format, then its bytes (with
    the placeholder where the block goes). A JSON report's signature can never pass for an HTML
    report's, whatever its text holds."""
    return f"{CODE_PREFIX} {report_format}\n".encode("ascii") + unsigned


def sign_html(document: str, key: SigningKey, language: str) -> str:
    if document.count(HTML_PLACEHOLDER) != 1:
        raise ValueError("an HTML report needs exactly one verification placeholder")
    if not document.encode("utf-8").startswith(FORMATS["html"]):
        raise ValueError("an HTML report begins with <!doctype html>")
    signature = key.sign(_message("html", document.encode("utf-8")))
    return document.replace(HTML_PLACEHOLDER, html_block(key.fingerprint, signature, language))


def sign_json(document: str, key: SigningKey) -> str:
    if document.count(JSON_PLACEHOLDER) != 1:
        raise ValueError("a JSON report needs exactly one verification placeholder")
    if not document.encode("utf-8").startswith(FORMATS["json"]):
        raise ValueError("a JSON report begins with {")
    signature = key.sign(_message("json", document.encode("utf-8")))
    return document.replace(JSON_PLACEHOLDER, '"verification": ' + json.dumps(
        {"scheme": CODE_PREFIX, "key": key.fingerprint, "signature": signature}))


@dataclass(frozen=True)
class Verified:
    """A report that verified: the key that signed it, its format and its signing scheme."""

    fingerprint: str
    format: str
    scheme: str


def format_of(name: str | Path) -> str | None:
    """The format a report's file name says (``html`` or ``json``), or None."""
    return SUFFIXES.get(Path(str(name)).suffix.lower())


def verify_report(data: bytes, public_key: Ed25519PublicKey, name: str = "the report",
                  report_format: str | None = None, deadline: float | None = None,
                  max_bytes: int = MAX_REPORT_BYTES) -> Verified:
    """Check a signed report against the deployment's public key, in the format it claims to be
    (``report_format``, else what its name's suffix says): a JSON report renamed ``.html`` is
    refused. Linear in the file's size (substring search, fixed-width fields); raises
    ReportNotVerified with the reason."""
    import time

    fmt = report_format or format_of(name)
    if fmt not in FORMATS:
        raise ReportNotVerified(f"{name}: a case file is named .html or .json, as it was issued", "bad_name")
    if len(data) > max_bytes:
        raise ReportNotVerified(f"{name}: {len(data) / 1024**2:.1f} MB, larger than any report "
                                f"({max_bytes / 1024**2:.0f} MB limit)", "too_large",
                                size=f"{len(data) / 1024**2:.1f}", limit=f"{max_bytes / 1024**2:.0f}")

    def in_time() -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise ReportNotVerified(f"{name}: the check took too long and was given up", "timeout")

    _require_utf8(data, name)
    in_time()
    if not data.startswith(FORMATS[fmt]):
        for other, start in FORMATS.items():
            if other != fmt and data.startswith(start):
                raise ReportNotVerified(f"{name}: issued as {other.upper()} and named .{fmt}: a report verifies only "
                                        "in the format it was issued in", "wrong_format", issued=other.upper(),
                                        suffix=fmt)
        raise ReportNotVerified(f"{name}: it does not begin as {'an' if fmt == 'html' else 'a'} {fmt.upper()} report "
                                "does: it was changed or is not a report", "not_report", named=fmt.upper())
    if fmt == "html":
        start, end, key_fp, signature, scheme, placeholder = _html_block(data, name)
    else:
        start, end, key_fp, signature, scheme, placeholder = _json_block(data, name)
    in_time()
    expected = fingerprint(public_key)
    if key_fp != expected:
        raise ReportNotVerified(f"{name}: signed by the key {key_fp}, not by this deployment's key {expected}",
                                "other_key", signed_by=key_fp, expected=expected)
    # what was signed, built in one buffer (a 32 MB file costs one copy, not three)
    view = memoryview(data)
    message = bytearray(_message(fmt, b"") if scheme == CODE_PREFIX else b"")
    message += view[:start]
    message += placeholder
    message += view[end:]
    try:
        public_key.verify(_unb64(signature), message)
    except (InvalidSignature, ValueError):
        raise ReportNotVerified(f"{name}: the signature does not match the content: the report was changed after "
                                "it was issued", "changed") from None
    in_time()
    return Verified(key_fp, fmt, scheme)


def verify_document(data: bytes, public_key: Ed25519PublicKey, name: str = "the report",
                    report_format: str | None = None) -> str:
    """``verify_report``, returning the key's fingerprint."""
    return verify_report(data, public_key, name, report_format).fingerprint


def _require_utf8(data: bytes, name: str) -> None:
    """UTF-8 text, checked a megabyte at a time (no copy of the whole file as text)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for offset in range(0, len(data), 1 << 20):
            decoder.decode(view[offset:offset + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ReportNotVerified(f"{name}: not a text report (not UTF-8): it was changed or is not a report",
                                "not_text") from None


def _field(data: bytes, at: int, prefix: bytes, width: int, allowed: frozenset) -> tuple[str, int] | None:
    """A fixed-width field after ``prefix`` at ``at``: (its text, where it ends), or None."""
    if not data.startswith(prefix, at):
        return None
    at += len(prefix)
    value = data[at:at + width]
    if len(value) != width or not all(c in allowed for c in value):
        return None
    return value.decode("ascii"), at + width


def _one_opener(data: bytes, opener: bytes, name: str) -> int:
    count = data.count(opener)
    if count > 1:
        raise ReportNotVerified(f"{name}: holds {count} verification blocks; a report has one", "several_blocks",
                                count=count)
    position = data.find(opener)
    if position < 0:
        raise ReportNotVerified(f"{name}: carries no verification code (or a damaged one): it was not issued signed, "
                                "or the code was edited", "no_code")
    return position


def _damaged(name: str) -> ReportNotVerified:
    return ReportNotVerified(f"{name}: carries no verification code (or a damaged one): it was not issued signed, or "
                             "the code was edited", "no_code")


def _html_block(data: bytes, name: str):
    start = _one_opener(data, _HTML_OPEN, name)
    at = start + len(_HTML_OPEN)
    scheme = LEGACY_PREFIX
    marked = f'data-scheme="{CODE_PREFIX}" '.encode()
    if data.startswith(marked, at):
        scheme, at = CODE_PREFIX, at + len(marked)
    key = _field(data, at, b'data-key="', 16, _KEY_CHARS)
    language = key and _field(data, key[1], b'" data-lang="', 2, _LANG_CHARS)
    signature = language and _field(data, language[1], b'" data-signature="', 86, _SIG_CHARS)
    if not signature or not data.startswith(b'">', signature[1]):
        raise _damaged(name)
    block = html_block(key[0], signature[0], language[0], scheme).encode("utf-8")
    if data[start:start + len(block)] != block:
        raise ReportNotVerified(f"{name}: the verification block was edited", "block_edited")
    return start, start + len(block), key[0], signature[0], scheme, HTML_PLACEHOLDER.encode()


def _json_block(data: bytes, name: str):
    start = _one_opener(data, _JSON_OPEN, name)
    at = start + len(_JSON_OPEN)
    scheme = LEGACY_PREFIX
    marked = f'"scheme": "{CODE_PREFIX}", '.encode()
    if data.startswith(marked, at):
        scheme, at = CODE_PREFIX, at + len(marked)
    key = _field(data, at, b'"key": "', 16, _KEY_CHARS)
    signature = key and _field(data, key[1], b'", "signature": "', 86, _SIG_CHARS)
    if not signature or not data.startswith(b'"}', signature[1]):
        raise _damaged(name)
    return start, signature[1] + 2, key[0], signature[0], scheme, JSON_PLACEHOLDER.encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
