"""Gradio's own words (upload areas, error toasts, table menus, the footer) in Vietnamese.

Gradio translates its built-in strings by the browser's locale and ships no Vietnamese, so the
app adds one through Gradio's i18n (``gr.I18n``, keys as in Gradio's ``lang/en.json``) and
switches Gradio's locale together with the app's language switch (``LOCALE_JS``): a Vietnamese
page has no "Drop File Here" left, whatever language the browser is set to.
"""

from __future__ import annotations

#: Gradio's built-in strings the app's components can show, in Vietnamese.
VI = {
    "common.built_with": "xây dựng bằng",
    "common.built_with_gradio": "Xây dựng bằng Gradio",
    "common.clear": "Xóa",
    "common.upload": "Thêm ảnh",
    "common.download": "Tải về",
    "common.download_all": "Tải về tất cả",
    "common.edit": "Sửa",
    "common.empty": "Trống",
    "common.error": "Lỗi",
    "common.complete": "Xong",
    "common.hosted_on": "Chạy trên",
    "common.loading": "Đang tải",
    "common.logo": "biểu trưng",
    "common.or": "hoặc",
    "common.remove": "Bỏ",
    "common.settings": "Cài đặt",
    "common.share": "Chia sẻ",
    "common.submit": "Gửi",
    "common.undo": "Hoàn tác",
    "common.language": "Ngôn ngữ",
    "common.progress": "Tiến độ",
    "common.run": "Chạy",
    "common.no_devices": "Không tìm thấy thiết bị",
    "upload_text.click_to_upload": "Bấm để chọn tệp",
    "upload_text.drop_audio": "Thả tệp âm thanh vào đây",
    "upload_text.drop_csv": "Thả tệp CSV vào đây",
    "upload_text.drop_file": "Thả tệp vào đây",
    "upload_text.drop_image": "Thả ảnh vào đây",
    "upload_text.drop_video": "Thả video vào đây",
    "upload_text.drop_gallery": "Thả ảnh vào đây",
    "upload_text.paste_clipboard": "Dán từ bộ nhớ tạm",
    "file.uploading": "Đang tải lên...",
    "blocks.connection_can_break": "Trên điện thoại, kết nối có thể bị ngắt nếu chuyển sang thẻ khác hoặc máy tắt "
                                   "màn hình; khi đó lượt chờ sẽ mất.",
    "blocks.long_requests_queue": "Đang có nhiều yêu cầu chờ xử lý.",
    "blocks.lost_connection": "Mất kết nối do rời trang. Đang xếp hàng lại...",
    "blocks.waiting_for_inputs": "Đang chờ tải tệp lên xong, vui lòng thử lại.",
    "status.queue_position": "Đang chờ: thứ {position} trên {size}",
    "errors.use_via_api": "Dùng qua API",
    "errors.use_via_api_or_mcp": "Dùng qua API hoặc MCP",
    "errors.contact_page_author": "Vui lòng báo cho người quản trị trang.",
    "dataframe.incorrect_format": "Sai định dạng, chỉ nhận tệp CSV và TSV",
    "dataframe.new_column": "Thêm cột",
    "dataframe.new_row": "Thêm dòng",
    "dataframe.add_row_above": "Thêm dòng phía trên",
    "dataframe.add_row_below": "Thêm dòng phía dưới",
    "dataframe.delete_row": "Xóa dòng",
    "dataframe.delete_column": "Xóa cột",
    "dataframe.add_column_left": "Thêm cột bên trái",
    "dataframe.add_column_right": "Thêm cột bên phải",
    "dataframe.sort_column": "Sắp xếp cột",
    "dataframe.sort_ascending": "Sắp xếp tăng dần",
    "dataframe.sort_descending": "Sắp xếp giảm dần",
    "dataframe.clear_sort": "Bỏ sắp xếp",
    "dataframe.filter": "Lọc",
    "dataframe.clear_filter": "Bỏ lọc",
    "dataframe.drop_to_upload": "Thả tệp CSV hoặc TSV vào đây để nhập dữ liệu vào bảng",
    "dropdown.dropdown": "Danh sách chọn",
    "image.image": "Ảnh",
    "image.remove_image": "Bỏ ảnh",
    "image.drop_to_upload": "Thả tệp ảnh vào đây để tải lên",
    "number.number": "Số",
    "radio.radio": "Lựa chọn",
    "label.label": "Nhãn",
    "code.code": "Mã",
    "checkbox.checkbox": "Ô chọn",
    "login.username": "tên đăng nhập",
    "login.password": "mật khẩu",
    "login.login": "Đăng nhập",
    "login.incorrect_credentials": "Sai thông tin đăng nhập",
}

