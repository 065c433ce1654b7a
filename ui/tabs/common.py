"""What every tab of the page shares: the page under construction (``Page``: the service, the
language switch's list of words to rewrite, who the request's user is) and the small helpers that
turn input into arguments and errors into sentences. A tab module (``ui.tabs.verify`` …) lays out
one tab and wires its events; ``app.py`` only assembles the tabs; ``ui.service`` does the work."""

from __future__ import annotations

import html
import json
import re
import tempfile
from pathlib import Path

import gradio as gr
import pandas as pd

from index.storing.history import SOURCES
from index.verdict import OUTCOMES
from ui.i18n import outcome, t, timezone_name
from ui.limits import LimitExceeded
from ui.render import badge_html, evidence_items, side_by_side_html
from ui.sessions import address_of, token_of

#: Browsing (History, catalog tables, Status, login): quick, not through the queue, so it never
#: waits behind checks nor counts against a client's queue allowance (ui.fairness).
BROWSE = dict(api_visibility="private", queue=False)

#: The password goes from the page to /session/login (which sets the HttpOnly session cookie), never
#: through Gradio's queue; the Python handler after it only learns how the login went.
LOGIN_JS = """
async (name, password, language) => {
  let outcome = "login_failed";
  try {
    const response = await fetch(new URL("session/login", window.location.href), {
      method: "POST", credentials: "same-origin", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({name: name, password: password})});
    outcome = (await response.json()).outcome || outcome;
  } catch (error) {}
  return [name, outcome, language];
}
"""
LOGOUT_JS = """
async (language) => {
  try { await fetch(new URL("session/logout", window.location.href), {method: "POST", credentials: "same-origin"}); }
  catch (error) {}
  return [language];
}
"""


#: A product field as the reader's language names it (index.storing.editing.FieldTooLong).
PRODUCT_FIELDS = {"name": "field_name", "brand": "field_brand", "label_text": "field_label_text", "gtins": "field_gtins",
                  "product_id": "product_id", "view": "view"}
FIELD_LABELS = {"claimed": "claimed_short", "inspector": "col_inspector", "notes": "col_notes", "case_id": "col_case"}


def user_error(exc: BaseException | str, language: str = "en") -> str:
    """An error as a sentence for the page, in its language where the error is a refused file
    (``ui.i18n.file_error``): the server's temporary folders cut down to the file's own name, and
    nothing in it rendered as HTML (a manifest's cells come from the uploader)."""
    from ui.i18n import file_error

    said = file_error(exc, language) if isinstance(exc, BaseException) else None
    text = said if said is not None else exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    temp = re.escape(tempfile.gettempdir().rstrip("/"))
    text = re.sub(temp + r"/[^\s:'\"]*/([^/\s:'\"]+)", r"\1", str(text))
    return html.escape(text).replace("\n", "<br>")  # a toast is HTML: each problem of a file on its own line


def _plain(*lines: str) -> str:
    """Sentences shown as text in an HTML component: every character escaped (a file name or a
    code read from a photo is never markup), one paragraph a line."""
    return "".join(f'<p class="plain">{html.escape(line)}</p>' for line in lines if line)


#: A code's text is shown up to this many characters (a GTIN has 14; the rest of a long payload
#: is a counterfeiter's to write, not the inspector's to read).
CODE_SHOWN_CHARS = 64


def _code_text(text: str) -> str:
    """What a barcode says, for a sentence: printable characters only, cut at ``CODE_SHOWN_CHARS``."""
    text = "".join(c if c.isprintable() else " " for c in text or "")
    return text if len(text) <= CODE_SHOWN_CHARS else text[:CODE_SHOWN_CHARS] + "…"


def added_words(summary, product: str, language: str) -> str:
    """What an addition of photos did, in the reader's words: how many were added to which product,
    and how many were already there, only when some were (a helper's walk: "Đã thêm 0 ảnh mẫu cho …
    (1 ảnh đã có sẵn)" and "(0 ảnh đã có sẵn)" after every addition)."""
    key = "added_none" if summary.added == 0 else "added_ref" if summary.added == 1 else "added_refs"
    said = t(key, language, added=summary.added, product=product or "—")
    if summary.already_present:
        said += " " + t("added_present", language, present=summary.already_present)
    return said


def _os_sentence(exc: OSError, language: str = "en") -> str:
    """An OS error as a sentence in the reader's language: the file's own name (no server path),
    what happened and who can act on it (a file gone: upload it again; no right to it or a full
    disk: the administrator)."""
    import errno

    name = Path(str(exc.filename)).name if exc.filename else ""
    if exc.errno == errno.ENOENT:
        key = "os_not_found"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        key = "os_denied"
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        key = "os_no_space"
    else:
        key = "os_other"
    text = t(key, language, file=name, reason=(exc.strerror or type(exc).__name__).lower())
    if not name and text.startswith(": "):  # no file named: the sentence alone
        text = text[2].upper() + text[3:]
    return text


