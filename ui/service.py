"""Everything the app does, without Gradio: check photos and keep the check, batch-check a
manifest, browse and change the catalog (after login, audited), review past checks.

One process holds one model, one read-only catalog and one history. Checks run one at a time
under a lock (two cores: one fast answer beats two slow ones); catalog changes take the
catalog's writer lock in their own connection, then the checker reloads, so a check never sees
a half-written index.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from index import Case, Verifier, cases_from_queries, read_queries
from index.verify import read_photo_codes
from index.problems import Problem
from index.storing import audit, editing
from index.storing.history import CheckRecord, History
from index.importing.manifests import ProductRow, parse_gtins, read_products, spreadsheet_safe
from vision import UnreadableImage, load_image
from vision.quality import assess

from .accounts import Accounts, AccountError, anonymous_checks_allowed, may, owns_brand
from .auth import Users
from .casefile import CaseFileChecker
from .sessions import Sessions
from .signing import SigningKey
from .limits import LimitExceeded, Limits
from .uploads import UploadError, stage

VERSION = "0.2.0"
#: Files the app writes for download (reports, batch results) live this long.
DOWNLOAD_TTL_S = 3600
WORK_PREFIX = "verifier-app-"
#: A batch takes the checker this many cases at a time: other users' single checks go in between.
BATCH_TURN = 4

#: ``product_id`` is the product judged (the claim, when one was given: its meaning since the first
#: batch CSV, kept for the spreadsheets that read it); ``looks_like_product_id`` the product the
#: photos look most like, which differs from it when the photos show another product.
BATCH_COLUMNS = ["case_id", "photos", "claimed_product_id", "verdict", "counterfeit_score", "product_id",
                 "looks_like_product_id", "flags", "explanation", "errors", "check_id"]
#: Batch triage: the riskiest verdicts first.
RISK_ORDER = {"counterfeit": 0, "suspicious": 1, "unknown": 2, "genuine": 3}


class NotAllowed(PermissionError):
    """A change without a logged-in user, or one the user's role does not allow (``key`` and
    ``args``: the user's sentence in ``ui.i18n``)."""

    def __init__(self, message: str = "log in to change the catalog", key: str = "need_login", **args):
        self.key, self.args_ = key, args
        super().__init__(message)


@dataclass
class BatchResult:
    #: One row per case, in the upload's order (the CSV's columns, ``BATCH_COLUMNS``).
    rows: list[list]
    csv_path: Path
    jsonl_path: Path
    counts: Counter
    #: Per case, the same order: the result (paths as the user gave them, with ``check_id``) and
    #: the first photo kept in the history (for a thumbnail), or None when none could be read.
    results: list[dict] = field(default_factory=list)
    thumbnails: list[str | None] = field(default_factory=list)

    def by_risk(self) -> list[int]:
        """Case positions, riskiest first: counterfeit, suspicious, unknown, genuine; higher
        counterfeit score first within a verdict; the upload's order last."""
        def key(i):
            row = self.rows[i]
            score = row[4] if isinstance(row[4], (int, float)) else -1.0
            return RISK_ORDER.get(row[3], 9), -score, i
        return sorted(range(len(self.rows)), key=key)


