"""The Catalog tab: products and references browsed, added, edited, removed and restored;
registers of serials; calibration and the audit log."""

from __future__ import annotations

import inspect
from pathlib import Path

import gradio as gr

from index.storing.accounts import AccountError
from index.storing.editing import FieldTooLong
from index.problems import Problem
from ui.service import NotAllowed
from ui.i18n import TEXT, local_time, number, outcome, photo_problem, t, zone_words
from ui.render import serial_register_html, view_words
from ui.tabs.common import refusal
from ui.tabs.common import (BROWSE, PRODUCT_FIELDS, Page, _error, _frame, _ids, _os_sentence, added_words,
                            _paths, _similar_id, label_choices, photos_usable, serial_kind_choices, user_error)


#: The audit details a person reads, in their words: the key, and how its values are said.
AUDIT_KEYS = ("products", "labels", "photos", "check_id", "was", "now", "note", "already_present", "unreadable",
              "product_id", "image_ids", "name", "role", "unit", "brands", "file", "manifest", "mode",
              "false_alarm_rate", "trained_on")


def audit_words(details: str, language: str = "en") -> str:
    """An audit row's details as a line a person reads ("name: tim · role: inspector"), not JSON,
    in the reader's language: the keys a page knows (``AUDIT_KEYS``) and the labels, verdicts and
    roles among the values (a helper's walk: "check id: 10 · was: unknown" on a Vietnamese page)."""
    import json

    try:
        data = json.loads(details)
    except (TypeError, ValueError):
        return str(details)
    if not isinstance(data, dict):
        return str(data)

    def value(key, v):
        if isinstance(v, list):
            return ", ".join(value(key, x) for x in v[:12]) + (" …" if len(v) > 12 else "")
        if isinstance(v, dict):
            return ", ".join(f"{k} {value(k, x)}" for k, x in v.items())
        if key == "labels" and f"label_{v}" in TEXT:
            return t(f"label_{v}", language)
        if key in ("was", "now") and isinstance(v, str) and f"outcome_{v}" in TEXT:
            return outcome(v, language)
        if key == "role" and isinstance(v, str) and f"role_{v}" in TEXT:
            return t(f"role_{v}", language)
        return str(v)

    def said(key):
        return t(f"audit_key_{key}", language) if key in AUDIT_KEYS else key.replace("_", " ")

    return " · ".join(f"{said(k)}: {value(k, v)}" for k, v in data.items() if v not in (None, "", [], {}))


def known_fakes_words(fakes: dict | None, language: str) -> str:
    """What a product's known-fakes model did to its own references, out of fold, in words: how
    many seized fakes, the share it would call counterfeit, the share of genuine photos clear of
    them (the green badge needs it); a brand's model says so (its fakes are other products')."""
    if not fakes:
        return t("known_fakes_none", language)
    if "model" not in fakes:  # filed, too few for a model: no green badge until more are
        from index.judging.authenticity import MIN_FAKES

        return t("known_fakes_too_few", language, fakes=fakes.get("filed", 0), needed=MIN_FAKES)

    def whole_percent(share: float | None) -> str:  # never "100%" for less than all, nor "0%" for some
        value = round(100 * (share or 0.0))
        value = min(value, 99) if (share or 0.0) < 1.0 else value
        return number(max(value, 1) if (share or 0.0) > 0.0 else value, language, 0)

    model = fakes.get("model", "")
    key = "known_fakes_brand" if model.startswith("brand:") else "known_fakes_own"
    return t(key, language, fakes=fakes.get("fakes", 0), caught=whole_percent(fakes.get("fakes_caught")),
             clear=whole_percent(fakes.get("genuine_clear")), brand=fakes.get("brand") or model.removeprefix("brand:"))


