"""The Users tab: an administrator lists, creates, changes, disables and re-enables the agency's
accounts and resets their passwords (``ui.service.Service.manage_account``, which refuses anyone
else, whatever route the request comes by). Each outcome is said beside the buttons."""

from __future__ import annotations

import gradio as gr

from index.storing.accounts import ROLES, AccountError
from ui.i18n import local_time, t
from ui.service import NotAllowed
from ui.tabs.common import BROWSE, Page, _error, _frame, refusal


def role_choices(language: str) -> list[tuple[str, str]]:
    return [(t("role_" + role, language), role) for role in ROLES]


def build(page: Page, **shared):
    """Lay out the tab inside the page's ``gr.Tabs`` and wire its events; returns what other tabs and the page use."""
    service, tr, localized, language = page.service, page.tr, page.localized, page.language

    def accounts_table(language, request: gr.Request = None):
        user = page.session_user(request)
        if not service.allowed(user, "accounts") or service.accounts is None:
            return _frame([[t("accounts_login", language)]], [t("accounts_table", language)])
        rows = [[a.name, t("role_" + a.role, language), a.unit, ", ".join(a.brands),
                 t("account_disabled_word" if a.disabled else "account_active", language),
                 local_time(a.changed_at, language, short=True)] for a in service.list_accounts(user)]
        return _frame(rows, [t("account_name", language), t("account_role", language), t("account_unit", language),
                             t("account_brands", language), t("account_state", language), t("col_changed", language)])

    def act(action):
        def handler(name, role, unit, brands, password, language, request: gr.Request):
            try:
                account = service.manage_account(page.session_user(request), action, name, role or "", password or "",
                                                 unit or "", brands or "")
            except (NotAllowed, AccountError) as exc:
                raise _error(refusal(exc, language), language) from None
            return t("account_done_" + action, language, name=account.name, role=t("role_" + account.role, language)), ""
        return handler

    # shown to administrators, from login to logout (app.py: ``tabs_shown``)
    with tr(gr.Tab(t("tab_accounts"), id="accounts", elem_id="accounts-tab", visible=False), "tab_accounts") as tab:
        intro = gr.Markdown(t("accounts_intro"))
        localized.append((intro, "accounts_intro", "value", "{}"))
        table = tr(gr.Dataframe(label=t("accounts_table"), interactive=False, wrap=True, elem_id="accounts-table"),
                   "accounts_table")
        with gr.Row():
            name = tr(gr.Textbox(label=t("account_name"), elem_id="account-name", min_width=140), "account_name")
            role = tr(gr.Dropdown(role_choices("en"), value="inspector", label=t("account_role"),
                                  elem_id="account-role", min_width=140), "account_role")
            page.localized_choices.append((role, role_choices))
        with gr.Row():
            unit = tr(gr.Textbox(label=t("account_unit"), elem_id="account-unit", min_width=140), "account_unit")
            brands = tr(gr.Textbox(label=t("account_brands"), elem_id="account-brands", min_width=140),
                        "account_brands")
            password = tr(gr.Textbox(label=t("account_password"), type="password", elem_id="account-password",
                                     min_width=140), "account_password")
        with gr.Row():
            buttons = {}
            for action, key, variant in (("create", "account_create", "primary"), ("change", "account_change", "secondary"),
                                         ("reset", "account_reset", "secondary"), ("disable", "account_disable", "stop"),
                                         ("enable", "account_enable", "secondary")):
                buttons[action] = tr(gr.Button(t(key), variant=variant, elem_id=f"account-{action}", min_width=100),
                                     key, "value")
        message = gr.Markdown(elem_id="account-message")  # said beside the buttons
        inputs = [name, role, unit, brands, password, language]
        for action, button in buttons.items():
            button.click(act(action), inputs, [message, password], api_visibility="private",
                         concurrency_id="change", concurrency_limit=1) \
                .success(accounts_table, [language], table, **BROWSE)
        tab.select(accounts_table, [language], table, **BROWSE)
    return dict(accounts=table, accounts_table=accounts_table, tab=tab)
