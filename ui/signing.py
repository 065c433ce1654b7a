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
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PRIVATE_NAME = "report-signing-key.pem"
PUBLIC_NAME = "report-signing-key.pub.pem"
#: What a QR code says: the scheme, the key's fingerprint and the signature.
CODE_PREFIX = "CPV1"

HTML_PLACEHOLDER = "<!--verification-block-->"
JSON_PLACEHOLDER = '"verification": null'
_HTML_BLOCK = re.compile(r'<section class="verification" data-key="([0-9a-f]{16})" data-lang="([a-z]{2})" '
                         r'data-signature="([A-Za-z0-9_\-]{86})">.*?</section><!--/verification-->', re.S)
_JSON_BLOCK = re.compile(r'"verification": \{"key": "([0-9a-f]{16})", "signature": "([A-Za-z0-9_\-]{86})"\}')


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


def verification_code(key_fingerprint: str, signature: str) -> str:
    return f"{CODE_PREFIX}:{key_fingerprint}:{signature}"


def html_block(key_fingerprint: str, signature: str, language: str) -> str:
    """The verification block of an HTML report: the code as text and as a QR code (PNG, so that
    the report prints it and a phone scans it)."""
    import segno

    from .i18n import t

    code = verification_code(key_fingerprint, signature)
    qr = f'<img alt="QR" width="180" src="{segno.make(code, error="m").png_data_uri(scale=4, border=4)}">'
    grouped = " ".join(signature[i:i + 8] for i in range(0, len(signature), 8))
    return (f'<section class="verification" data-key="{key_fingerprint}" data-lang="{language}" '
            f'data-signature="{signature}"><h2>{html.escape(t("verification_title", language))}</h2>'
            f'<div class="verify-row"><div class="qr">{qr}</div><div><p>{html.escape(t("verification_help", language))}</p>'
            f'<p class="code"><b>{html.escape(t("verification_key", language))}:</b> {key_fingerprint}<br>'
            f'<b>{html.escape(t("verification_code", language))}:</b> {grouped}</p></div></div>'
            f'</section><!--/verification-->')


def sign_html(document: str, key: SigningKey, language: str) -> str:
    if document.count(HTML_PLACEHOLDER) != 1:
        raise ValueError("an HTML report needs exactly one verification placeholder")
    signature = key.sign(document.encode("utf-8"))
    return document.replace(HTML_PLACEHOLDER, html_block(key.fingerprint, signature, language))


def sign_json(document: str, key: SigningKey) -> str:
    if document.count(JSON_PLACEHOLDER) != 1:
        raise ValueError("a JSON report needs exactly one verification placeholder")
    signature = key.sign(document.encode("utf-8"))
    return document.replace(JSON_PLACEHOLDER, '"verification": ' + json.dumps(
        {"key": key.fingerprint, "signature": signature}))


def verify_document(data: bytes, public_key: Ed25519PublicKey, name: str = "the report") -> str:
    """Check a signed report (HTML or JSON) against the deployment's public key; returns the
    key's fingerprint, or raises ReportNotVerified with the reason."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ReportNotVerified(f"{name}: not a text report (not UTF-8): it was changed or is not a report",
                                "not_text") from None
    blocks = list(_HTML_BLOCK.finditer(text))
    if blocks:
        if len(blocks) != 1:
            raise ReportNotVerified(f"{name}: holds {len(blocks)} verification blocks; a report has one",
                                    "several_blocks", count=len(blocks))
        match = blocks[0]
        key_fp, language, signature = match.groups()
        if match.group(0) != html_block(key_fp, signature, language):
            raise ReportNotVerified(f"{name}: the verification block was edited", "block_edited")
        unsigned = text[:match.start()] + HTML_PLACEHOLDER + text[match.end():]
    else:
        found = list(_JSON_BLOCK.finditer(text))
        if len(found) != 1:
            raise ReportNotVerified(f"{name}: carries no verification code (or a damaged one): it was not issued "
                                    "signed, or the code was edited", "no_code")
        match = found[0]
        key_fp, signature = match.groups()
        unsigned = text[:match.start()] + JSON_PLACEHOLDER + text[match.end():]
    expected = fingerprint(public_key)
    if key_fp != expected:
        raise ReportNotVerified(f"{name}: signed by the key {key_fp}, not by this deployment's key {expected}",
                                "other_key", signed_by=key_fp, expected=expected)
    try:
        public_key.verify(_unb64(signature), unsigned.encode("utf-8"))
    except (InvalidSignature, ValueError):
        raise ReportNotVerified(f"{name}: the signature does not match the content: the report was changed after "
                                "it was issued", "changed") from None
    return key_fp


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