def _error(message: str, language: str, lasting: bool = False) -> gr.Error:
    """An error toast in the reader's language, title included (Gradio's own says "Error"); the
    message is the user's to act on, not a fault of the server, so no traceback is logged.
    ``lasting``: it stays until closed (a refused file's problems are a list to fix the file by;
    Gradio's 10 seconds took it away before it was read)."""
    return gr.Error(message, title=t("error_title", language), print_exception=False,
                    duration=None if lasting else 10)


def refusal(exc, language: str) -> str:
    """A refusal of ``ui.service`` (``NotAllowed``) or ``ui.accounts`` (``AccountError``) as a
    sentence in the reader's language."""
    return t(exc.key, language, **exc.args_)


def _limit_message(exc: LimitExceeded, language: str) -> str:
    args = dict(exc.args_)
    if "field" in args:
        args["field"] = t(FIELD_LABELS.get(args["field"], args["field"]), language)
    return t(exc.key, language, **args)


def _similar_id(product_id: str, known: list[str]) -> str | None:
    """The catalog product id that a new id is most likely a typing mistake of, or None: compared
    without case and punctuation ("Oatly-Oatmilk" and "Oatly-Oat-Milk" are the same letters)."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    def letters(text: str) -> str:
        return re.sub(r"[\W_]+", "", text.casefold())

    match = process.extractOne(letters(product_id), {pid: letters(pid) for pid in known if pid != product_id},
                               scorer=Levenshtein.normalized_similarity, score_cutoff=0.75)
    return match[2] if match else None


#: Every upload (its elem_id) and the files its picker offers (a phone opens its camera or gallery
#: for photos). Set on the file input in the browser (``PHOTO_PICKER_JS``) rather than as Gradio's
#: ``file_types``: with those, Gradio refuses another file in the browser with an English toast and a
#: bare "Error" on the upload box (issue 26: a PDF on the Vietnamese page); without them, the file
#: reaches the server and is named with its reason in the page's language (``photo_problems``,
#: ``ui.i18n.file_error``).
PHOTO_UPLOADS = {"photos": "image/*,.heic,.heif", "add-photos": "image/*,.heic,.heif",
                 "batch-files": "image/*,.heic,.heif,.zip", "batch-manifest": ".csv",
                 "import-manifest": ".csv", "import-files": "image/*,.heic,.heif,.zip", "serials-file": ".csv",
                 "check-report-file": ".html,.json"}
PHOTO_PICKER_JS = """
() => {
  const accepts = %s;
  const accept = () => Object.entries(accepts).forEach(([id, types]) =>
    document.querySelectorAll(`#${id} input[type=file]:not([accept])`)
      .forEach((input) => input.setAttribute("accept", types)));
  accept();
  new MutationObserver(accept).observe(document.body, {childList: true, subtree: true});
}
""" % json.dumps(PHOTO_UPLOADS)


def photo_problems(paths: list[str], language: str) -> dict[str, str]:
    """Each uploaded file that is plainly not a photo (a PDF, a saved web page, an empty file) ->
    a sentence with its name, the reason and what to do, in the reader's language."""
    from vision import UnreadableImage, identify
    from ui.i18n import photo_problem

    problems = {}
    for path in paths:
        try:
            identify(path)
        except UnreadableImage as exc:
            problems[path] = t("not_a_photo", language, name=Path(path).name, reason=photo_problem(exc.reason, language))
    return problems


def photos_usable(paths: list[str], language: str) -> str:
    """What stops a check or an addition of photos before it starts, as a sentence beside the
    upload (empty when nothing does): no file, or no file that is a photo. Photos with a file
    that is not one go ahead; the outcome names that file and its reason."""
    if not paths:
        return t("need_photo", language)
    problems = photo_problems(paths, language)
    return " ".join(problems.values()) if len(problems) == len(paths) else ""


def _paths(files) -> list[str]:
    return [f if isinstance(f, str) else f.name for f in (files or [])]


def _ids(text: str | None) -> list[int]:
    """Image ids typed or picked: "12, 15 17" -> [12, 15, 17] (ValueError on anything else)."""
    ids = []
    for part in (text or "").replace(",", " ").split():
        value = int(part.lstrip("#"))
        if value not in ids:
            ids.append(value)
    return ids


