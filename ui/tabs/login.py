"""The login row, above the tabs: an inspector logs in to find their checks in the History, a
supervisor to review, a brand owner to change their products, an administrator to manage the users
(before issue 26 it sat in the Catalog tab, which an inspector had no reason to open). The password
goes from the page to ``/session/login`` (``LOGIN_JS``), never through Gradio's queue."""

from __future__ import annotations

import gradio as gr

from ui.i18n import t
from ui.tabs.common import BROWSE, LOGIN_JS, LOGOUT_JS, Page


def build(page: Page, **shared):
    """Lay out the login row; ``wire(after)`` connects its events once the tabs exist (``after``:
    (function, inputs, output) redrawn at login and logout: the History, the audit log …)."""
    service, tr, language = page.service, page.tr, page.language

    def logged_in_words(user, language):
        account = service.account_of(user)
        return t("logged_in_as", language, user=user, role=t("role_" + account.role, language)) if account \
            else t("logged_in", language, user=user)

    def login_done(name, outcome, language, request: gr.Request):
        """After the page posted the password to /session/login (never through the queue): say how
        it went, and empty the password field."""
        user = page.session_user(request)
        if user:
            return logged_in_words(user, language), ""
        return t(outcome if outcome in ("login_failed", "login_locked", "login_disabled") else "login_failed",
                 language), ""

    def login_status_text(language, request: gr.Request):
        user = page.session_user(request)
        return logged_in_words(user, language) if user else t("logged_out", language)

    with gr.Row(equal_height=True, elem_id="login-row"):
        login_name = tr(gr.Textbox(label=t("username"), elem_id="login-name", scale=2, min_width=120), "username")
        login_password = tr(gr.Textbox(label=t("password"), type="password", elem_id="login-password", scale=2,
                                       min_width=120), "password")
        login_button = tr(gr.Button(t("login"), elem_id="login-button", scale=1, min_width=90), "login", "value")
        # alone in the row once logged in: its own width, not a bar across the page
        logout_button = tr(gr.Button(t("logout"), elem_id="logout-button", scale=0, min_width=140, visible=False),
                           "logout", "value")
    login_status = gr.Markdown(t("logged_out"), elem_id="login-status")
    fields = [login_name, login_password, login_button, logout_button]

    def fields_shown(request: gr.Request):
        """The name, password and login button for a visitor; only the logout button once logged in
        (a helper's walk: the empty login boxes stayed under "Logged in as …", asking again)."""
        user = page.session_user(request)
        return [gr.update(visible=not user)] * 3 + [gr.update(visible=bool(user))]

    def wire(after):
        login = dict(fn=login_done, inputs=[login_name, login_password, language],
                     outputs=[login_status, login_password], js=LOGIN_JS, **BROWSE)
        # what the user may see opens at once at login, and closes at logout
        for event in (login_button.click(**login), login_password.submit(**login),
                      logout_button.click(login_status_text, [language], login_status, js=LOGOUT_JS, **BROWSE)):
            for fn, inputs, output in [(fields_shown, None, fields), *after]:
                event = event.then(fn, inputs, output, **BROWSE)

    return dict(login_status=login_status, login_status_text=login_status_text, wire=wire, fields=fields,
                fields_shown=fields_shown)