class Service:
    def __init__(self, verifier: Verifier, users: Users | None = None, work_dir: str | Path | None = None,
                 limits: Limits | None = None):
        self.verifier = verifier
        self.limits = limits or Limits.from_env()
        self.catalog = verifier.catalog
        self.catalog_dir = self.catalog.path
        self.history = History(self.catalog_dir)
        self.users = users or Users()
        self.sessions = Sessions(self.users)
        #: The agency's accounts and roles (``ui.accounts``) when the users are the catalog's; with
        #: the environment's users alone (``ui.auth.Users``) every logged-in user may do everything.
        self.accounts = self.users if isinstance(self.users, Accounts) else None
        #: Checks without a login (a consumer's): VERIFIER_ANONYMOUS_CHECKS=0 switches them off.
        self.anonymous_checks = anonymous_checks_allowed()
        #: History is open to every visitor only where nobody can log in (a single-user laptop) or
        #: the deployment says so (VERIFIER_OPEN_HISTORY=1).
        self.history_is_open = not self.users.configured or os.environ.get("VERIFIER_OPEN_HISTORY") == "1"
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix=WORK_PREFIX))
        #: Signs every report (kept outside the catalog: VERIFIER_KEY_DIR or ~/.config/counterfeit-verifier).
        self.signing_key = SigningKey.load_or_create()
        #: Status -> Check a case file: case files checked in a small pool of their own.
        self.case_files = CaseFileChecker(self.signing_key.public, max_bytes=self.limits.report_mb * 1024**2)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        (self.work_dir / "pid").write_text(str(os.getpid()))  # for the next start's sweep
        self._lock = threading.RLock()

    @property
    def embedder(self):
        """The catalog's model as the checker holds it now (a tuning in the background replaces it)."""
        return self.verifier.embedder

    # ---- checking ------------------------------------------------------------------------

    def check(self, photos: list[str], claimed: str | None = None, notes: str = "", inspector: str = "",
              case_id: str | None = None, place: str = "", source: str = "app", client: str = "",
              views: list[str] | None = None, account: str = "", photos_of: str = "item") -> CheckRecord:
        """Check photos and keep the check. ``client``: the address of a client that is not logged
        in (its photos count against the anonymous quotas of ``ui.limits``); empty for a user.
        ``views``: the view of each photo as the inspector corrected it (empty: the view head's).
        ``photos_of``: "item" (in hand) or "listing" (a seller's photos), kept with the result's
        details: the card and the case file give steps its reader can take."""
        if not photos:
            raise ValueError("no photos")
        if client and not account and not self.anonymous_checks:
            raise LimitExceeded("anonymous_checks_off")
        if len(photos) > self.limits.photos_per_check:
            raise LimitExceeded("too_many_photos", count=len(photos), limit=self.limits.photos_per_check)
        for field, value, limit in (("claimed", claimed, self.limits.id_chars), ("case_id", case_id, self.limits.id_chars),
                                    ("inspector", inspector, self.limits.id_chars), ("place", place, self.limits.id_chars),
                                    ("notes", notes, self.limits.notes_chars)):
            if value and len(value) > limit:
                raise LimitExceeded("text_too_long", field=field, length=len(value), limit=limit)
        with self._lock:
            self._pick_up_changes()
            verdict = self.verifier.check(photos, claimed_product_id=(claimed or "").strip() or None,
                                          case_id=(case_id or "").strip() or None, regions=True,
                                          views=[(v or "")[:self.limits.id_chars] for v in (views or [])][:len(photos)])
        result = verdict.to_dict()
        if photos_of == "listing":
            result.setdefault("details", {})["photos_of"] = "listing"
        return self._keep(result, photos, notes, inspector, place, source, client, account)

    def _keep(self, result: dict, photos: list[str], notes: str, inspector: str, place: str = "",
              source: str = "app", client: str = "", account: str = "") -> CheckRecord:
        kept, quality, moved = [], [], {}
        unreadable = {e["path"] for e in result.get("errors", [])}
        for path in photos:
            if path in unreadable:
                continue
            try:
                stored = self.history.keep_photo(path)
            except (UnreadableImage, OSError):
                continue
            kept.append(stored)
            moved[path] = stored.path
            try:
                q = assess(load_image(stored.path, min_side=512, max_side=1024))
                quality.append({"name": stored.name, **q.to_dict()})
            except (UnreadableImage, OSError):
                pass
        if result.get("regions") and result["regions"].get("photo") in moved:
            result["regions"]["photo"] = moved[result["regions"]["photo"]]
        aligned = (result.get("evidence") or {}).get("alignment")
        if aligned and aligned.get("photo") in moved:  # the print comparison names the kept photo too
            aligned["photo"] = moved[aligned["photo"]]
        owner = self.account_of(account) if account else None
        check_id = self.history.record(result, kept, inspector=inspector.strip(), notes=notes.strip(),
                                       quality=quality, place=place.strip(), source=source, client=client,
                                       account=account or "", unit=owner.unit if owner else "")
        if client:  # the oldest anonymous photos go first, this client's, then anyone's
            self.history.drop_anonymous_photos(client, self.limits.anonymous_client_mb * 1024**2,
                                               self.limits.anonymous_total_mb * 1024**2)
        return self.history.get(check_id)

    def scan_codes(self, photos: list[str]) -> tuple[list, str | None]:
        """Barcodes on freshly uploaded photos and the catalog product they name (see
        ``Verifier.scan_codes``). The photos are read without the checker (issue 25: four scans of
        12 photos of 49 MP held it, and another user's one-photo check went from 0.6 s to 70 s);
        only the short look-up against the catalog's GTINs takes it."""
        codes = read_photo_codes(photos[: self.limits.photos_per_check])
        with self._lock:
            self._pick_up_changes()
            return self.verifier.judge_codes(codes)

    def check_batch(self, manifest: str | None, files: list[str], progress: Callable[[int, int], None] | None = None,
                    inspector: str = "", client: str = "", account: str = "") -> BatchResult:
        """Check every case of an upload. Results are written to disk case by case (a long batch
        holds no verdicts in memory), and the checker is taken a few cases at a time, so single
        checks of other users go in between. Staged uploads are removed whatever happens."""
        if client and not account and not self.anonymous_checks:
            raise LimitExceeded("anonymous_checks_off")
        folder = Path(tempfile.mkdtemp(prefix="batch-", dir=self._downloads()))
        try:
            given: dict[str, str] = {}  # staged path -> the path as the user wrote it
            cases = self._batch_cases(manifest, files, folder / "in", given)
            rows_out, counts, results, thumbnails = [], Counter(), [], []
            csv_path, jsonl_path = folder / "results.csv", folder / "results.jsonl"
            with open(csv_path, "w", newline="", encoding="utf-8") as table, \
                    open(jsonl_path, "w", encoding="utf-8") as lines:
                writer = csv.writer(table)
                writer.writerow(BATCH_COLUMNS)
                done = 0
                for start in range(0, len(cases), BATCH_TURN):
                    group = cases[start:start + BATCH_TURN]
                    with self._lock:
                        self._pick_up_changes()
                        # each case kept before the next is judged: a unit code copied onto two
                        # listings of one batch is noticed on the second
                        kept = [(case, verdict, self._keep(verdict.to_dict(), list(case.photos), "", inspector,
                                                           source="batch", client=client, account=account))
                                for case, verdict in zip(group, self.verifier.check_many(group, progress=False))]
                    for case, verdict, record in kept:
                        result = _as_given(dict(record.result, check_id=record.check_id), folder / "in", given)
                        counts[verdict.verdict] += 1
                        errors = "; ".join(f"{e['path']}: {e['reason']}" for e in result.get("errors", []))
                        row = [case.case_id or "", " ".join(result.get("photos", [])),
                               verdict.claimed_product_id or "", verdict.verdict,
                               "" if verdict.counterfeit_score is None else round(verdict.counterfeit_score, 4),
                               verdict.product_id or "", verdict.looks_like_product_id or "",
                               " ".join(verdict.flags), verdict.explanation, errors,
                               record.check_id]
                        writer.writerow([spreadsheet_safe(cell) for cell in row])
                        lines.write(json.dumps(result, ensure_ascii=False) + "\n")
                        rows_out.append(row)
                        results.append(result)
                        thumbnails.append(record.photos[0].path if record.photos else None)
                    table.flush()
                    lines.flush()
                    done += len(group)
                    if progress is not None:
                        progress(done, len(cases))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(folder / "in", ignore_errors=True)
        return BatchResult(rows_out, csv_path, jsonl_path, counts, results, thumbnails)

    def _batch_cases(self, manifest: str | None, files: list[str], staging: Path,
                     given: dict[str, str] | None = None) -> list[Case]:
        limits = self.limits
        staged_manifest, staged_photos = stage(list(files or []), staging, manifest, limits.zip_files, limits.zip_bytes)
        if staged_manifest is not None:
            rows = read_queries(staged_manifest)
            if len(rows) > limits.batch_rows:
                raise LimitExceeded("too_many_rows", count=len(rows), limit=limits.batch_rows)
            found = [_find_uploaded(row, staging) for row in rows]
            if given is not None:
                root = staged_manifest.parent.resolve()
                for written, row in zip(rows, found):
                    try:
                        given[str(row.path)] = Path(written.path).resolve().relative_to(root).as_posix()
                    except ValueError:
                        given[str(row.path)] = Path(written.path).name
            return [case for case, _ in cases_from_queries(found, staged_manifest.name)]
        if not staged_photos:
            raise UploadError("no photos found in the upload")
        if len(staged_photos) > limits.batch_rows:
            raise LimitExceeded("too_many_rows", count=len(staged_photos), limit=limits.batch_rows)
        return [Case((str(p),), None, p.name) for p in sorted(staged_photos)]

    def _pick_up_changes(self) -> None:
        """Reload when another writer (this app's catalog tab, an import on the command line) changed
        the catalog since the last check."""
        stamp = self.catalog.change_stamp()
        if stamp != getattr(self, "_stamp", None):
            if hasattr(self, "_stamp"):
                self.verifier.reload()
            self._stamp = stamp

    # ---- downloads -----------------------------------------------------------------------

    def _downloads(self) -> Path:
        """A folder for files offered for download; old ones are deleted as new ones are made."""
        folder = self.work_dir / "downloads"
        folder.mkdir(parents=True, exist_ok=True)
        cutoff = time.time() - DOWNLOAD_TTL_S
        for old in folder.iterdir():
            try:
                if old.stat().st_mtime < cutoff:
                    shutil.rmtree(old) if old.is_dir() else old.unlink()
            except OSError:
                pass
        return folder

    def report_files(self, record: CheckRecord, language: str) -> tuple[Path, Path]:
        from .report import write_reports

        # written once per state of the check (a review changes it): reopening serves the same files
        state = hashlib.sha256(json.dumps(record.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:16]
        folder = self._downloads() / f"report-{record.check_id}-{language}-{state}"
        html_path, json_path = folder / f"check-{record.check_id}-{language}.html", folder / f"check-{record.check_id}.json"
        if html_path.is_file() and json_path.is_file():
            os.utime(folder)  # still in use: not swept with the old downloads
            return html_path, json_path
        staging = Path(tempfile.mkdtemp(prefix=".report-", dir=self._downloads()))
        write_reports(record, self.catalog, language, staging, self.signing_key)
        try:
            staging.rename(folder)
        except OSError:  # written meanwhile by another request: use that one
            shutil.rmtree(staging, ignore_errors=True)
        return html_path, json_path

    # ---- browsing ------------------------------------------------------------------------

    def product_choices(self) -> list[tuple[str, str]]:
        """(label shown in the search box, product id): the box filters on name, brand and id. The
        brand only when the name does not already say it ("God Morgon Orange Juice", not "... · God
        Morgon"): the box is narrow on a phone, and the id is what tells look-alikes apart."""
        choices = []
        for product in self.catalog.products():
            brand = product.brand if product.brand and product.brand.casefold() not in (product.name or "").casefold() \
                else ""
            label = " · ".join(x for x in (product.name, brand) if x)
            choices.append((f"{label} ({product.product_id})" if label else product.product_id, product.product_id))
        return choices

    def capture_views(self, product_id: str | None) -> tuple[str, list[tuple[str, bool]]]:
        """(the product's name, the views of it to photograph: (view, whether its known fakes differ
        there), those that separate its fakes first); ("", []) for no product or one unknown here."""
        product_id = (product_id or "").strip()
        if not product_id:
            return "", []
        with self._lock:
            product = self.catalog.product(product_id)
            if product is None:
                return "", []
            return product.name or product_id, self.verifier.capture_views(product_id)

    def products(self, query: str = "") -> list[list]:
        query = (query or "").strip().lower()
        return [[p.product_id, p.name, p.brand, p.genuine, p.counterfeit] for p in self.catalog.products()
                if not query or query in f"{p.product_id} {p.name} {p.brand}".lower()]

    def references(self, product_id: str) -> list:
        return self.catalog.references(product_id=(product_id or "").strip())

    def calibration_rows(self) -> list[list]:
        """Per product: genuine references, photo sessions, the level it is calibrated at, how
        many more genuine photos would calibrate it on its own (0 when it is), and what its known
        fakes' model did out of fold (``Calibration.known_fakes``; ``{"filed": n}`` for fakes too few
        for a model; None without seized fakes)."""
        from index.judging.calibration import MIN_VALUES

        calibration = self.verifier.calibration  # what the verdicts use, computed once per catalog change
        rate = self.verifier.policy.false_alarm_rate
        filed = {p.product_id: p.counterfeit for p in self.catalog.products()}  # photos of seized fakes
        rows = []
        for product, info in sorted(calibration.summary(rate).items()):
            references = info.get("references") or 0
            level = info.get("level") or "none"
            if not info.get("can_confirm", True):
                level = "thin"  # too few photo sessions: no green badge yet (issue 28)
            rows.append([product, references, info.get("sessions") or 0, level,
                         calibration.photos_needed([product]) if level == "thin" else max(0, MIN_VALUES - references),
                         info.get("known_fakes") or ({"filed": filed[product]} if filed.get(product) else None)])
        return rows

    def thin_products(self) -> list[str]:
        """Products whose checks cannot earn the green badge yet: too few photo sessions."""
        calibration = self.verifier.calibration
        return list(calibration.thin_products(sorted(calibration.session_counts)))

    def audit_rows(self) -> list[list]:
        return [[e.entry_id, e.at, e.user, e.action, json.dumps(e.details, ensure_ascii=False)]
                for e in audit.entries(self.catalog_dir)]

    def status(self) -> dict:
        stats = self.catalog.stats()
        calibration = self.verifier.calibration  # what the verdicts use, computed once per catalog change
        summary = calibration.summary(self.verifier.policy.false_alarm_rate)
        return {
            "catalog": str(self.catalog_dir), "references": stats["references"], "products": stats["products"],
            "genuine": stats["genuine_references"], "counterfeit": stats["counterfeit_references"],
            "generation": stats["generation"], "model": self.embedder.name, "dim": self.embedder.dim,
            "index": stats["index"], "store": _store_line(stats),
            "far": self.verifier.policy.false_alarm_rate,
            "calibrated": sum(1 for info in summary.values() if info.get("level") == "product"),
            "thin": self.thin_products(),
            "checks": len(self.history), "version": VERSION,
        }

    # ---- changing (login required, audited) ----------------------------------------------

    def add_references(self, user: str | None, photos: list[str], product_id: str, label: str = "genuine",
                       name: str = "", brand: str = "", view: str = "", action: str = "add_references",
                       extra: dict | None = None):
        user = _require(user)
        product_id = (product_id or "").strip()
        if not product_id:
            raise ValueError(Problem("add_need_product", "a product id is needed"))
        if action != "add_from_review":  # a review's additions are the reviewer's right (``review``)
            self._authorize_products(user, [product_id], brand)
        if label not in ("genuine", "counterfeit"):
            raise ValueError(f"label must be genuine or counterfeit, not {label!r}")
        if not photos:
            raise ValueError(Problem("add_no_photos", "no photos to add"))
        rows = [ProductRow(i + 1, Path(p), product_id, label, name.strip(), brand.strip(), view.strip())
                for i, p in enumerate(photos)]
        with self._lock:
            self._pick_up_changes()  # a tuning may have replaced the model since the last check
        summary = editing.add_references(self.catalog_dir, self.embedder, rows, user, action, extra)
        with self._lock:
            self._pick_up_changes()
        return summary

    def import_manifest(self, user: str | None, manifest: str, files: list[str]):
        user = _require(user)
        folder = Path(tempfile.mkdtemp(prefix="import-", dir=self.work_dir))
        try:
            staged, _ = stage(list(files or []), folder, manifest)
            rows = read_products(staged)
            for row in rows:  # every row's product, before anything is added
                self._authorize_products(user, [row.product_id], row.brand)
            rows = [_find_uploaded(row, folder) for row in rows]
            with self._lock:
                self._pick_up_changes()
            summary = editing.add_references(self.catalog_dir, self.embedder, rows, user, "import_manifest",
                                             {"manifest": Path(manifest).name})
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        with self._lock:
            self._pick_up_changes()
        return summary

    def import_serials(self, user: str | None, path: str, decommission: bool = False,
                       progress: Callable[[int, int], None] | None = None):
        """A brand's register of issued serials (or its list of serials sold or checked) from an
        uploaded CSV: streamed, refused whole with every bad row's line, audited as ``user``."""
        from index.importing.serials import import_register

        user, allowed = self._serial_rights(user)
        if not path:
            raise ValueError(Problem("upload_serials_csv",
                                     "upload a CSV file of serials (gtin,serial[,batch][,expiry])"))
        summary = import_register(self.catalog_dir, path, user, decommission, progress or False, name=Path(path).name,
                                  allowed_gtins=allowed)
        with self._lock:
            self._pick_up_changes()
        return summary

    def add_stamp_pattern(self, user: str | None, template: str, brand: str = "") -> bool:
        """A brand's stamp URL template (``https://xacthuc.brand.vn/c/{serial}``), audited."""
        from index import Catalog
        from index.storing import serials as register

        user, allowed = self._serial_rights(user)
        if allowed is not None and not (brand and owns_brand(self.account_of(user), brand)):
            raise NotAllowed(f"{user} may not add a stamp pattern for brand {brand!r}", "not_your_brand",
                             product="—", brand=brand or "—")
        with Catalog.open(self.catalog_dir, writable=True) as catalog, catalog.audited(user, "add_stamp_pattern"):
            added = register.add_stamp(catalog, template or "", brand)
        with self._lock:
            self._pick_up_changes()
        return added

    def serial_register(self) -> dict:
        """What the register holds (``index.storing.serials.Register.summary``)."""
        from index.storing.serials import Register

        summary = Register.of(self.catalog).summary()
        owners = {gtin.rjust(14, "0"): product for product, info in self.catalog.product_info().items()
                  for gtin in info.gtins}
        for entry in summary["gtins"]:
            entry["product_id"] = owners.get(entry["gtin"])
        return summary

    def remove_references(self, user: str | None, image_ids: Iterable[int]) -> int:
        image_ids = list(image_ids)
        self._authorize_products(user, sorted({r.product_id for r in self.catalog.references_by_id(image_ids).values()}))
        removed = editing.remove_references(self.catalog_dir, image_ids, _require(user))
        with self._lock:
            self._pick_up_changes()
        return removed

    def remove_product(self, user: str | None, product_id: str) -> int:
        self._authorize_products(user, [(product_id or "").strip()])
        removed = editing.remove_product(self.catalog_dir, (product_id or "").strip(), _require(user))
        with self._lock:
            self._pick_up_changes()
        return removed

    def last_removal(self) -> dict | None:
        return editing.last_removal(self.catalog_dir)

    def undo_last_removal(self, user: str | None):
        user = _require(user)
        self._authorize_products(user, (self.last_removal() or {}).get("products", []))
        with self._lock:
            self._pick_up_changes()
        summary = editing.undo_last_removal(self.catalog_dir, self.embedder, user)
        with self._lock:
            self._pick_up_changes()
        return summary

    def edit_product(self, user: str | None, product_id: str, name: str | None = None, brand: str | None = None,
                     label_text: str | None = None, gtins: str | None = None) -> dict:
        """Product metadata as its own audited change; GTINs as typed (several separated by spaces
        or commas), check digits verified before anything is saved."""
        user = _require(user)
        product_id = (product_id or "").strip()
        if not product_id:
            raise ValueError("choose the product to edit")
        self._authorize_products(user, [product_id])
        if brand is not None and brand.strip():  # a product is not given away to another brand either
            self._authorize_products(user, [], brand)
        editing.check_product_fields(name=name, brand=brand, label_text=label_text, gtins_text=gtins)
        parsed = None
        if gtins is not None:
            parsed, problems = parse_gtins(gtins)
            if problems:
                raise ValueError("; ".join(problems) + " (nothing was saved)")
        changed = editing.edit_product(self.catalog_dir, product_id, user, name, brand, label_text, parsed)
        with self._lock:
            self._pick_up_changes()
        return changed

    def product_details(self, product_id: str) -> dict | None:
        """Name, brand, declared label text and GTINs of a product, for editing."""
        refs = self.catalog.references(product_id=(product_id or "").strip())
        if not refs:
            return None
        info = self.catalog.product_info().get(refs[0].product_id)
        return {"product_id": refs[0].product_id, "name": refs[0].name, "brand": refs[0].brand,
                "label_text": info.label_text if info else "", "gtins": " ".join(info.gtins) if info else ""}

    @staticmethod
    def review_target(record, product_id: str | None = None, add_as: str | None = None) -> str:
        """The product a review adds a check's photos to: the one typed; else the one the verdict
        names (genuine: that product; counterfeit: its fakes); else, for photos added as seized
        fakes, the product they were claimed as (a fake is filed against what it pretends to be).
        Never the product merely claimed for photos added as genuine: a Bravo photo claimed as God
        Morgon and saved "as genuine" would have filed Bravo as genuine God Morgon (a helper's walk:
        the claimed product was taken when the box was left empty, and the message named none)."""
        typed = (product_id or "").strip()
        if typed:
            return typed
        if record.result.get("verdict") in ("genuine", "counterfeit") and record.product_id:
            return record.product_id.strip()
        return (record.claimed_product_id or "").strip() if add_as == "counterfeit" else ""

    def review(self, user: str | None, check_id: int, verdict: str, note: str = "", add_as: str | None = None,
               product_id: str | None = None):
        """Confirm or overturn a past verdict; optionally add its photos to the catalog as genuine or
        known-counterfeit references, so the catalog learns from cases."""
        user = self._authorize(user, "review")
        record = self.history.get(check_id)
        if record is None:
            raise KeyError(Problem("no_check", f"no check #{check_id} in the history", check_id=check_id))
        target = self.review_target(record, product_id, add_as)
        if add_as and not target:  # refused before anything is saved, not half done
            raise ValueError(Problem("review_no_product", f"check #{check_id} names no product: give the product id "
                                     "its photos are to be added to (nothing was saved)", check_id=check_id))
        self.history.review(check_id, verdict, note.strip(), user)  # with its audit row
        if add_as:
            return self.add_references(user, [p.path for p in record.photos], target, add_as,
                                       action="add_from_review", extra={"check_id": check_id})
        return None


    # ---- accounts and roles (ui.accounts), enforced here for the page and the API alike ------

    def account_of(self, user: str | None):
        """The account of a logged-in name; without the catalog's accounts (the environment's
        users only) every logged-in user is an administrator, as before accounts existed."""
        if not user:
            return None
        if self.accounts is None:
            from index.storing.accounts import Account

            return Account(user, "administrator", "", (), False, "", "")
        return self.accounts.account(user)

    def allowed(self, user: str | None, right: str) -> bool:
        return may(self.account_of(user), right)

    def _authorize(self, user: str | None, right: str) -> str:
        user = _require(user)
        if not self.allowed(user, right):
            raise NotAllowed(f"{user} may not do this ({right})", "not_allowed")
        return user

    def _serial_rights(self, user: str | None) -> tuple[str, frozenset[str] | None]:
        """(user, the GTIN-14s they may register serials for: None for any). An administrator
        registers any GTIN; a brand owner only the GTINs of their brands' products (issue 26:
        enforced here, so a hand-made request cannot register serials for another brand)."""
        from biip.gtin import Gtin

        user = _require(user)
        account = self.account_of(user)
        if may(account, "serials"):
            return user, None
        if not may(account, "catalog_brand"):
            raise NotAllowed(f"{user} may not do this (serials)", "not_allowed")
        with self._lock:
            self._pick_up_changes()
            brands = {r.product_id: r.brand for r in self.catalog.references()}
            info = self.catalog.product_info()
        allowed = set()
        for product_id, details in info.items():
            if owns_brand(account, brands.get(product_id) or ""):
                for gtin in details.gtins:
                    try:
                        allowed.add(Gtin.parse(gtin).as_gtin_14())
                    except Exception:  # a GTIN the catalog holds is checked when entered
                        continue
        return user, frozenset(allowed)

    def _authorize_products(self, user: str | None, product_ids: Iterable[str], new_brand: str = "") -> str:
        """Refuse unless ``user`` may change every product named (its brand is theirs; a product
        not in the catalog yet takes ``new_brand``)."""
        user = _require(user)
        account = self.account_of(user)
        if may(account, "catalog_all"):
            return user
        if not may(account, "catalog_brand"):
            raise NotAllowed(f"{user} may not change the catalog", "not_allowed")
        if new_brand and not owns_brand(account, new_brand):
            raise NotAllowed(f"{user} may not change brand {new_brand}", "not_your_brand", product="—",
                             brand=new_brand)
        with self._lock:
            self._pick_up_changes()
        for product_id in product_ids:
            refs = self.catalog.references(product_id=product_id)
            brand = refs[0].brand if refs else new_brand
            if not owns_brand(account, brand or ""):
                raise NotAllowed(f"{user} may not change {product_id} ({brand})", "not_your_brand",
                                 product=product_id, brand=brand or "—")
        return user

    def history_scope(self, user: str | None) -> dict | None:
        """What of the History ``user`` may read, as ``History.search`` filters ({} everything,
        None nothing): an inspector their own checks, a supervisor their unit's."""
        account = self.account_of(user)
        if account is None:
            return {} if self.history_is_open else None
        if may(account, "history_all") or (may(account, "history_unit") and not account.unit):
            return {}
        if may(account, "history_unit"):
            return {"unit": account.unit}
        if may(account, "history_own"):
            return {"account": account.name}
        return {} if self.history_is_open else None

    def visible_checks(self, user: str | None, **filters) -> list[CheckRecord]:
        scope = self.history_scope(user)
        if scope is None:
            raise NotAllowed("log in to read the history", "history_login")
        return self.history.search(**filters, **scope)

    def may_see(self, user: str | None, record: CheckRecord | None) -> bool:
        scope = self.history_scope(user)
        if record is None or scope is None:
            return False
        return all(getattr(record, key) == value for key, value in scope.items())

    def may_read_audit(self, user: str | None) -> bool:
        """The audit log names users and review notes: administrators, supervisors and brand
        owners (and everyone where the History is open)."""
        account = self.account_of(user)
        return self.history_is_open or (account is not None and account.role != "inspector")

    def dashboard(self, user: str | None, since: str | None = None, until: str | None = None, place: str = "",
                  product: str = "", inspector: str = "", offset_minutes: int = 0):
        """The unit's figures (``index.storing.dashboard``) for a supervisor (their unit's checks)
        or an administrator (every check): counted by SQLite, never loaded row by row."""
        from index.storing import dashboard

        user = self._authorize(user, "dashboard")
        scope = self.history_scope(user) or {}
        filters = dashboard.Filters(since, until, place or "", product or "", inspector or "", scope.get("unit"),
                                    scope.get("account"), offset_minutes)
        return dashboard.count(self.history.db, filters)

    def dashboard_csv(self, figures, names: dict[str, str]) -> Path:
        """The dashboard's figures as one CSV (a section per figure, headed by its name in
        ``names``), for a spreadsheet; cells made safe from formulas."""
        folder = Path(tempfile.mkdtemp(prefix="dashboard-", dir=self._downloads()))
        path = folder / "dashboard.csv"
        sections = [("per_day", ["day", "verdict", "checks"]), ("flagged_products", ["product", "checks"]),
                    ("flagged_places", ["place", "checks"]),
                    ("per_inspector", ["inspector", "checks", "genuine", "suspicious", "counterfeit", "unknown"]),
                    ("inconclusive_why", ["reason", "checks"])]
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([names.get("total", "total"), figures.total])
            writer.writerow([names.get("inconclusive", "inconclusive"), figures.inconclusive])
            for key, header in sections:
                writer.writerow([])
                writer.writerow([names.get(key, key)])
                writer.writerow(header)
                for row in getattr(figures, key):
                    writer.writerow([spreadsheet_safe(cell) for cell in row])
        return path

    def tuning_state(self) -> dict:
        """Whether a fitting of the model runs in the background (since when, its log's last line)
        and the last one committed (its audit row), for Status and the Catalog tab."""
        from index.importing import tuning

        state = {"running": tuning._background_pid(self.catalog_dir) is not None, "since": None, "progress": "",
                 "last": None}
        if state["running"]:
            try:
                state["since"] = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                               time.gmtime((self.catalog_dir / tuning.PID_NAME).stat().st_mtime))
                lines = (self.catalog_dir / tuning.LOG_NAME).read_text(errors="replace").splitlines()[-20:]
                state["progress"] = next((line.strip()[-160:] for line in reversed(lines) if line.strip()), "")
            except OSError:
                pass
        last = next((e for e in audit.entries(self.catalog_dir, limit=500) if e.action == "tune"), None)
        if last is not None:
            state["last"] = {"at": last.at, "details": last.details}
        return state

    def list_accounts(self, by: str | None) -> list:
        self._authorize(by, "accounts")
        return self.accounts.all() if self.accounts is not None else []

    def manage_account(self, by: str | None, action: str, name: str, role: str = "", password: str = "",
                       unit: str = "", brands: str = ""):
        """An administrator's change to an account: create, reset (the password), disable, enable,
        change (role, unit, brands). Audited with ``by``."""
        by = self._authorize(by, "accounts")
        if self.accounts is None:
            raise AccountError("accounts_off")
        name = (name or "").strip()
        if action == "create":
            return self.accounts.create(by, name, role, password, unit, brands)
        if action == "reset":
            return self.accounts.reset(by, name, password)
        if action in ("disable", "enable"):
            return self.accounts.disable(by, name, action == "disable")
        if action == "change":
            return self.accounts.change(by, name, role, unit, brands)
        raise ValueError(f"unknown account action {action!r}")