def _frame(rows: list[list], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def api_result(result: dict, check_id: int | None = None) -> dict:
    """A verdict as the API returns it: the fields of ``verify.py`` and the check's number, with
    photos named as they were uploaded. No key is called ``path``: Gradio would take such a dict for
    a file and send the photo instead of the verdict."""
    data = {k: v for k, v in result.items() if k != "path"}
    data["photos"] = [Path(p).name for p in result.get("photos") or []]
    data["errors"] = [{"photo": Path(e.get("path") or "").name, "reason": e.get("reason", "")}
                      for e in result.get("errors") or []]
    if data.get("regions"):
        data["regions"] = {k: v for k, v in data["regions"].items() if k != "photo"}
    if check_id is not None:
        data["check_id"] = check_id
    return data


# Options shown in words of the reader's language; the values stay the stored English keys.
def verdict_choices(language: str) -> list[tuple[str, str]]:
    return [(t("any_verdict", language), "")] + [(outcome(v, language), v) for v in OUTCOMES]


def review_choices(language: str) -> list[tuple[str, str]]:
    return [(outcome(v, language), v) for v in OUTCOMES]


def source_choices(language: str) -> list[tuple[str, str]]:
    return [(t("any_source", language), "")] + [(t("source_" + s, language), s) for s in SOURCES]


def add_as_choices(language: str) -> list[tuple[str, str]]:
    return [(t("review_add_none", language), "none"), (t("label_genuine", language), "genuine"),
            (t("label_counterfeit", language), "counterfeit")]


def serial_kind_choices(language: str) -> list[tuple[str, str]]:
    return [(t("serials_kind_issued", language), "issued"), (t("serials_kind_decommission", language), "decommission")]


def label_choices(language: str) -> list[tuple[str, str]]:
    return [(t("label_genuine", language), "genuine"), (t("label_counterfeit", language), "counterfeit")]


def utc_window(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """History's date filter: days in the deployment's time zone (``2026-12-01`` or ``01/12/2026``),
    ``until`` included, as a UTC range; raises ValueError for a date it cannot read."""
    from datetime import datetime, timedelta, timezone
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(timezone_name())
    except (ZoneInfoNotFoundError, ValueError):
        zone = timezone.utc

    def day(text: str | None) -> datetime | None:
        text = (text or "").strip()
        if not text:
            return None
        for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
            try:
                return datetime.strptime(text, pattern).replace(tzinfo=zone)
            except ValueError:
                continue
        raise ValueError(text)

    def utc(moment: datetime | None) -> str | None:
        return None if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    start, end = day(since), day(until)
    return utc(start), utc(None if end is None else end + timedelta(days=1))



class Page:
    """The page being built: what the language switch rewrites (``tr``), the service, and the
    questions every tab asks of a request (who is logged in, who may read the History)."""

    def __init__(self, service, language=None):
        self.service = service
        self.catalog = service.catalog
        #: (component, text key, attribute, format): what the language switch rewrites
        self.localized: list[tuple] = []
        #: (component, language -> choices): radios and dropdowns whose options are words
        self.localized_choices: list[tuple] = []
        #: the language radio (set once it is drawn)
        self.language = language

    def tr(self, component, key: str, attr: str = "label", fmt: str = "{}"):
        self.localized.append((component, key, attr, fmt))
        return component

    def session_user(self, request) -> str | None:
        return self.service.sessions.user(token_of(request))

    def history_open(self, request) -> bool:
        """Who may see (some of) the History: its checks hold inspectors' names, notes, case ids and
        photos. Logged-in users whose role reads checks (``Service.history_scope``); everyone where
        no user is configured (a single-user laptop) or VERIFIER_OPEN_HISTORY=1 says so."""
        return self.service.history_scope(self.session_user(request)) is not None

    def anonymous_client(self, request) -> str:
        """The address of a client that is not logged in (its kept photos count against the
        anonymous quotas), or "" for a logged-in user."""
        return "" if self.session_user(request) else address_of(request)

    def show_check(self, record, language):
        service, catalog = self.service, self.catalog
        result = record.result
        genuine = evidence_items(catalog, result, language, "genuine")
        fakes = evidence_items(catalog, result, language, "counterfeit")
        compared = side_by_side_html(catalog, result, [(p.path, p.name) for p in record.photos], language)
        html_path, json_path = service.report_files(record, language)
        return (badge_html(result, language, record.quality, record.check_id), compared, genuine,
                fakes, str(html_path), str(json_path),
                json.dumps(record.to_dict(), indent=2, ensure_ascii=False))

    @staticmethod
    def fakes_gallery_shown(items):
        """The known-fakes gallery, when there is more to see than the side by side shows (its
        nearest fake): a single fake is not repeated as one large picture."""
        return gr.update(visible=bool(items) and len(items) > 1)