def gtin_problems(text: str | None, language: str) -> list[str]:
    """What is wrong with each GTIN typed in a Catalog form, as sentences in the reader's language
    (the service refuses the same GTINs, in English, for any other route): not a number, a
    length no GTIN has, or a wrong check digit with the digit it should be (``index.problems``)."""
    from index.importing.manifests import parse_gtins
    from ui.i18n import file_problem

    _, problems = parse_gtins(text or "")
    return [file_problem(problem, language) for problem in dict.fromkeys(problems)]


def form_checked(count: int, gtins: int, photos: int | None = None):
    """A validator for a Catalog form of ``count`` inputs (the page's language last) whose GTIN box
    is input ``gtins`` (and upload of photos input ``photos``): what is wrong is said beside the box
    before anything is saved, once per press (issue 26: a wrong check digit showed two identical
    English toasts)."""
    def validate(*inputs):
        language = inputs[-1]
        messages = {}
        problems = gtin_problems(inputs[gtins], language)
        if problems:
            messages[gtins] = " ".join(problems + [t("nothing_saved", language)])
        if photos is not None and (message := photos_usable(_paths(inputs[photos]), language)):
            messages[photos] = message
        return [gr.validate(i not in messages, messages.get(i, "")) for i in range(count)]
    return validate


def build(page: Page, **shared):
    """Lay out the tab inside the page's ``gr.Tabs`` and wire its events; returns what other tabs and the page use."""
    service = page.service
    catalog = page.catalog
    tr = page.tr
    localized = page.localized
    localized_choices = page.localized_choices
    language = page.language
    session_user = page.session_user

    claimed = shared['claimed']
    def products_table(query, language):
        return _frame(service.products(query), [t("product_id", language), t("product_name", language),
                                                t("brand", language), t("col_genuine", language),
                                                t("col_counterfeit", language)])

    def show_references(product_id, language):
        refs = service.references(product_id)
        items, shown = [], []
        for ref in refs:
            thumb = catalog.thumbnail_path(ref.sha256)
            if thumb.is_file():
                items.append((str(thumb), f"#{ref.image_id} · {t('label_' + ref.label, language)}"
                                          + (f" · {view_words(ref.view, language)}" if ref.view else "")))
                shown.append(ref.image_id)
        rows = [[r.image_id, t("label_" + r.label, language), view_words(r.view, language) if r.view else "", r.name, r.brand, Path(r.source_path).name,
                 local_time(r.added_at, language, short=True)] for r in refs]
        return items, _frame(rows, [t("col_image", language), t("label", language), t("view", language),
                                    t("product_name", language), t("brand", language), t("col_file", language),
                                    t("col_added", language, zone=zone_words(language))]), shown

    def show_product(product_id, language):
        """The product's references (gallery and table) and its details in the edit form."""
        items, table, shown = show_references(product_id, language)
        details = service.product_details(product_id) or {}
        return (items, table, shown, details.get("name", ""), details.get("brand", ""),
                details.get("label_text", ""), details.get("gtins", ""), product_id or None)

    def pick_reference(shown, ids_text, language, evt: gr.SelectData):
        """A click on a reference photo adds its id to the removal box (a second click takes it out)."""
        if evt.index is None or not shown or evt.index >= len(shown):
            return gr.update(), gr.update()
        ids = _ids(ids_text)
        image_id = shown[evt.index]
        ids = [i for i in ids if i != image_id] if image_id in ids else ids + [image_id]
        text = ", ".join(map(str, ids))
        return text, t("picked", language, ids=text or "—")

    def guarded(action):
        """Run a catalog change for the logged-in user; errors become messages a person can act on."""
        def handler(*args):
            *inputs, request = args  # Gradio passes the request last (the signature below says so)
            language = inputs[-1]
            user = session_user(request)
            if not user:
                raise _error(t("need_login", language), language)
            try:
                return action(user, *inputs)
            except (NotAllowed, AccountError) as exc:  # a role's limit: said, never a traceback
                raise _error(refusal(exc, language), language) from None
            except FieldTooLong as exc:
                raise _error(t("product_field_too_long", language, field=t(PRODUCT_FIELDS[exc.field], language),
                               length=exc.length, limit=exc.limit), language) from None
            except (ValueError, KeyError, RuntimeError) as exc:
                raise _error(user_error(exc, language), language, lasting=True) from None
            except OSError as exc:
                raise _error(user_error(_os_sentence(exc, language)), language) from None
        # Gradio finds special arguments by signature and type hints: the action's inputs, then the request
        inputs = list(inspect.signature(action).parameters.values())[1:]
        handler.__signature__ = inspect.Signature(
            inputs + [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=gr.Request)])
        handler.__annotations__ = {"request": gr.Request}
        return handler

    @guarded
    def add_photos(user, files, product_id, name, brand, label, view, label_text, gtins, language):
        """A new product in one step (issue 26: its label text and GTINs needed Add, then Edit): the
        GTINs' check digits verified before any photo is added, then the photos, then the text."""
        from index.importing.manifests import parse_gtins

        known = [pid for _, pid in service.product_choices()]
        if (gtins or "").strip():
            _, problems = parse_gtins(gtins)
            if problems:
                raise ValueError("; ".join(problems) + " (nothing was saved)")
        summary = service.add_references(user, _paths(files), product_id, label, name or "", brand or "", view or "")
        # what the genuine package says and its GTINs: never from a photo of a fake
        if summary.added and label == "genuine" and ((label_text or "").strip() or (gtins or "").strip()):
            service.edit_product(user, product_id, label_text=(label_text or "").strip() or None,
                                 gtins=(gtins or "").strip() or None)
        message = _import_message(summary, language, product_id)
        product_id = (product_id or "").strip()
        if summary.added and product_id not in known:
            # a free-text id: a typing mistake would quietly start a product of its own
            similar = _similar_id(product_id, known)
            message += "\n\n" + (t("new_product_similar", language, product=product_id, similar=similar) if similar
                                 else t("new_product", language, product=product_id))
        return message

    @guarded
    def import_products(user, manifest, files, language):
        if not manifest:
            raise ValueError(Problem("upload_manifest_csv", "upload a products manifest (CSV)"))
        summary = service.import_manifest(user, manifest if isinstance(manifest, str) else manifest.name, _paths(files))
        return _import_message(summary, language, "")

    def ask_remove_refs(ids_text, language):
        """First step of a removal: say what would go, and wait for a yes."""
        try:
            ids = _ids(ids_text)
        except ValueError:
            raise _error(t("bad_ids", language, text=ids_text), language) from None
        if not ids:
            raise _error(t("no_ids", language), language)
        known = catalog.references_by_id(ids)
        missing = sorted(set(ids) - set(known))
        if missing:
            raise _error(t("unknown_ids", language, ids=", ".join(f"#{i}" for i in missing)), language)
        products = ", ".join(sorted({r.product_id for r in known.values()}))
        sentence = t("confirm_remove_refs", language, count=len(ids), ids=", ".join(f"#{i}" for i in ids),
                     products=products)
        return {"refs": ids}, gr.update(value=f"**{sentence}**"), gr.update(visible=True)

    def ask_remove_product(product_id, language):
        product_id = (product_id or "").strip()
        refs = service.references(product_id)
        if not refs:
            raise _error(t("unknown_product", language, product=product_id or "—"), language)
        sentence = t("confirm_remove_product", language, product=product_id, count=len(refs))
        return {"product": product_id}, gr.update(value=f"**{sentence}**"), gr.update(visible=True)

    def cancel_removal(language):
        return None, t("removal_cancelled", language), gr.update(visible=False)

    @guarded
    def confirm_removal(user, pending, language):
        if not pending:
            raise ValueError("nothing to remove: choose references or a product first")
        if "refs" in pending:
            removed = service.remove_references(user, pending["refs"])
        else:
            removed = service.remove_product(user, pending["product"])
        return None, t("removed", language, removed=removed), gr.update(visible=False)

    @guarded
    def undo_removal(user, language):
        last = service.last_removal() or {}
        summary = service.undo_last_removal(user)
        return t("undone", language, added=summary.added, products=", ".join(last.get("products", [])) or "—")

    def undo_state(language):
        """The undo button, offered while there is a removal to undo."""
        last = service.last_removal()
        if not last:
            return gr.update(visible=False), ""
        return gr.update(visible=True), t("undo_what", language, count=last["references"],
                                          products=", ".join(last["products"]))

    @guarded
    def save_product(user, product_id, name, brand, label_text, gtins, language):
        changed = service.edit_product(user, product_id, name, brand, label_text, gtins)
        if not changed:
            return t("product_unchanged", language, product=product_id)
        fields = ", ".join(t("field_" + f, language) for f in changed)
        return t("product_saved", language, product=product_id, fields=fields)

    def _import_message(summary, language, product_id):
        message = added_words(summary, product_id, language)
        if summary.unreadable:
            message += "\n" + "\n".join(f"- {Path(p).name}: {photo_problem(reason, language)}"
                                        for p, reason in summary.unreadable)
        if summary.thin_products:
            from index.judging.messages import thin_catalog_sentence

            message += "\n\n" + thin_catalog_sentence(summary, language)
        return message

    def import_serials(path, kind, language, request: gr.Request, progress=gr.Progress()):
        """A register of serials (or a list of serials sold or checked), for a logged-in brand owner."""
        user = session_user(request)
        if not user:
            raise _error(t("need_login", language), language)
        try:
            done = service.import_serials(user, path, kind == "decommission",
                                          lambda read, size: progress((read, size), unit="bytes"))
        except (NotAllowed, AccountError) as exc:
            raise _error(refusal(exc, language), language) from None
        except (ValueError, KeyError, RuntimeError, OSError) as exc:
            raise _error(user_error(exc, language), language, lasting=True) from None
        message = t("serials_marked", language, file=done.file, marked=done.marked) if kind == "decommission" else \
            t("serials_imported", language, file=done.file, new=done.new, updated=done.updated, rows=done.rows,
              seconds=number(done.seconds, language, 1))
        return serial_register_html(service.serial_register(), language, message)

    @guarded
    def add_stamp(user, template, language):
        added = service.add_stamp_pattern(user, template)
        message = t("stamp_added", language, template=template.strip()) if added else t("stamp_known", language)
        return serial_register_html(service.serial_register(), language, message)

    def calibration_table(language):
        """How each product is calibrated, in words a brand owner reads."""
        rows = []
        pct = 100 * (1 - service.verifier.policy.false_alarm_rate)
        for product, references, sessions, level, more, fakes in service.calibration_rows():
            meaning = t("calibration_own", language, pct=pct) if level == "product" else \
                t("calibration_thin", language, more=more) if level == "thin" else \
                t("calibration_add", language, more=more)
            rows.append([product, references, sessions, t("level_" + level, language) if "level_" + level in TEXT
                         else level, meaning, known_fakes_words(fakes, language)])
        return _frame(rows, [t("product_id", language), t("references", language), t("col_sessions", language),
                             t("col_calibrated_on", language), t("col_meaning", language),
                             t("col_known_fakes", language)])

    def audit_table(language, request: gr.Request = None):
        """Who changed what, when: user names and review notes, so for those who may read the
        History (issue 25: page_data and this table served it to every visitor)."""
        if not service.may_read_audit(session_user(request)):
            return _frame([[t("audit_login", language)]], [t("audit_title", language)])
        rows = [[entry_id, local_time(at, language, short=True), t("audit_app_start", language) if user == "app start" else user,
                 t("action_" + action, language) if "action_" + action in TEXT else action,
                 audit_words(details, language)]
                for entry_id, at, user, action, details in service.audit_rows()]
        return _frame(rows, ["#", t("col_at", language, zone=zone_words(language)), t("username", language), t("col_action", language),
                             t("col_details", language)])

    def claim_choices():
        return gr.update(choices=service.product_choices())

    def catalog_choices():
        """The claim box and the catalog tab's product pickers read the catalog now."""
        choices = service.product_choices()
        return gr.update(choices=choices), gr.update(choices=choices), gr.update(choices=choices)

    with tr(gr.Tab(t("tab_catalog"), id="catalog"), "tab_catalog"):
        tuning_note = gr.Markdown(elem_id="catalog-tuning")  # a fitting of the model, when one runs
        with gr.Row():
            product_query = tr(gr.Textbox(label=t("product_search"), scale=3), "product_search")
            product_search = tr(gr.Button(t("search"), scale=1), "search", "value")
        products = tr(gr.Dataframe(products_table("", "en"), label=t("products_table"), interactive=False,
                                   elem_id="products-table"), "products_table")
        with gr.Row():
            product_to_show = tr(gr.Dropdown(service.product_choices(), value=None, label=t("product_to_show"),
                                             filterable=True, allow_custom_value=True, scale=3,
                                             elem_id="product-to-show"), "product_to_show")
            show_button = tr(gr.Button(t("show"), scale=1, elem_id="show-button"), "show", "value")
        shown_ids = gr.State([])
        ref_gallery = tr(gr.Gallery(label=t("references"), columns=6, height="auto", allow_preview=False,
                                    elem_classes=["fit-gallery"],
                                    elem_id="ref-gallery"), "references")
        picked_note = gr.Markdown(elem_id="picked-note")  # a photo picked for removal, said under the photos
        ref_table = tr(gr.Dataframe(show_references("", "en")[1], label=t("references_table"),
                                    interactive=False), "references_table")
        with tr(gr.Accordion(t("edit_title"), open=False, elem_id="edit-accordion"), "edit_title"):
            with gr.Row():
                edit_name = tr(gr.Textbox(label=t("product_name"), elem_id="edit-name"), "product_name")
                edit_brand = tr(gr.Textbox(label=t("brand"), elem_id="edit-brand"), "brand")
            edit_label_text = tr(gr.Textbox(label=t("label_text"), lines=2, elem_id="edit-label-text"), "label_text")
            edit_gtins = tr(gr.Textbox(label=t("gtins"), elem_id="edit-gtins"), "gtins")
            edit_button = tr(gr.Button(t("save_product"), elem_id="save-product"), "save_product", "value")
            # each form's outcome right under its button (issue 26: one message far below every form)
            edit_message = gr.Markdown(elem_id="edit-message")
        with tr(gr.Accordion(t("add_title"), open=False, elem_id="add-accordion"), "add_title"):
            add_files = tr(gr.File(label=t("add_photos"), file_count="multiple", type="filepath",
                                   elem_id="add-photos"), "add_photos")  # photos only: PHOTO_PICKER_JS
            with gr.Row():
                add_product = tr(gr.Textbox(label=t("product_id"), elem_id="add-product"), "product_id")
                add_name = tr(gr.Textbox(label=t("product_name")), "product_name")
                add_brand = tr(gr.Textbox(label=t("brand")), "brand")
            with gr.Row():
                add_label = tr(gr.Radio(label_choices("en"), value="genuine", label=t("label")), "label")
                localized_choices.append((add_label, label_choices))
                add_view = tr(gr.Textbox(label=t("view")), "view")
            with gr.Row():
                add_label_text = tr(gr.Textbox(label=t("label_text"), lines=2, elem_id="add-label-text"), "label_text")
                add_gtins = tr(gr.Textbox(label=t("gtins"), elem_id="add-gtins"), "gtins")
            add_button = tr(gr.Button(t("add"), variant="primary", elem_id="add-button"), "add", "value")
            add_message = gr.Markdown(elem_id="add-message")
        with tr(gr.Accordion(t("import_title"), open=False, elem_id="import-accordion"), "import_title"):
            import_manifest = tr(gr.File(label=t("import_manifest"), type="filepath", elem_id="import-manifest"),
                                 "import_manifest")  # a CSV: PHOTO_PICKER_JS, ui.i18n.file_error
            import_files = tr(gr.File(label=t("import_files"), file_count="multiple", type="filepath",
                                      elem_id="import-files"), "import_files")  # photos or zips: PHOTO_PICKER_JS
            import_button = tr(gr.Button(t("import"), elem_id="import-button"), "import", "value")
            import_message = gr.Markdown(elem_id="import-message")
        with tr(gr.Accordion(t("serials_title"), open=False, elem_id="serials-accordion"), "serials_title"):
            serials_help = gr.Markdown(t("serials_help"))
            localized.append((serials_help, "serials_help", "value", "{}"))
            with gr.Row():
                serials_file = tr(gr.File(label=t("serials_file"), type="filepath",  # a CSV: PHOTO_PICKER_JS
                                          elem_id="serials-file"), "serials_file")
                serials_kind = tr(gr.Radio(serial_kind_choices("en"), value="issued", label=t("serials_kind")),
                                  "serials_kind")
                localized_choices.append((serials_kind, serial_kind_choices))
            serials_button = tr(gr.Button(t("serials_import"), elem_id="serials-import"), "serials_import",
                                "value")
            with gr.Row():
                stamp_template = tr(gr.Textbox(label=t("stamp_template"), scale=3), "stamp_template")
                stamp_button = tr(gr.Button(t("stamp_add"), scale=1), "stamp_add", "value")
            serials_status = gr.HTML(elem_id="serials-status")
        with tr(gr.Accordion(t("remove_title"), open=False, elem_id="remove-accordion"), "remove_title"):
            with gr.Row():
                remove_ids = tr(gr.Textbox(label=t("remove_ids"), scale=3, elem_id="remove-ids"), "remove_ids")
                remove_ids_button = tr(gr.Button(t("remove_refs"), variant="stop", scale=1,
                                                 elem_id="remove-refs"), "remove_refs", "value")
            with gr.Row():
                remove_pid = tr(gr.Dropdown(service.product_choices(), value=None, label=t("remove_product"),
                                            filterable=True, allow_custom_value=True, scale=3),
                                "remove_product")
                remove_pid_button = tr(gr.Button(t("remove_product_button"), variant="stop", scale=1),
                                       "remove_product_button", "value")
        pending_removal = gr.State(None)
        with gr.Group(visible=False, elem_id="confirm-removal") as confirm_box:
            confirm_text = gr.Markdown()
            with gr.Row():
                confirm_button = tr(gr.Button(t("confirm_yes"), variant="stop", elem_id="confirm-yes"),
                                    "confirm_yes", "value")
                cancel_button = tr(gr.Button(t("cancel"), elem_id="confirm-cancel"), "cancel", "value")
        # a removal's outcome where its confirmation was, the undo under it
        change_message = gr.Markdown(elem_id="change-message")
        with gr.Row():
            undo_text = gr.Markdown(elem_id="undo-text")
            undo_button = tr(gr.Button(t("undo_removal"), visible=False, elem_id="undo-removal"),
                             "undo_removal", "value")
        with tr(gr.Accordion(t("calibration_title"), open=False), "calibration_title"):
            calibration = gr.Dataframe(calibration_table("en"), interactive=False, wrap=True, elem_id="calibration-table",
                                       column_widths=["210px", "90px", "90px", "130px", "270px", "320px"])
        with tr(gr.Accordion(t("audit_title"), open=False), "audit_title"):
            audit_refresh = tr(gr.Button(t("refresh"), elem_id="audit-refresh"), "refresh", "value")
            audit = gr.Dataframe(audit_table("en"), interactive=False, wrap=True, elem_id="audit-table")

        private = dict(api_visibility="private")
        product_search.click(products_table, [product_query, language], products, **BROWSE)
        product_query.submit(products_table, [product_query, language], products, **BROWSE)
        shown_product = [ref_gallery, ref_table, shown_ids, edit_name, edit_brand, edit_label_text, edit_gtins,
                         remove_pid]
        show_button.click(show_product, [product_to_show, language], shown_product, **BROWSE)
        product_to_show.input(show_product, [product_to_show, language], shown_product, **BROWSE)
        ref_gallery.select(pick_reference, [shown_ids, remove_ids, language], [remove_ids, picked_note],
                           **BROWSE)
        change = dict(concurrency_id="change", concurrency_limit=1, **private)
        after_change = [(products_table, [product_query, language], products),
                        (calibration_table, [language], calibration), (audit_table, [language], audit),
                        (show_references, [product_to_show, language], [ref_gallery, ref_table, shown_ids]),
                        (undo_state, [language], [undo_button, undo_text])]
        remove_ids_button.click(ask_remove_refs, [remove_ids, language],
                                [pending_removal, confirm_text, confirm_box], **BROWSE)
        remove_pid_button.click(ask_remove_product, [remove_pid, language],
                                [pending_removal, confirm_text, confirm_box], **BROWSE)
        cancel_button.click(cancel_removal, [language], [pending_removal, change_message, confirm_box],
                            **BROWSE)
        confirmed = confirm_button.click(confirm_removal, [pending_removal, language],
                                         [pending_removal, change_message, confirm_box], **change)
        confirmed = confirmed.success(lambda: "", None, remove_ids, **BROWSE)
        # the genuine package's text and GTINs are asked only when genuine photos are added (hidden
        # and emptied for fakes: nothing unseen is checked or saved)
        add_label.change(lambda label: [gr.update(visible=True) if label == "genuine"
                                        else gr.update(visible=False, value="")] * 2,
                         add_label, [add_label_text, add_gtins], **BROWSE)
        for event in (
            add_button.click(add_photos, [add_files, add_product, add_name, add_brand, add_label,
                                          add_view, add_label_text, add_gtins, language], add_message,
                             validator=form_checked(9, gtins=7, photos=0), **change),
            import_button.click(import_products, [import_manifest, import_files, language],
                                import_message, **change),
            confirmed,
            undo_button.click(undo_removal, [language], change_message, **change),
            edit_button.click(save_product, [product_to_show, edit_name, edit_brand, edit_label_text,
                                             edit_gtins, language], edit_message, validator=form_checked(6, gtins=4),
                              **change),
        ):
            for fn, inputs, output in after_change:
                event = event.success(fn, inputs, output, **BROWSE)
            event.success(catalog_choices, None, [claimed, product_to_show, remove_pid], **BROWSE)
        audit_refresh.click(audit_table, [language], audit, **BROWSE)
        for event in (serials_button.click(import_serials, [serials_file, serials_kind, language], serials_status,
                                           **change),
                      stamp_button.click(add_stamp, [stamp_template, language], serials_status, **change)):
            event.success(audit_table, [language], audit, **BROWSE)
    return dict(product_query=product_query, product_to_show=product_to_show, remove_pid=remove_pid, products=products,
                calibration=calibration, audit=audit, undo_button=undo_button, tuning_note=tuning_note,
                undo_text=undo_text, serials_status=serials_status, ref_gallery=ref_gallery, ref_table=ref_table,
                shown_ids=shown_ids, uploads=[add_files, import_manifest, import_files, serials_file],
                catalog_choices=catalog_choices, products_table=products_table,
                calibration_table=calibration_table, audit_table=audit_table,
                undo_state=undo_state, show_references=show_references)