def sweep_work_dirs(root: str | Path | None = None) -> int:
    """Remove work folders left by app processes that died without cleaning up (killed, power cut):
    they hold reports with inspectors' photos and notes. Returns how many were removed."""
    removed = 0
    for folder in Path(root or tempfile.gettempdir()).glob(f"{WORK_PREFIX}*"):
        try:
            pid = int((folder / "pid").read_text())
            os.kill(pid, 0)  # still running: not ours to remove
            continue
        except (OSError, ValueError):
            pass
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def _require(user: str | None) -> str:
    if not user:
        raise NotAllowed("log in to change the catalog")
    return user


def _find_uploaded(row, folder: Path):
    """A manifest path that does not exist may name a photo uploaded alongside it: match by name,
    as written or as the upload rewrote it (Gradio drops characters such as <>:"|?*$!{} and trims
    long names: `stall 12: front.jpg` arrives as `stall 12 front.jpg`)."""
    if Path(row.path).exists():
        return row
    from dataclasses import replace

    from gradio_client.utils import strip_invalid_filename_characters

    name = Path(row.path).name
    for candidate in (folder / name, folder / strip_invalid_filename_characters(name)):
        if candidate.exists():
            return replace(row, path=candidate)
    return row


def _as_given(result: dict, staging: Path, written: dict[str, str]) -> dict:
    """A batch result with each photo named as the user gave it (as the manifest wrote it, or its
    path inside the upload), never the server's staging folder (anywhere in the result: photos,
    errors, the words and codes read)."""
    root = staging.resolve()
    prefixes = (str(staging), str(root))

    def given(path: str) -> str:
        if path in written:
            return written[path]
        try:
            return Path(path).resolve().relative_to(root).as_posix()
        except ValueError:
            return Path(path).name

    def walk(value):
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str) and (value in written or value.startswith(prefixes)):
            return given(value)
        return value

    result = walk(result)
    if result.get("regions") and result["regions"].get("photo"):  # kept in the history: its name
        result["regions"] = dict(result["regions"], photo=Path(result["regions"]["photo"]).name)
    aligned = (result.get("evidence") or {}).get("alignment")
    if aligned and aligned.get("photo"):  # the print comparison's photo, kept in the history: its name
        result["evidence"] = dict(result["evidence"], alignment=dict(aligned, photo=Path(aligned["photo"]).name))
    return result


def _with_progress(verdicts, total: int, progress):
    for done, verdict in enumerate(verdicts, 1):
        if progress is not None:
            progress(done, total)
        yield verdict


__all__ = ["BatchResult", "LimitExceeded", "NotAllowed", "Service", "UploadError"]


def _store_line(stats: dict) -> str:
    if stats["vector_store"] == "milvus":
        return f"Milvus {stats['milvus_uri']} · {stats['milvus_collection']}"
    return "FAISS · vectors.faiss"