def theme():
    """Gradio's default theme with fonts that hold every letter of the page. Gradio ships the
    SemiBold (600) files of Source Sans Pro and IBM Plex Mono cut down to a few dozen glyphs (``A``
    and ``B`` among them, no other letter, no Vietnamese): every bold word was drawn in two fonts,
    a Source Sans capital B and the rest in the system's fallback (issue 26: "a bold capital B drawn
    in another font"). The full Bold (700) files take the place of SemiBold; 600 is then drawn with
    them."""
    import gradio as gr

    return gr.themes.Default(
        font=(gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"),
        font_mono=(gr.themes.LocalFont("IBM Plex Mono", weights=(400, 700)), "ui-monospace", "Consolas", "monospace"))


#: Keys Gradio shows without an English text of its own (a raw key would show otherwise).
EN = {"common.complete": "Done", "common.upload": "Add more"}

#: Runs in the browser on every change of the app's language: Gradio's locale follows it. Gradio
#: exports ``changeLocale`` from its core module; importing that module again returns the running
#: instance (ES modules are loaded once per page).
LOCALE_JS = """
async (language) => {
  try {
    const names = performance.getEntriesByType("resource").map((entry) => entry.name)
      .concat(Array.from(document.querySelectorAll("script[src], link[href]"), (el) => el.src || el.href));
    const core = names.find((name) => /\\/assets\\/core-[\\w-]+\\.js$/.test(name));
    document.documentElement.lang = language === "vi" ? "vi" : "en";  // TOAST_CSS reads it
    if (core) { (await import(core)).changeLocale(language === "vi" ? "vi" : "en"); }
  } catch (error) { console.warn("language of Gradio's own words not switched", error); }
  return language;
}
"""


#: Gradio 6 titles a toast with its type ("Error", "Warning"), not with ``gr.Error(title=...)`` nor
#: its translations: in Vietnamese the title is drawn again in Vietnamese (``LOCALE_JS`` sets the
#: page's ``lang``). Its status tracker writes "processing | 1.7/1.9s" over a result while a check
#: runs, words it does not translate either: in Vietnamese, "Đang xử lý…" in their place.
#: After an error it also writes a bare red "Error" on every output of the event, with no reason
#: (issue 26: three "Lỗi" under a refused PDF): not drawn; the toast says the reason in the page's
#: language, and a problem with what was typed or uploaded is said beside that field (validators).
TOAST_CSS = """
[data-testid="status-tracker"]:has(> span.error){display:none !important}
html[lang="vi"] .progress-text{font-size:0 !important}
html[lang="vi"] .progress-text::before{content:"Đang xử lý…";font-size:var(--text-sm);font-family:var(--font)}
html[lang="vi"] .toast-title.error, html[lang="vi"] .toast-title.warning, html[lang="vi"] .toast-title.info{font-size:0 !important}
html[lang="vi"] .toast-title.error::before{content:"Lỗi";font-size:var(--text-md)}
html[lang="vi"] .toast-title.warning::before{content:"Cảnh báo";font-size:var(--text-md)}
html[lang="vi"] .toast-title.info::before{content:"Thông báo";font-size:var(--text-md)}
"""
