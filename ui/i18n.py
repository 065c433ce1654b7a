"""Interface and report text in English and Vietnamese. Verdict sentences live in
``index.judging.messages``; this module holds everything else a person reads."""

from __future__ import annotations

import os
import re

from index.judging.messages import LANGUAGES, explain

LANGUAGE_CHOICES = [("English", "en"), ("Tiếng Việt", "vi")]

TEXT: dict[str, dict[str, str]] = {
    "title": {"en": "Counterfeit product photo verifier", "vi": "Kiểm tra ảnh sản phẩm nghi giả"},
    "intro": {
        "en": "Compare photos of one item with the catalog's genuine references. The verdict shows the nearest "
              "matches as evidence. A photo comparison cannot prove authenticity: it tells whether the item looks "
              "like the genuine references.",
        "vi": "So sánh ảnh của một món hàng với các ảnh mẫu chính hãng trong danh mục. Kết luận kèm theo các ảnh "
              "mẫu gần nhất làm bằng chứng. So sánh ảnh không thể chứng minh hàng thật: nó cho biết món hàng có "
              "giống ảnh mẫu chính hãng hay không.",
    },
    "language": {"en": "Language", "vi": "Ngôn ngữ"},
    # tabs
    "tab_verify": {"en": "Verify", "vi": "Kiểm tra"},
    "tab_history": {"en": "History", "vi": "Lịch sử"},
    "tab_batch": {"en": "Batch", "vi": "Hàng loạt"},
    "tab_catalog": {"en": "Catalog", "vi": "Danh mục"},
    "tab_status": {"en": "Status", "vi": "Trạng thái"},
    # verify
    "photos": {"en": "Photos of one item (several angles welcome)", "vi": "Ảnh của một món hàng (nên chụp nhiều góc)"},
    # the capture checklist (ui.render.capture_checklist): a heading, then numbered items
    "capture_heading": {"en": "**Photograph, one photo each:**", "vi": "**Nên chụp, mỗi góc một ảnh:**"},
    "scan_named": {"en": "Barcode {code} belongs to {product}: chosen as the claimed product (change it if the item "
                         "claims to be something else).",
                   "vi": "Mã vạch {code} thuộc sản phẩm {product}: đã chọn làm sản phẩm khai báo (đổi lại nếu món hàng "
                         "tự nhận là sản phẩm khác)."},
    "scan_kept": {"en": "Barcode {code} belongs to {product}; the claimed product you chose is kept.",
                  "vi": "Mã vạch {code} thuộc sản phẩm {product}; giữ nguyên sản phẩm khai báo đã chọn."},
    "scan_unlisted": {"en": "Barcode {code} read; it is not a catalog product's.",
                      "vi": "Đọc được mã vạch {code}; mã này không thuộc sản phẩm nào trong danh mục."},
    "scan_bad": {"en": "Barcode {code} read, but its check digit fails.",
                 "vi": "Đọc được mã vạch {code} nhưng số kiểm tra sai."},
    "scan_none": {"en": "No barcode read on these photos: add a sharp photo of the barcode.",
                  "vi": "Chưa đọc được mã vạch trên các ảnh này: hãy thêm một ảnh rõ nét của mã vạch."},
    "claimed": {"en": "Claimed product: what the package or listing says it is (optional; type a name, brand or id)",
                "vi": "Sản phẩm được khai báo: bao bì hoặc tin đăng ghi là sản phẩm gì (không bắt buộc; gõ tên, "
                      "thương hiệu hoặc mã)"},
    "notes": {"en": "Inspector's notes (kept with the check and in the report)",
              "vi": "Ghi chú của cán bộ kiểm tra (lưu cùng lần kiểm tra và trong báo cáo)"},
    "inspector": {"en": "Inspector (name or badge number, optional)", "vi": "Cán bộ kiểm tra (tên hoặc số hiệu, không bắt buộc)"},
    "verify": {"en": "Verify", "vi": "Kiểm tra"},
    "new_item": {"en": "New item", "vi": "Món hàng mới"},
    "new_item_hint": {"en": "Photos added now are judged together with these, as one item. To check another item, "
                            "press New item first.",
                      "vi": "Ảnh thêm vào lúc này sẽ được xét chung với các ảnh trên như cùng một món hàng. Muốn kiểm "
                            "tra món khác, hãy bấm Món hàng mới trước."},
    "verdict": {"en": "Verdict", "vi": "Kết luận"},
    "evidence": {"en": "Nearest catalog references (evidence)", "vi": "Ảnh mẫu gần nhất trong danh mục (bằng chứng)"},
    "fakes": {"en": "Nearest known counterfeits", "vi": "Hàng giả đã biết gần nhất"},
    "heatmap": {"en": "Where the photo matches the best genuine reference (green) and where not (red)",
                "vi": "Vùng ảnh khớp với ảnh mẫu chính hãng gần nhất (xanh) và vùng không khớp (đỏ)"},
    "report_html": {"en": "Case file (HTML)", "vi": "Biên bản (HTML)"},
    "report_json": {"en": "Case file (JSON)", "vi": "Biên bản (JSON)"},
    "raw": {"en": "Full result (JSON)", "vi": "Kết quả đầy đủ (JSON)"},
    "need_photo": {"en": "Add at least one photo of the item.", "vi": "Hãy thêm ít nhất một ảnh của món hàng."},
    # a file that is not a photo (a PDF, a saved web page ...), named with its reason (issue 26: a PDF
    # on the Vietnamese page got an English toast and then three red "Lỗi" with no reason)
    "not_a_photo": {"en": "{name}: {reason}. It cannot be checked: remove it and add photos of the item (JPG, PNG, "
                          "WebP or HEIC).",
                    "vi": "{name}: {reason}. Tệp này không kiểm tra được: hãy bỏ tệp và thêm ảnh chụp món hàng (JPG, "
                          "PNG, WebP hoặc HEIC)."},
    "too_many_photos": {"en": "{count} photos in one check; at most {limit} are accepted. Choose the clearest "
                              "angles (front, label, barcode), or use the Batch tab for many items.",
                        "vi": "Một lần kiểm tra có {count} ảnh; chỉ nhận tối đa {limit} ảnh. Hãy chọn các góc rõ "
                              "nhất (mặt trước, nhãn, mã vạch), hoặc dùng thẻ Hàng loạt cho nhiều món hàng."},
    "too_many_rows": {"en": "{count} photos in one batch; at most {limit} are accepted. Split the manifest.",
                      "vi": "Một lô có {count} ảnh; chỉ nhận tối đa {limit} ảnh. Hãy chia nhỏ tệp danh sách."},
    "text_too_long": {"en": "The {field} field holds {length} characters; at most {limit} are kept. Shorten it.",
                      "vi": "Ô {field} có {length} ký tự; chỉ lưu tối đa {limit} ký tự. Hãy rút gọn."},
    "score": {"en": "Risk score", "vi": "Điểm rủi ro"},
    "strength_title": {"en": "What the evidence says", "vi": "Căn cứ cho thấy"},
    "zone_against": {"en": "points to a fake", "vi": "nghiêng về hàng giả"},
    "zone_unclear": {"en": "not enough to tell", "vi": "chưa đủ để kết luận"},
    "zone_supports": {"en": "supports the genuine product", "vi": "ủng hộ hàng thật"},
    "compared_with": {"en": "Compared with", "vi": "Đối chiếu với"},
    "looks_most_like": {"en": "looks most like", "vi": "giống nhất với"},
    "model_line": {"en": "Model: {model}", "vi": "Mô hình: {model}"},
    # an inspector's words, not a model's name (issue 26): the identifier stays in data-model
    "model_offline": {"en": "the built-in model that works without internet{tuned}: weaker than the full image model "
                            "at telling look-alike packages apart",
                      "vi": "mô hình có sẵn, chạy không cần mạng{tuned}: kém hơn mô hình ảnh đầy đủ khi phân biệt "
                            "các bao bì na ná nhau"},
    "model_tuned": {"en": ", fitted to this catalog's photos", "vi": ", đã tinh chỉnh theo ảnh của danh mục này"},
    "technical_details": {"en": "Technical details (calibration)", "vi": "Chi tiết kỹ thuật (hiệu chỉnh)"},
    "claim_line": {"en": "Claim model: {prob} that the photos show {product}; the green badge needs {accept} or more",
                   "vi": "Mô hình đối chiếu: xác suất {prob} ảnh là {product}; cần từ {accept} trở lên mới kết luận giống hàng thật"},
    "p_line": {"en": "{pct} of the genuine photos of {product} score as low or lower (calibrated on {level})",
               "vi": "{pct} ảnh chính hãng của {product} có điểm bằng hoặc thấp hơn (hiệu chỉnh trên {level})"},
    "side_by_side": {"en": "Side by side", "vi": "Đặt cạnh nhau để so sánh"},
    "sbs_photo": {"en": "Checked photo: {name}", "vi": "Ảnh đã kiểm tra: {name}"},
    "sbs_genuine": {"en": "Best genuine reference of {product}", "vi": "Ảnh mẫu hàng thật giống nhất của {product}"},
    "sbs_fake": {"en": "Nearest seized fake ({product})", "vi": "Mẫu hàng giả đã thu giữ giống nhất ({product})"},
    "sbs_no_genuine": {"en": "No genuine reference of {product} to compare with.",
                       "vi": "Không có ảnh mẫu hàng thật của {product} để so sánh."},
    "sbs_regions": {"en": "Show the region map on the photo", "vi": "Hiện bản đồ vùng khớp trên ảnh"},
    "print_diff": {"en": "Where the print differs from the genuine reference",
                   "vi": "Chỗ in khác với mẫu hàng thật"},
    "print_diff_caption": {"en": "Red: the print differs · green: it matches · grey: not compared (outside the photo, "
                                 "or where it does not line up). "
                                 "{points} points of the photo line up with genuine reference #{image_id}; "
                                 "{share} of the print compared differs.",
                           "vi": "Đỏ: chỗ in khác · xanh: khớp · xám: không so sánh (ngoài phần ảnh chụp, "
                                 "hoặc chỗ ảnh không khớp được với mẫu). "
                                 "{points} điểm trên ảnh khớp với mẫu hàng thật #{image_id}; "
                                 "{share} phần in được so sánh có khác biệt."},
    "print_diff_kinds": {"en": "Differences seen: {kinds}.", "vi": "Khác biệt thấy được: {kinds}."},
    "print_kind_print": {"en": "print or lettering", "vi": "nét in, chữ"},
    "print_kind_colour": {"en": "colour", "vi": "màu sắc"},
    "print_kind_missing": {"en": "an element missing", "vi": "thiếu chi tiết"},
    "print_kind_moved": {"en": "an element moved", "vi": "chi tiết bị dời chỗ"},
    "print_aligned": {"en": "Show the photo laid over the reference", "vi": "Hiện ảnh chụp đặt khớp lên mẫu"},
    "score_help": {"en": "0 = typical of genuine photos, 1 = unlike them", "vi": "0 = giống ảnh chính hãng, 1 = khác hẳn"},
    "score_from_claim": {"en": "1 − the claim model's probability that the photos show the product: 0 = the evidence "
                                 "supports it, 1 = it does not; cases are ranked by it",
                           "vi": "bằng 1 − xác suất mô hình đối chiếu cho rằng ảnh là sản phẩm này: 0 = căn cứ ủng hộ, "
                                 "1 = không ủng hộ; dùng để xếp các vụ theo mức rủi ro"},
    "identified": {"en": "Identified product", "vi": "Sản phẩm nhận diện được"},
    "claimed_short": {"en": "Claimed product", "vi": "Sản phẩm khai báo"},
    "none": {"en": "none", "vi": "không có"},
    "flags": {"en": "Flags", "vi": "Cảnh báo"},
    "unreadable": {"en": "Photos that could not be read", "vi": "Ảnh không đọc được"},
    "retake": {"en": "Retake advice", "vi": "Nên chụp lại"},
    "check_no": {"en": "Check", "vi": "Lần kiểm tra"},
    "similarity": {"en": "similarity", "vi": "độ tương đồng"},
    "probability": {"en": "probability", "vi": "xác suất"},
    "outcome_genuine": {"en": "GENUINE-LOOKING", "vi": "GIỐNG HÀNG THẬT"},
    "outcome_suspicious": {"en": "SUSPICIOUS", "vi": "ĐÁNG NGỜ"},
    "outcome_counterfeit": {"en": "COUNTERFEIT", "vi": "HÀNG GIẢ"},
    "outcome_unknown": {"en": "INCONCLUSIVE", "vi": "CHƯA ĐỦ CĂN CỨ"},
    "flag_reused_catalog_photo": {"en": "reused catalog photo", "vi": "dùng lại ảnh danh mục"},
    "flag_closer_to_known_counterfeit": {"en": "closer to a known counterfeit", "vi": "gần hàng giả đã biết hơn"},
    "flag_looks_like_other_product": {"en": "looks like another product", "vi": "giống sản phẩm khác"},
    "flag_no_close_match": {"en": "no close match in the catalog", "vi": "không có mẫu nào đủ gần trong danh mục"},
    "flag_less_similar_than_genuine_photos": {"en": "less similar than genuine photos",
                                              "vi": "kém giống hơn ảnh chính hãng"},
    "flag_uncalibrated": {"en": "too few references to calibrate", "vi": "quá ít ảnh mẫu để hiệu chỉnh"},
    "flag_calibrated_at_brand_level": {
        "en": "compared with the genuine photos of its brand's products (too few of its own)",
        "vi": "được so với ảnh hàng thật của các sản phẩm cùng thương hiệu (ảnh của chính sản phẩm còn quá ít)"},
    "flag_calibrated_at_catalog_level": {
        "en": "compared with the genuine photos of the whole catalog (too few of its own)",
        "vi": "được so với ảnh hàng thật của toàn bộ danh mục (ảnh của chính sản phẩm còn quá ít)"},
    "calibration_note_calibrated_at_catalog_level": {
        "en": "Scores of this product are compared with the photos of the whole catalog: it has too few photo "
              "sessions of its own yet.",
        "vi": "Điểm của sản phẩm này được so với ảnh của toàn danh mục vì sản phẩm chưa có đủ lượt chụp riêng."},
    "calibration_note_calibrated_at_brand_level": {
        "en": "Scores of this product are compared with the photos of its brand: it has too few photo sessions "
              "of its own yet.",
        "vi": "Điểm của sản phẩm này được so với ảnh của cùng thương hiệu vì sản phẩm chưa có đủ lượt chụp riêng."},
    "calibration_note_uncalibrated": {
        "en": "The catalog has too few photos to calibrate scores yet.",
        "vi": "Danh mục chưa có đủ ảnh để hiệu chỉnh điểm."},
    "flag_no_readable_photo": {"en": "no readable photo", "vi": "không có ảnh đọc được"},
    "flag_claimed_product_not_in_catalog": {"en": "claimed product not in catalog",
                                            "vi": "sản phẩm khai báo không có trong danh mục"},
    "flag_empty_catalog": {"en": "empty catalog", "vi": "danh mục trống"},
    "flag_views_disagree": {"en": "the model's views disagree", "vi": "các góc nhìn của mô hình không thống nhất"},
    "flag_photos_show_different_products": {"en": "photos show different products",
                                            "vi": "các ảnh là những sản phẩm khác nhau"},
    "flag_insufficient_evidence": {"en": "not enough evidence either way", "vi": "chưa đủ căn cứ để kết luận"},
    "flag_resembles_known_fakes": {"en": "leans toward the known fakes", "vi": "nghiêng về các mẫu hàng giả đã biết"},
    "flag_matches_known_counterfeits": {"en": "looks like the known counterfeits", "vi": "giống các mẫu hàng giả đã biết"},
    "flag_code_of_other_product": {"en": "barcode of another product", "vi": "mã vạch của sản phẩm khác"},
    "flag_code_check_digit_fails": {"en": "barcode check digit fails", "vi": "mã vạch sai số kiểm tra"},
    "flag_code_from_other_company": {"en": "barcode from another company", "vi": "mã vạch của doanh nghiệp khác"},
    "flag_brand_name_misspelt": {"en": "brand name misspelt", "vi": "tên thương hiệu sai chính tả"},
    "flag_text_names_other_product": {"en": "the print names another product", "vi": "chữ in là của sản phẩm khác"},
    "flag_text_mentions_other_product": {"en": "the print also carries another product's word",
                                         "vi": "chữ in có cả chữ của sản phẩm khác"},
    "flag_text_figure_differs": {"en": "a printed figure differs from the genuine packs'",
                                 "vi": "con số in khác bao bì chính hãng"},
    "flag_not_clear_of_known_fakes": {"en": "not clearly unlike the known fakes",
                                      "vi": "chưa khác rõ so với hàng giả đã biết"},
    "flag_too_few_known_fakes": {"en": "too few seized fakes on file to judge authenticity",
                                 "vi": "quá ít mẫu hàng giả đã thu giữ để đánh giá thật giả"},
    "flag_too_few_references": {"en": "too few catalog photos of the product",
                                "vi": "danh mục có quá ít ảnh của sản phẩm"},
    "flag_serial_not_issued": {"en": "serial never issued", "vi": "số sê-ri chưa từng được cấp"},
    "flag_serial_issued_for_other_gtin": {"en": "serial issued for another product",
                                          "vi": "số sê-ri được cấp cho sản phẩm khác"},
    "flag_serial_decommissioned": {"en": "serial already sold or checked", "vi": "số sê-ri đã bán hoặc đã kiểm tra"},
    "flag_serial_seen_before": {"en": "code already read on another item", "vi": "mã đã được đọc trên món hàng khác"},
    "flag_batch_mismatch": {"en": "batch differs from the register", "vi": "số lô khác sổ đăng ký"},
    "flag_expiry_mismatch": {"en": "expiry differs from the register", "vi": "hạn sử dụng khác sổ đăng ký"},
    "flag_expired": {"en": "past its expiry date", "vi": "đã quá hạn sử dụng"},
    # unit codes: the serial, what the brand's register says, the codes already seen
    "units_title": {"en": "Unit code (serial number)", "vi": "Mã định danh đơn vị hàng (số sê-ri)"},
    "unit_kind_gs1": {"en": "GS1 code", "vi": "mã GS1"},
    "unit_kind_digital_link": {"en": "GS1 Digital Link QR code", "vi": "mã QR GS1 Digital Link"},
    "unit_kind_stamp": {"en": "brand's anti-counterfeit stamp", "vi": "tem chống giả của thương hiệu"},
    "unit_serial": {"en": "serial", "vi": "số sê-ri"},
    "unit_batch": {"en": "batch", "vi": "số lô"},
    "unit_expiry": {"en": "expiry", "vi": "hạn sử dụng"},
    "unit_register": {"en": "Brand's register", "vi": "Sổ đăng ký mã của chủ sở hữu nhãn hiệu"},
    "unit_issued": {"en": "issued for GTIN {gtin}{product}", "vi": "đã cấp cho mã GTIN {gtin}{product}"},
    "unit_issued_batch": {"en": "batch {batch}", "vi": "lô {batch}"},
    "unit_issued_expiry": {"en": "expiry {date}", "vi": "hạn {date}"},
    "unit_not_issued": {"en": "NEVER ISSUED: not in the register of GTIN {gtin}",
                        "vi": "CHƯA TỪNG ĐƯỢC CẤP: không có trong sổ đăng ký của mã GTIN {gtin}"},
    "unit_other_gtin": {"en": "issued for ANOTHER product: GTIN {gtin}{product}",
                        "vi": "được cấp cho SẢN PHẨM KHÁC: mã GTIN {gtin}{product}"},
    "unit_no_register": {"en": "the brand has no register of serials for this product",
                         "vi": "chủ sở hữu nhãn hiệu chưa có sổ đăng ký số sê-ri cho sản phẩm này"},
    "unit_register_unreadable": {"en": "cannot be read on this machine: its key is not here (copy the catalog's "
                                       "serial key from the machine it was made on)",
                                 "vi": "không đọc được trên máy này: thiếu khóa của sổ đăng ký (hãy chép khóa số sê-ri "
                                       "của danh mục từ máy đã tạo sổ)"},
    "unit_no_serial": {"en": "the code carries no serial", "vi": "mã không chứa số sê-ri"},
    "unit_state_sold": {"en": "marked SOLD on {date}", "vi": "đã ghi là ĐÃ BÁN ngày {date}"},
    "unit_state_seen": {"en": "marked CHECKED on {date}", "vi": "đã ghi là ĐÃ KIỂM TRA ngày {date}"},
    "unit_differs": {"en": "{what} on the code {read} ≠ register {expected}",
                     "vi": "{what} trên mã {read} ≠ sổ đăng ký {expected}"},
    "unit_expired": {"en": "past its expiry date ({date})", "vi": "đã quá hạn sử dụng ({date})"},
    "unit_memory": {"en": "Already read", "vi": "Đã được đọc trước đây"},
    "unit_seen_check": {"en": "on another item: check #{check}{place}, {when}{case}",
                        "vi": "trên món hàng khác: lần kiểm tra #{check}{place}, {when}{case}"},
    "unit_seen_cli": {"en": "on another item: a command-line check{place}, {when}{case}",
                      "vi": "trên món hàng khác: một lần kiểm tra bằng dòng lệnh{place}, {when}{case}"},
    "unit_seen_case": {"en": " (case {case})", "vi": " (vụ việc {case})"},
    "unit_seen_more": {"en": "; {count} checks of other cases in all", "vi": "; tổng cộng {count} lần kiểm tra thuộc vụ việc khác"},
    "unit_not_seen": {"en": "not read on any other item before", "vi": "chưa từng được đọc trên món hàng nào khác"},
    "clones_title": {"en": "The same unit code on several listings (a copied code)",
                     "vi": "Cùng một mã đơn vị hàng trên nhiều tin đăng (mã bị sao chép)"},
    "clone_of": {"en": "same code as {case}", "vi": "cùng mã với {case}"},
    # evidence read on the package
    "evidence_title": {"en": "What the package says", "vi": "Thông tin đọc được trên bao bì"},
    "words_read": {"en": "Words read on the photos", "vi": "Chữ đọc được trên ảnh"},
    "words_expected": {"en": "Words the genuine {product} package carries", "vi": "Chữ có trên bao bì {product} chính hãng"},
    "words_none": {"en": "no legible text", "vi": "không đọc được chữ nào"},
    "words_noise": {"en": "{count} more fragments read are no word of any catalog product (print or glare read as "
                          "letters): not shown.",
                    "vi": "Còn {count} đoạn chữ đọc được không phải từ nào của sản phẩm trong danh mục (hoa văn hoặc "
                          "vệt sáng bị đọc nhầm thành chữ): không hiển thị."},
    "words_noise_one": {"en": "1 more fragment read is no word of any catalog product (print or glare read as "
                              "letters): not shown.",
                        "vi": "Còn 1 đoạn chữ đọc được không phải từ nào của sản phẩm trong danh mục (hoa văn hoặc "
                              "vệt sáng bị đọc nhầm thành chữ): không hiển thị."},
    "words_legend": {"en": "green: matches the genuine package · red: a letter or two off the brand name · "
                           "grey: not on it · struck through: expected, not read",
                     "vi": "xanh: khớp bao bì chính hãng · đỏ: lệch một hai chữ cái so với tên thương hiệu · "
                           "xám: không có trên bao bì · gạch ngang: lẽ ra phải có nhưng không đọc được"},
    "codes_title": {"en": "Barcodes", "vi": "Mã vạch"},
    "codes_none": {"en": "no barcode read", "vi": "không đọc được mã vạch nào"},
    "code_gtin": {"en": "GTIN", "vi": "Mã GTIN"},
    "code_check_ok": {"en": "check digit correct", "vi": "số kiểm tra đúng"},
    "code_check_bad": {"en": "check digit WRONG", "vi": "số kiểm tra SAI"},
    "code_issuer": {"en": "prefix issued by {issuer} (not the country of manufacture)",
                    "vi": "tiền tố do {issuer} cấp (không phải nước sản xuất)"},
    "code_belongs": {"en": "catalog product: {product}", "vi": "sản phẩm trong danh mục: {product}"},
    "relation_supports": {"en": "matches the product", "vi": "khớp với sản phẩm"},
    "relation_other_product": {"en": "belongs to another product", "vi": "thuộc về sản phẩm khác"},
    "relation_bad_check_digit": {"en": "invalid number", "vi": "dãy số không hợp lệ"},
    "relation_foreign_company": {"en": "not the brand's company prefix", "vi": "không phải mã doanh nghiệp của thương hiệu"},
    "relation_unlisted": {"en": "not listed in the catalog", "vi": "chưa có trong danh mục"},
    "relation_no_gtin": {"en": "carries no product number", "vi": "không chứa mã sản phẩm"},
    "fakes_title": {"en": "Known counterfeits", "vi": "Hàng giả đã biết"},
    "fakes_none": {"en": "The catalog holds no seized counterfeits of this product or its brand, so this check "
                         "says which product the photos show and what its package says, not who made it.",
                   "vi": "Danh mục chưa có mẫu hàng giả đã thu giữ nào của sản phẩm hoặc thương hiệu này, nên lần "
                         "kiểm tra này chỉ cho biết ảnh là sản phẩm nào và bao bì ghi gì, chưa cho biết ai sản xuất."},
    "fakes_too_few": {"en": "The catalog holds {fakes} photo(s) of seized fakes of this product, too few for a model "
                            "that tells its fakes from its genuine photos ({needed} needed): this check says which "
                            "product the photos show and what its package says, not who made it. Compare the item "
                            "with the fake shown.",
                      "vi": "Danh mục mới có {fakes} ảnh hàng giả đã thu giữ của sản phẩm này, quá ít để lập mô hình "
                            "phân biệt hàng giả với hàng thật (cần {needed} ảnh): lần kiểm tra này chỉ cho biết ảnh là "
                            "sản phẩm nào và bao bì ghi gì, chưa cho biết ai sản xuất. Hãy đối chiếu món hàng với mẫu "
                            "hàng giả được hiển thị."},
    # the known-fakes model's reading: leaning fake; leaning genuine yet further toward the fakes
    # than most genuine photos (worth a closer look); leaning genuine as genuine photos do
    "fakes_model": {"en": "Compared with a model of {fakes} known counterfeits and {genuine} genuine photos ({scope}): "
                          "on balance it finds these photos more like the {side}; they look more like the fakes than "
                          "{pct:.0f}% of genuine photos do.",
                    "vi": "Đã so với mô hình gồm {fakes} mẫu hàng giả đã thu giữ và {genuine} ảnh hàng chính hãng ({scope}): "
                          "nhìn chung ảnh này giống {side} hơn; ảnh giống hàng giả hơn {pct:.0f}% số ảnh hàng chính "
                          "hãng."},
    "fakes_model_however": {"en": "Compared with a model of {fakes} known counterfeits and {genuine} genuine photos "
                                  "({scope}): on balance it finds these photos more like the {side}; even so, they look "
                                  "more like the fakes than {pct:.0f}% of genuine photos do. Compare the item closely "
                                  "with the known fakes.",
                            "vi": "Đã so với mô hình gồm {fakes} mẫu hàng giả đã thu giữ và {genuine} ảnh hàng chính "
                                  "hãng ({scope}): nhìn chung ảnh này giống {side} hơn; tuy vậy, ảnh vẫn giống hàng giả "
                                  "hơn {pct:.0f}% số ảnh hàng chính hãng. Nên đối chiếu kỹ món hàng với các mẫu hàng "
                                  "giả đã biết."},
    "fakes_model_clear": {"en": "Compared with a model of {fakes} known counterfeits and {genuine} genuine photos "
                                "({scope}): these photos look more genuine than {clear:.0f}% of the known fakes do.",
                          "vi": "Đã so với mô hình gồm {fakes} mẫu hàng giả đã thu giữ và {genuine} ảnh hàng chính "
                                "hãng ({scope}): ảnh này trông giống hàng thật hơn {clear:.0f}% số mẫu hàng giả đã biết."},
    "fakes_model_unclear": {"en": "Compared with a model of {fakes} known counterfeits and {genuine} genuine photos "
                                  "({scope}): on balance it finds these photos more like the genuine references, but "
                                  "{fake_pct:.0f}% of the known fakes look at least as genuine, so they are not clearly "
                                  "unlike the fakes.",
                            "vi": "Đã so với mô hình gồm {fakes} mẫu hàng giả đã thu giữ và {genuine} ảnh hàng chính "
                                  "hãng ({scope}): nhìn chung ảnh này giống ảnh mẫu chính hãng hơn, nhưng {fake_pct:.0f}% "
                                  "mẫu hàng giả đã biết trông giống hàng thật không kém, nên chưa khác rõ so với hàng giả."},
    "fakes_scope_brand": {"en": "every product of {brand}", "vi": "mọi sản phẩm của {brand}"},
    "fakes_model_typical": {"en": "Compared with a model of {fakes} known counterfeits and {genuine} genuine photos "
                                  "({scope}): these photos are more like the {side}, as most genuine photos are.",
                            "vi": "Đã so với mô hình gồm {fakes} mẫu hàng giả đã thu giữ và {genuine} ảnh hàng chính "
                                  "hãng ({scope}): ảnh này giống {side} hơn, như phần lớn ảnh hàng chính hãng."},
    "error_title": {"en": "Error", "vi": "Lỗi"},
    # the kind of a reference photo in words (issue 26: "shelf/seized" on the card and the case file)
    "view_shelf": {"en": "photo in a shop", "vi": "ảnh chụp tại cửa hàng"},
    "view_catalog": {"en": "catalog photo", "vi": "ảnh danh mục"},
    "view_seized": {"en": "seized item", "vi": "tang vật thu giữ"},
    # views of the item that brand owners commonly name in their manifests (any other is shown as typed)
    "view_label": {"en": "label", "vi": "nhãn bao bì"},
    "view_box label": {"en": "box label", "vi": "nhãn hộp"},
    "view_size tag": {"en": "size tag", "vi": "nhãn cỡ"},
    "view_insole": {"en": "insole", "vi": "lót giày"},
    "view_tongue": {"en": "tongue", "vi": "lưỡi gà giày"},
    "view_sole": {"en": "sole", "vi": "đế giày"},
    "view_heel": {"en": "heel", "vi": "gót giày"},
    "view_stitching": {"en": "stitching", "vi": "đường may"},
    "view_cap": {"en": "cap", "vi": "nắp"},
    "view_batch print": {"en": "batch print", "vi": "số lô in trên bao bì"},
    "view_logo": {"en": "logo close-up", "vi": "cận cảnh logo"},
    "view_barcode": {"en": "barcode", "vi": "mã vạch"},
    "view_front": {"en": "front", "vi": "mặt trước"},
    "view_back": {"en": "back", "vi": "mặt sau"},
    "view_zipper": {"en": "zipper", "vi": "khóa kéo"},
    "view_hologram": {"en": "hologram or seal", "vi": "tem chống giả"},
    # the capture checklist of a claimed product whose references name its views (issue 24)
    "capture_heading_for": {"en": "**Photograph {product}, one photo each:**",
                            "vi": "**Chụp {product}, mỗi góc một ảnh:**"},
    "capture_view": {"en": "the {view}", "vi": "{view}"},
    "capture_view_separates": {"en": "the {view} (its known fakes differ here)",
                               "vi": "{view} (hàng giả đã biết khác hàng thật ở chỗ này)"},
    "capture_whole": {"en": "the whole item, front", "vi": "toàn bộ món hàng, mặt trước"},
    "capture_label": {"en": "the label, its words readable", "vi": "nhãn bao bì, đọc rõ chữ"},
    "capture_barcode": {"en": "the barcode, flat and sharp", "vi": "mã vạch, chụp thẳng và rõ nét"},
    "capture_batch": {"en": "the batch code and dates", "vi": "số lô và hạn sử dụng"},
    "capture_logo": {"en": "a close-up of the logo", "vi": "cận cảnh logo"},
    "fakes_side_genuine": {"en": "genuine references", "vi": "ảnh mẫu chính hãng"},
    "fakes_side_fake": {"en": "fakes", "vi": "mẫu hàng giả"},
    "next_photos": {"en": "To settle it, photograph:", "vi": "Để kết luận, hãy chụp thêm:"},
    "next_photos_listing": {"en": "To settle it, ask the seller for photos of:",
                            "vi": "Để kết luận, hãy đề nghị người bán gửi ảnh chụp:"},
    # what the photos of a check are of: the steps a card gives depend on it (issue 26)
    "photos_of": {"en": "The photos show", "vi": "Ảnh chụp"},
    "photos_of_item": {"en": "an item I have in front of me", "vi": "món hàng đang ở trước mặt tôi"},
    "photos_of_listing": {"en": "an online listing (the seller's photos)", "vi": "tin đăng bán trên mạng (ảnh của người bán)"},
    "quality_too_small": {"en": "{name}: the photo is very small ({side} px); take it closer or at full resolution.",
                          "vi": "{name}: ảnh quá nhỏ ({side} px); hãy chụp gần hơn hoặc ở độ phân giải đầy đủ."},
    "quality_blurred": {"en": "{name}: the photo is blurred; hold still, tap to focus and retake it.",
                        "vi": "{name}: ảnh bị mờ; hãy giữ máy chắc tay, chạm để lấy nét rồi chụp lại."},
    "quality_too_dark": {"en": "{name}: the photo is too dark; retake it in better light.",
                         "vi": "{name}: ảnh quá tối; hãy chụp lại ở nơi đủ sáng."},
    "quality_too_bright": {"en": "{name}: the photo is washed out; avoid direct light or flash glare.",
                           "vi": "{name}: ảnh bị cháy sáng; tránh ánh sáng chiếu thẳng hoặc lóa đèn flash."},
    "disclaimer": {
        "en": "A photo comparison cannot prove that an item is genuine or counterfeit. It shows whether the photos "
              "look like the catalog's genuine references; a person decides, using this as evidence.",
        "vi": "So sánh ảnh không thể chứng minh một món hàng là thật hay giả. Nó cho biết ảnh có giống các ảnh mẫu "
              "chính hãng trong danh mục hay không; con người đưa ra quyết định, dùng kết quả này làm bằng chứng.",
    },
    # history / review
    "history_login": {"en": "Log in (top of the page) to see past checks: they hold inspectors' names, notes and photos.",
                      "vi": "Hãy đăng nhập (ở đầu trang) để xem các lần kiểm tra trước: chúng chứa tên cán bộ, "
                            "ghi chú và ảnh."},
    "history_search": {"en": "Search checks (product, case, notes, inspector or check number)",
                       "vi": "Tìm lần kiểm tra (sản phẩm, vụ việc, ghi chú, cán bộ hoặc số lần kiểm tra)"},
    "history_verdict": {"en": "Verdict filter", "vi": "Lọc theo kết luận"},
    "search": {"en": "Search", "vi": "Tìm"},
    "history_table": {"en": "Past checks (newest first)", "vi": "Các lần kiểm tra trước (mới nhất trước)"},
    "open_check": {"en": "Check number to open", "vi": "Số hiệu lần kiểm tra cần mở"},
    "open": {"en": "Open", "vi": "Mở"},
    "review_title": {"en": "Review (supervisors and administrators, after login)",
                     "vi": "Thẩm định lại (dành cho trưởng nhóm và quản trị viên, sau khi đăng nhập)"},
    "review_login": {"en": "Log in (top of the page) as a supervisor or administrator to review a check.",
                     "vi": "Hãy đăng nhập (đầu trang) bằng tài khoản trưởng nhóm hoặc quản trị viên để thẩm định lại "
                           "lần kiểm tra."},
    "review_verdict": {"en": "Reviewed verdict", "vi": "Kết luận thẩm định"},
    "review_note": {"en": "Review note", "vi": "Ghi chú thẩm định"},
    "review_add": {"en": "Add this check's photos to the catalog as", "vi": "Thêm ảnh của lần kiểm tra này vào danh mục dưới dạng"},
    "review_add_none": {"en": "do not add", "vi": "không thêm"},
    "review_product": {"en": "Product id for the added photos", "vi": "Mã sản phẩm cho ảnh được thêm"},
    "save_review": {"en": "Save review", "vi": "Lưu kết quả thẩm định"},
    "no_check": {"en": "No check #{check_id} in the history.", "vi": "Không có lần kiểm tra #{check_id} trong lịch sử."},
    "reviewed": {"en": "Check #{check_id} reviewed by {user}: {verdict}.",
                 "vi": "{user} đã thẩm định lại lần kiểm tra #{check_id}: {verdict}."},
    "review_confirmed": {"en": "confirmed on review", "vi": "đã xác nhận khi thẩm định"},
    "review_pick": {"en": "Choose the reviewed verdict first.", "vi": "Hãy chọn kết luận thẩm định trước."},
    "review_no_product": {"en": "Check #{check_id} names no product: type the product id its photos are to be added "
                                "to (nothing was saved).",
                          "vi": "Lần kiểm tra #{check_id} không gắn với sản phẩm nào: hãy nhập mã sản phẩm cần thêm ảnh "
                                "vào (chưa có gì được lưu)."},
    "add_need_product": {"en": "Type the product id the photos are to be added to.",
                         "vi": "Hãy nhập mã sản phẩm cần thêm ảnh vào."},
    "add_no_photos": {"en": "Choose the photos to add first.", "vi": "Hãy chọn ảnh cần thêm trước."},
    "os_not_found": {"en": "{file}: the file is no longer there; upload it again.",
                     "vi": "{file}: tệp không còn nữa; hãy tải lên lại."},
    "os_denied": {"en": "{file}: the server may not read or write this file; tell the administrator.",
                  "vi": "{file}: máy chủ không có quyền đọc hoặc ghi tệp này; hãy báo quản trị viên."},
    "os_no_space": {"en": "The server's disk is full; nothing was saved. Tell the administrator.",
                    "vi": "Ổ đĩa của máy chủ đã đầy; chưa có gì được lưu. Hãy báo quản trị viên."},
    "os_other": {"en": "{file}: the file could not be read or written ({reason}).",
                 "vi": "{file}: không đọc hoặc ghi được tệp ({reason})."},
    "added_refs": {"en": "Added {added} reference photos to {product}.",
                   "vi": "Đã thêm {added} ảnh mẫu cho {product}."},
    "added_ref": {"en": "Added 1 reference photo to {product}.",
                  "vi": "Đã thêm 1 ảnh mẫu cho {product}."},
    "added_none": {"en": "No photo added to {product}.", "vi": "Không thêm ảnh nào cho {product}."},
    "added_present": {"en": "{present} of them already in the catalog (not added twice).",
                      "vi": "{present} ảnh đã có sẵn trong danh mục (không thêm lần nữa)."},
    # a product id that was not in the catalog: a new product, or a typo
    "new_product": {"en": "{product} is a new product: no product had this id before. If that is a typing mistake, "
                          "remove {product} (Remove, below) and add the photos again.",
                    "vi": "{product} là sản phẩm mới: trước đó danh mục chưa có mã này. Nếu gõ nhầm mã, hãy xóa "
                          "{product} (mục Xóa bên dưới) rồi thêm lại ảnh."},
    "new_product_similar": {"en": "{product} is a new product: no product had this id before. Did you mean "
                                  "{similar}? If so, remove {product} (Remove, below) and add the photos to {similar}.",
                            "vi": "{product} là sản phẩm mới: trước đó danh mục chưa có mã này. Có phải ý bạn là "
                                  "{similar}? Nếu vậy, hãy xóa {product} (mục Xóa bên dưới) rồi thêm ảnh vào {similar}."},
    # batch
    "batch_intro": {
        "en": "Upload a CSV manifest (columns: path, optional claimed_product_id and case_id) with its photos, or "
              "a zip of photos (with a manifest inside, or one case per photo).",
        "vi": "Tải lên tệp CSV (cột: path, tùy chọn claimed_product_id và case_id) cùng các ảnh, hoặc một tệp zip "
              "chứa ảnh (có tệp CSV bên trong, hoặc mỗi ảnh là một vụ việc).",
    },
    "batch_manifest": {"en": "Manifest (CSV, optional)", "vi": "Tệp danh sách (CSV, không bắt buộc)"},
    "batch_files": {"en": "Photos or a zip", "vi": "Ảnh hoặc tệp zip"},
    "batch_run": {"en": "Check all", "vi": "Kiểm tra tất cả"},
    "batch_table": {"en": "Results", "vi": "Kết quả"},
    "batch_csv": {"en": "Results (CSV)", "vi": "Kết quả (CSV)"},
    "batch_jsonl": {"en": "Results (JSONL)", "vi": "Kết quả (JSONL)"},
    "batch_summary": {"en": "{cases} cases checked: {counts}.", "vi": "Đã kiểm tra {cases} vụ việc: {counts}."},
    "batch_empty": {"en": "Add a manifest with its photos, or photos, or a zip.",
                    "vi": "Hãy thêm tệp danh sách kèm ảnh, hoặc ảnh, hoặc tệp zip."},
    # accounts and roles
    "tab_accounts": {"en": "Users", "vi": "Người dùng"},
    "role_inspector": {"en": "Inspector", "vi": "Kiểm soát viên"},
    "role_supervisor": {"en": "Supervisor", "vi": "Trưởng nhóm"},
    "role_brand_owner": {"en": "Brand owner", "vi": "Chủ sở hữu nhãn hiệu"},
    "role_administrator": {"en": "Administrator", "vi": "Quản trị viên"},
    "logged_in_as": {"en": "Logged in as {user}. Role: {role}.", "vi": "Đã đăng nhập: {user}. Vai trò: {role}."},
    "not_allowed": {"en": "Your role does not allow this. Ask an administrator.",
                    "vi": "Vai trò của bạn không được làm việc này. Hãy hỏi quản trị viên."},
    "not_your_brand": {"en": "{product} belongs to brand {brand}, which is not one of yours: nothing was changed.",
                       "vi": "{product} thuộc thương hiệu {brand}, không phải thương hiệu của bạn: chưa thay đổi gì."},
    "anonymous_checks_off": {"en": "Log in to check photos: this deployment does not take checks without an account.",
                             "vi": "Hãy đăng nhập để kiểm tra ảnh: hệ thống này không nhận kiểm tra khi chưa có tài khoản."},
    "accounts_intro": {"en": "Accounts of the agency: inspectors see their own checks, supervisors their unit's checks "
                             "and the reviews, brand owners change their own brands' products. Only administrators "
                             "manage accounts here.",
                       "vi": "Tài khoản của đơn vị: kiểm soát viên xem các lần kiểm tra của mình, trưởng nhóm xem "
                             "các lần kiểm tra của nhóm và thẩm định, chủ sở hữu nhãn hiệu sửa sản phẩm của thương hiệu "
                             "mình. Chỉ quản trị viên quản lý tài khoản ở đây."},
    "accounts_table": {"en": "Accounts", "vi": "Tài khoản"},
    "accounts_login": {"en": "Log in as an administrator to see and manage the accounts.",
                       "vi": "Hãy đăng nhập bằng tài khoản quản trị viên để xem và quản lý tài khoản."},
    "account_name": {"en": "User name", "vi": "Tên đăng nhập"},
    "account_role": {"en": "Role", "vi": "Vai trò"},
    "account_unit": {"en": "Unit (team, district)", "vi": "Đơn vị (đội, quận/huyện)"},
    "account_brands": {"en": "Brands (brand owner; separated by commas)",
                       "vi": "Thương hiệu (chủ sở hữu nhãn hiệu; cách nhau bằng dấu phẩy)"},
    "account_password": {"en": "New password (at least 8 characters)", "vi": "Mật khẩu mới (ít nhất 8 ký tự)"},
    "account_state": {"en": "State", "vi": "Trạng thái"},
    "account_active": {"en": "active", "vi": "đang dùng"},
    "account_disabled_word": {"en": "disabled", "vi": "đã khóa"},
    "account_create": {"en": "Create", "vi": "Tạo"},
    "account_change": {"en": "Save role, unit, brands", "vi": "Lưu vai trò, đơn vị, thương hiệu"},
    "account_reset": {"en": "Reset password", "vi": "Đặt lại mật khẩu"},
    "account_disable": {"en": "Disable", "vi": "Khóa"},
    "account_enable": {"en": "Enable", "vi": "Mở lại"},
    "account_done_create": {"en": "Account {name} created ({role}).", "vi": "Đã tạo tài khoản {name} ({role})."},
    "account_done_reset": {"en": "Password of {name} reset.", "vi": "Đã đặt lại mật khẩu của {name}."},
    "account_done_disable": {"en": "Account {name} disabled: it can no longer log in.",
                             "vi": "Đã khóa tài khoản {name}: không thể đăng nhập nữa."},
    "account_done_enable": {"en": "Account {name} enabled.", "vi": "Đã mở lại tài khoản {name}."},
    "account_done_change": {"en": "Account {name} saved ({role}).", "vi": "Đã lưu tài khoản {name} ({role})."},
    "account_bad_name": {"en": "A user name is 1 to {limit} printable characters, without ':' or '\\'.",
                         "vi": "Tên đăng nhập gồm 1 đến {limit} ký tự in được, không có ':' hay '\\'."},
    "account_bad_role": {"en": "Unknown role {role}.", "vi": "Không có vai trò {role}."},
    "account_field_too_long": {"en": "Unit and brands are at most {limit} characters.",
                               "vi": "Đơn vị và thương hiệu dài tối đa {limit} ký tự."},
    "account_needs_brand": {"en": "A brand owner needs at least one brand.",
                            "vi": "Chủ sở hữu nhãn hiệu cần ít nhất một thương hiệu."},
    "account_exists": {"en": "There is already an account {name}.", "vi": "Đã có tài khoản {name}."},
    "account_unknown": {"en": "There is no account {name}.", "vi": "Không có tài khoản {name}."},
    "account_not_self": {"en": "You cannot disable your own account.", "vi": "Không thể tự khóa tài khoản của mình."},
    "account_short_password": {"en": "The password needs at least {limit} characters.",
                               "vi": "Mật khẩu cần ít nhất {limit} ký tự."},
    "col_changed": {"en": "Changed", "vi": "Thay đổi lúc"},
    "tab_dashboard": {"en": "Dashboard", "vi": "Tổng hợp"},
    "dash_login": {"en": "Log in as a supervisor or an administrator to see the dashboard.",
                   "vi": "Hãy đăng nhập bằng tài khoản trưởng nhóm hoặc quản trị viên để xem bảng tổng hợp."},
    "dash_show": {"en": "Show", "vi": "Xem"},
    "dash_csv": {"en": "Download figures (CSV)", "vi": "Tải số liệu (CSV)"},
    "dash_place": {"en": "Place", "vi": "Địa điểm"},
    "dash_checks": {"en": "Checks", "vi": "Số lần kiểm tra"},
    "dash_day": {"en": "Day", "vi": "Ngày"},
    "dash_inspector": {"en": "Inspector", "vi": "Cán bộ kiểm tra"},
    "dash_flagged": {"en": "Flagged", "vi": "Nghi vấn"},
    "dash_inconclusive": {"en": "Inconclusive", "vi": "Chưa đủ căn cứ"},
    "dash_reason": {"en": "Reason", "vi": "Lý do"},
    "dash_total": {"en": "Checks", "vi": "Số lần kiểm tra"},
    "dash_per_day": {"en": "Checks per day, by verdict", "vi": "Số lần kiểm tra mỗi ngày, theo kết luận"},
    # one line on a phone: a title on two lines pushed the plot's axis labels out of its frame
    "dash_products": {"en": "Most-flagged products", "vi": "Sản phẩm bị nghi vấn nhiều nhất"},
    "dash_places": {"en": "Most-flagged places", "vi": "Địa điểm có nhiều dấu hiệu nghi vấn nhất"},
    "dash_inspectors": {"en": "Checks per inspector", "vi": "Số lần kiểm tra theo cán bộ"},
    "dash_why": {"en": "Why checks were inconclusive", "vi": "Vì sao chưa đủ căn cứ"},
    "dash_summary": {"en": "Checks: **{total}** · inconclusive: **{inconclusive}** ({share}%).",
                     "vi": "Số lần kiểm tra: **{total}** · chưa đủ căn cứ: **{inconclusive}** ({share}%)."},
    "accounts_off": {"en": "Accounts are not kept in this catalog.", "vi": "Danh mục này không lưu tài khoản."},
    # catalog
    "login_title": {"en": "Log in to change the catalog", "vi": "Đăng nhập để thay đổi danh mục"},
    "username": {"en": "User name", "vi": "Tên đăng nhập"},
    "password": {"en": "Password", "vi": "Mật khẩu"},
    "login": {"en": "Log in", "vi": "Đăng nhập"},
    "logout": {"en": "Log out", "vi": "Đăng xuất"},
    "logged_in": {"en": "Logged in as {user}.", "vi": "Đã đăng nhập: {user}."},
    "logged_out": {"en": "Not logged in: the catalog can be browsed, not changed.",
                   "vi": "Chưa đăng nhập: có thể xem danh mục nhưng không thể thay đổi."},
    "login_failed": {"en": "Wrong user name or password.", "vi": "Sai tên đăng nhập hoặc mật khẩu."},
    "login_disabled": {"en": "No catalog users are configured: set VERIFIER_ADMIN_USER and VERIFIER_ADMIN_PASSWORD "
                             "(or VERIFIER_USERS_FILE) before starting the app.",
                       "vi": "Chưa cấu hình người dùng danh mục: hãy đặt VERIFIER_ADMIN_USER và "
                             "VERIFIER_ADMIN_PASSWORD (hoặc VERIFIER_USERS_FILE) trước khi chạy ứng dụng."},
    "login_locked": {"en": "Too many failed attempts; wait a minute.", "vi": "Sai quá nhiều lần; hãy đợi một phút."},
    "need_login": {"en": "Log in (top of the page) to change the catalog.",
                   "vi": "Hãy đăng nhập (ở đầu trang) để thay đổi danh mục."},
    "product_search": {"en": "Search products (name, brand or id)", "vi": "Tìm sản phẩm (tên, thương hiệu hoặc mã)"},
    "products_table": {"en": "Products", "vi": "Sản phẩm"},
    "product_to_show": {"en": "Product to show", "vi": "Sản phẩm cần xem"},
    "show": {"en": "Show references", "vi": "Xem ảnh mẫu"},
    "references": {"en": "References", "vi": "Ảnh mẫu"},
    "references_table": {"en": "References of the product", "vi": "Ảnh mẫu của sản phẩm"},
    "add_title": {"en": "Add reference photos", "vi": "Thêm ảnh mẫu"},
    "add_photos": {"en": "Reference photos", "vi": "Ảnh mẫu"},
    "product_id": {"en": "Product id", "vi": "Mã sản phẩm"},
    "product_name": {"en": "Product name", "vi": "Tên sản phẩm"},
    "brand": {"en": "Brand", "vi": "Thương hiệu"},
    "label": {"en": "Genuine or fake", "vi": "Loại"},
    "view": {"en": "View (front, back, label…)", "vi": "Góc chụp (trước, sau, nhãn…)"},
    "add": {"en": "Add to catalog", "vi": "Thêm vào danh mục"},
    "import_title": {"en": "Import a manifest", "vi": "Nhập tệp danh sách"},
    "import_manifest": {"en": "Products manifest (CSV: path, product_id, label, name, brand, view)",
                        "vi": "Tệp danh sách sản phẩm (CSV: path, product_id, label, name, brand, view)"},
    "import_files": {"en": "Its photos, or a zip", "vi": "Ảnh kèm theo, hoặc tệp zip"},
    "import": {"en": "Import", "vi": "Nhập"},
    "remove_title": {"en": "Remove", "vi": "Xóa"},
    "remove_ids": {"en": "Image ids to remove (comma-separated; or click the photos above)",
                   "vi": "Mã ảnh cần xóa (cách nhau bởi dấu phẩy, hoặc bấm vào ảnh ở trên)"},
    "remove_refs": {"en": "Remove references", "vi": "Xóa ảnh mẫu"},
    "remove_product": {"en": "Product to remove (all its references)", "vi": "Sản phẩm cần xóa (mọi ảnh mẫu)"},
    "remove_product_button": {"en": "Remove product", "vi": "Xóa sản phẩm"},
    "removed": {"en": "Removed {removed} references. The last removal can be undone.",
                "vi": "Đã xóa {removed} ảnh mẫu. Có thể hoàn tác lần xóa gần nhất."},
    "confirm_remove_refs": {"en": "Remove {count} references ({ids}) of {products}? The last removal can be undone.",
                            "vi": "Xóa {count} ảnh mẫu ({ids}) của {products}? Có thể hoàn tác lần xóa gần nhất."},
    "confirm_remove_product": {"en": "Remove the product {product} and all its {count} references? "
                                     "The last removal can be undone.",
                               "vi": "Xóa sản phẩm {product} cùng toàn bộ {count} ảnh mẫu? "
                                     "Có thể hoàn tác lần xóa gần nhất."},
    "bad_ids": {"en": "Image ids are whole numbers separated by commas, not “{text}”.",
                "vi": "Mã ảnh là số nguyên cách nhau bởi dấu phẩy, không phải “{text}”."},
    "no_ids": {"en": "Type the image ids to remove, or click the photos in the gallery.",
               "vi": "Nhập mã ảnh cần xóa, hoặc bấm vào ảnh trong thư viện ảnh mẫu."},
    "unknown_ids": {"en": "No reference with image id {ids} in this catalog; nothing was removed.",
                    "vi": "Danh mục không có ảnh mẫu mã {ids}; chưa xóa gì."},
    "unknown_product": {"en": "No product “{product}” in this catalog.",
                        "vi": "Danh mục không có sản phẩm “{product}”."},
    "confirm_yes": {"en": "Yes, remove", "vi": "Đồng ý xóa"},
    "cancel": {"en": "Cancel", "vi": "Hủy"},
    "removal_cancelled": {"en": "Nothing was removed.", "vi": "Chưa xóa gì."},
    "undo_removal": {"en": "Undo the last removal", "vi": "Hoàn tác lần xóa gần nhất"},
    "undo_what": {"en": "Last removal: {count} references of {products}.",
                  "vi": "Lần xóa gần nhất: {count} ảnh mẫu của {products}."},
    "undone": {"en": "Put back {added} references of {products}.", "vi": "Đã khôi phục {added} ảnh mẫu của {products}."},
    "undone_one": {"en": "Put back 1 reference of {products}.", "vi": "Đã khôi phục 1 ảnh mẫu của {products}."},
    "removed_one": {"en": "Removed 1 reference. The last removal can be undone.",
                    "vi": "Đã xóa 1 ảnh mẫu. Có thể hoàn tác lần xóa gần nhất."},
    "undo_what_one": {"en": "Last removal: 1 reference of {products}.",
                      "vi": "Lần xóa gần nhất: 1 ảnh mẫu của {products}."},
    "confirm_remove_refs_one": {"en": "Remove 1 reference ({ids}) of {products}? The last removal can be undone.",
                                "vi": "Xóa 1 ảnh mẫu ({ids}) của {products}? Có thể hoàn tác lần xóa gần nhất."},
    "confirm_remove_product_one": {"en": "Remove the product {product} and its only reference? "
                                         "The last removal can be undone.",
                                   "vi": "Xóa sản phẩm {product} cùng ảnh mẫu duy nhất của nó? "
                                         "Có thể hoàn tác lần xóa gần nhất."},
    "picked": {"en": "Selected for removal: {ids}", "vi": "Đã chọn để xóa: {ids}"},
    "edit_title": {"en": "Edit product details", "vi": "Sửa thông tin sản phẩm"},
    "label_text": {"en": "What the genuine package says (label text)", "vi": "Chữ in trên bao bì hàng thật"},
    "gtins": {"en": "GTINs (barcodes; several separated by spaces)", "vi": "Mã GTIN (mã vạch; nhiều mã cách nhau bởi dấu cách)"},
    "save_product": {"en": "Save product details", "vi": "Lưu thông tin sản phẩm"},
    "product_saved": {"en": "Saved {product}: {fields}.", "vi": "Đã lưu {product}: {fields}."},
    # a GTIN typed in the Catalog forms, said beside the box (issue 26: a wrong check digit showed the
    # library's English twice, in two identical toasts)
    "gtin_not_number": {"en": "GTIN {gtin}: not a number. A GTIN is the 8, 12, 13 or 14 digits under the barcode.",
                        "vi": "Mã GTIN {gtin}: không phải là số. Mã GTIN là dãy 8, 12, 13 hoặc 14 chữ số in dưới mã "
                              "vạch."},
    "gtin_length": {"en": "GTIN {gtin}: {digits} digits; a GTIN has 8, 12, 13 or 14.",
                    "vi": "Mã GTIN {gtin}: có {digits} chữ số; mã GTIN phải có 8, 12, 13 hoặc 14 chữ số."},
    "gtin_check_digit": {"en": "GTIN {gtin}: the last digit (the check digit) should be {expected}, not {got}; compare "
                               "it with the number under the barcode.",
                         "vi": "Mã GTIN {gtin}: chữ số cuối (số kiểm tra) phải là {expected}, không phải {got}; hãy "
                               "đối chiếu với dãy số in dưới mã vạch."},
    # a problem with an uploaded or imported file (``index.problems.Problem``; the English is the
    # importer's own sentence, ``file_problem``), a manifest or a register refused whole
    "file_at_line": {"en": "line {line}: {text}", "vi": "dòng {line}: {text}"},
    "file_problems": {"en": "{file}: {count} problems, nothing was imported:",
                      "vi": "{file}: có {count} lỗi, chưa nhập gì:"},
    "file_rows_refused": {"en": "{file}: {bad} of {rows} rows refused, nothing was imported:",
                          "vi": "{file}: {bad} trên {rows} dòng bị từ chối, chưa nhập gì:"},
    "file_more": {"en": "... and {count} more", "vi": "… và {count} lỗi khác"},
    "file_empty_product_id": {"en": "empty product_id", "vi": "cột product_id (mã sản phẩm) để trống"},
    "file_unknown_label": {"en": "unknown label '{label}' (use 'genuine' or 'counterfeit')",
                           "vi": "nhãn '{label}' không hợp lệ (ghi 'genuine' cho hàng thật, 'counterfeit' cho hàng giả)"},
    "file_same_photo": {"en": "the same photo as line {other} ({name})", "vi": "trùng ảnh với dòng {other} ({name})"},
    "file_no_photos": {"en": "no photos listed", "vi": "tệp không liệt kê ảnh nào"},
    "file_unreadable": {"en": "cannot read the file ({reason})", "vi": "không đọc được tệp ({reason})"},
    "file_not_utf8": {"en": "not UTF-8 text; save the CSV as UTF-8",
                      "vi": "không phải văn bản UTF-8; hãy lưu lại tệp dưới dạng CSV UTF-8 (trong Excel: Lưu thành → "
                            "CSV UTF-8)"},
    "file_not_utf8_further": {"en": "not UTF-8 text (save the file as CSV UTF-8); not read further",
                              "vi": "không phải văn bản UTF-8 (hãy lưu lại tệp dưới dạng CSV UTF-8); phần sau không "
                                    "được đọc"},
    "file_missing_columns": {"en": "missing column(s) {missing}; the header must include {required} (optional: "
                                   "{optional})",
                             "vi": "thiếu cột {missing}; dòng tiêu đề phải có {required} (có thể thêm: {optional})"},
    "file_cell_too_long": {"en": "the {column} cell is longer than {limit} characters; is this the right file?",
                           "vi": "ô {column} dài hơn {limit} ký tự; tệp này có đúng không?"},
    "file_not_csv_kind": {"en": "not a CSV file but {kind}; save or export the list as CSV UTF-8",
                          "vi": "không phải tệp CSV mà là {kind}; hãy lưu hoặc xuất danh sách dưới dạng CSV UTF-8"},
    "file_kind_pdf": {"en": "a PDF document", "vi": "tài liệu PDF"},
    "file_kind_workbook": {"en": "an Excel workbook or a zip archive", "vi": "bảng tính Excel hoặc tệp nén zip"},
    "file_kind_xls": {"en": "an Excel workbook", "vi": "bảng tính Excel"},
    "file_kind_photo": {"en": "a photo", "vi": "ảnh"},
    "file_not_csv": {"en": "not a readable CSV row; is this the right file?",
                     "vi": "không phải dòng CSV đọc được; tệp này có đúng không?"},
    "file_empty_path": {"en": "empty path", "vi": "cột path (đường dẫn ảnh) để trống"},
    "file_path_outside": {"en": "path '{path}' is outside the manifest's folder",
                          "vi": "đường dẫn '{path}' nằm ngoài thư mục của tệp danh sách; hãy để ảnh trong thư mục đó"},
    "file_not_found": {"en": "file not found", "vi": "không tìm thấy tệp"},
    "file_no_rows": {"en": "no rows under the header: nothing to import",
                     "vi": "không có dòng nào dưới dòng tiêu đề: không có gì để nhập"},
    "file_empty_header": {"en": "the file is empty: the first line must be the header {header}",
                          "vi": "tệp trống: dòng đầu tiên phải là dòng tiêu đề {header}"},
    "file_register_header": {"en": "the header must be {required} with {optional} optional, not {header}",
                             "vi": "dòng tiêu đề phải là {required} (có thể thêm {optional}), không phải {header}"},
    "file_fields": {"en": "{fields} fields, the header has {width}",
                    "vi": "có {fields} cột, trong khi dòng tiêu đề có {width}"},
    "file_serial_empty": {"en": "the serial is empty", "vi": "số sê-ri để trống"},
    "file_serial_long": {"en": "the serial is {length} characters long, more than {limit}",
                         "vi": "số sê-ri dài {length} ký tự, quá giới hạn {limit}"},
    "file_serial_characters": {"en": "the serial '{serial}' holds a space or a character other than letters, digits "
                                     "and punctuation",
                               "vi": "số sê-ri '{serial}' có dấu cách hoặc ký tự không phải chữ, số hay dấu câu"},
    "file_state": {"en": "state '{state}' is not one of {states}", "vi": "trạng thái '{state}' không thuộc: {states}"},
    "file_batch": {"en": "batch '{batch}' is not a GS1 batch (up to {limit} letters, digits or punctuation)",
                   "vi": "số lô '{batch}' không đúng dạng lô GS1 (tối đa {limit} chữ, số hoặc dấu câu)"},
    "file_date": {"en": "{what} '{value}' is not a date written YYYY-MM-DD",
                  "vi": "{what} '{value}' không phải ngày viết theo dạng YYYY-MM-DD (năm-tháng-ngày)"},
    "file_no_such_day": {"en": "{what} '{value}' is no day of the calendar",
                         "vi": "{what} '{value}' không có trong lịch"},
    "file_what_date": {"en": "date", "vi": "ngày"},
    "file_what_expiry": {"en": "expiry", "vi": "hạn dùng"},
    "file_gtin_not_yours": {"en": "GTIN {gtin} is not the GTIN of a product of your brands in the catalog",
                            "vi": "Mã GTIN {gtin} không thuộc sản phẩm nào của thương hiệu bạn quản lý trong danh mục"},
    "file_gtin_no_serials": {"en": "GTIN {gtin} has no serials in the register",
                             "vi": "Mã GTIN {gtin} chưa có số sê-ri nào trong sổ đăng ký"},
    "file_serial_not_registered": {"en": "this GTIN and serial are not in the register",
                                   "vi": "mã GTIN và số sê-ri này không có trong sổ đăng ký"},
    "file_serial_twice": {"en": "the same GTIN and serial as line {other}",
                          "vi": "trùng mã GTIN và số sê-ri với dòng {other}"},
    "upload_several_csv": {"en": "several CSV files uploaded ({names}); upload one manifest",
                           "vi": "đã tải lên nhiều tệp CSV ({names}); hãy chỉ tải lên một tệp danh sách"},
    "upload_same_name": {"en": "{name}: two different uploaded files have this name; rename one",
                         "vi": "{name}: hai tệp khác nhau có cùng tên này; hãy đổi tên một tệp"},
    "upload_not_copied": {"en": "{name}: cannot be copied ({reason})", "vi": "{name}: không sao chép được ({reason})"},
    "upload_zip_files": {"en": "{name}: {files} files, more than the limit of {limit}",
                         "vi": "{name}: có {files} tệp, vượt giới hạn {limit} tệp"},
    "upload_zip_size": {"en": "{name}: {size} GiB uncompressed, more than the limit of {limit} GiB",
                        "vi": "{name}: {size} GiB khi giải nén, vượt giới hạn {limit} GiB"},
    "upload_zip_entry": {"en": "{name}: cannot extract {entry}: {reason}",
                         "vi": "{name}: không giải nén được {entry}: {reason}"},
    "upload_zip_unreadable": {"en": "{name}: not a readable zip file (damaged, or not a zip); zip the photos again and "
                                    "upload it",
                              "vi": "{name}: tệp zip bị hỏng hoặc không phải tệp zip; hãy nén lại ảnh rồi tải lên lại"},
    "upload_unreadable": {"en": "{name}: cannot be read ({reason})", "vi": "{name}: không đọc được ({reason})"},
    "upload_serials_csv": {"en": "upload a CSV file of serials (gtin,serial[,batch][,expiry])",
                           "vi": "Hãy tải lên tệp CSV các số sê-ri (gtin,serial[,batch][,expiry])."},
    "upload_manifest_csv": {"en": "upload a products manifest (CSV)",
                            "vi": "Hãy tải lên tệp danh sách sản phẩm (CSV)."},
    "nothing_saved": {"en": "Nothing was saved.", "vi": "Chưa lưu gì."},
    "product_unchanged": {"en": "Nothing changed for {product}.", "vi": "Không có thay đổi nào cho {product}."},
    "product_field_too_long": {"en": "The product's {field} holds {length} characters (or codes); at most {limit} are "
                                     "kept. Shorten it: nothing was saved.",
                               "vi": "Trường {field} của sản phẩm có {length} ký tự (hoặc mã); chỉ được tối đa {limit}. "
                                     "Hãy rút gọn: chưa có gì được lưu."},
    "field_name": {"en": "name", "vi": "tên"},
    "field_brand": {"en": "brand", "vi": "nhãn hiệu"},
    "field_label_text": {"en": "label text", "vi": "chữ trên bao bì"},
    "field_gtins": {"en": "GTINs", "vi": "mã GTIN"},
    "calibration_title": {"en": "Calibration per product", "vi": "Hiệu chỉnh theo sản phẩm"},
    "audit_title": {"en": "Audit log (who changed what, when)", "vi": "Nhật ký thay đổi (ai, khi nào, thay đổi gì)"},
    "refresh": {"en": "Refresh", "vi": "Làm mới"},
    # checking a case file this deployment issued (its signature), in the Status tab
    "check_report_title": {"en": "Check a case file", "vi": "Kiểm tra biên bản"},
    "check_report_help": {"en": "Upload a report (HTML or JSON) that this system issued: it says whether the file "
                                "is unchanged since it was issued.",
                          "vi": "Tải lên biên bản (tệp HTML hoặc JSON) do hệ thống này cấp: hệ thống cho biết tệp có "
                                "còn nguyên vẹn kể từ khi cấp hay không."},
    "check_report_file": {"en": "Case file (HTML or JSON)", "vi": "Tệp biên bản (HTML hoặc JSON)"},
    "report_ok": {"en": "✔ {name}: issued by this system (key {fingerprint}) and unchanged since.",
                  "vi": "✔ {name}: do hệ thống này cấp (khóa {fingerprint}) và chưa bị sửa đổi."},
    "report_not_case_file": {"en": "{name} is not a case file: choose the .html or .json report downloaded from a "
                                   "check.",
                             "vi": "{name} không phải biên bản kiểm tra: hãy chọn tệp báo cáo .html hoặc .json đã tải "
                                   "về từ một lần kiểm tra."},
    "report_bad": {"en": "✘ {name}: NOT VERIFIED: {reason}.", "vi": "✘ {name}: KHÔNG HỢP LỆ: {reason}."},
    "report_not_text": {"en": "not a text report: it was changed or is not a report",
                        "vi": "không phải biên bản dạng văn bản: tệp đã bị sửa hoặc không phải biên bản"},
    "report_several_blocks": {"en": "it holds {count} verification blocks, and a report has one",
                              "vi": "tệp có {count} khối mã xác thực, trong khi một biên bản chỉ có một"},
    "report_block_edited": {"en": "its verification block was edited", "vi": "khối mã xác thực đã bị sửa"},
    "report_no_code": {"en": "it carries no verification code (or a damaged one): it was not issued signed, or the "
                             "code was edited",
                       "vi": "tệp không có mã xác thực (hoặc mã đã hỏng): biên bản không được cấp kèm chữ ký số, hoặc "
                             "mã đã bị sửa"},
    "report_other_key": {"en": "it was signed with another key ({signed_by}), not this system's ({expected}); check "
                               "it with the public key of the office that issued it",
                         "vi": "tệp được ký bằng khóa khác ({signed_by}), không phải khóa của hệ thống này "
                               "({expected}); hãy kiểm tra bằng khóa công khai của đơn vị đã cấp"},
    "report_changed": {"en": "the signature does not match the content: the report was changed after it was issued",
                       "vi": "chữ ký số không khớp với nội dung: biên bản đã bị sửa sau khi cấp"},
    "report_wrong_format": {"en": "it was issued as {issued} and is named .{suffix}: a report verifies only in the format "
                                  "it was issued in (renamed, a browser may show what the report never said)",
                            "vi": "biên bản được cấp dạng {issued} nhưng mang đuôi .{suffix}: biên bản chỉ hợp lệ ở đúng "
                                  "định dạng đã cấp (bị đổi tên, tệp có thể khiến trình duyệt hiển thị nội dung không có "
                                  "trong biên bản)"},
    "report_not_report": {"en": "it does not begin as a report in {named} does: it was changed or is not a report",
                          "vi": "tệp không mở đầu như một biên bản {named}: tệp đã bị sửa hoặc không phải biên bản"},
    "report_bad_name": {"en": "a case file is named .html or .json, as it was issued",
                        "vi": "tệp biên bản phải có đuôi .html hoặc .json như khi được cấp"},
    "report_too_large": {"en": "the file is {size} MB, larger than any report (at most {limit} MB)",
                         "vi": "tệp nặng {size} MB, lớn hơn mọi biên bản (tối đa {limit} MB)"},
    "report_timeout": {"en": "the check took too long and was given up; this is not a report as issued",
                       "vi": "việc kiểm tra quá lâu nên đã dừng; đây không phải biên bản như khi được cấp"},
    "report_busy": {"en": "several case files are being checked now; try again in a moment",
                    "vi": "hệ thống đang kiểm tra nhiều biên bản; hãy thử lại sau giây lát"},
    "report_unreadable": {"en": "the file cannot be read", "vi": "không đọc được tệp"},
    "report_overturned": {"en": "⚠ Check #{check_id} was later OVERTURNED in review: the report says {verdict}, the "
                                "review of {date} says {review} (review #{entry} in the audit log). Rely on the review.",
                          "vi": "⚠ Lần kiểm tra #{check_id} sau đó đã bị BÁC BỎ khi xem xét lại: biên bản ghi {verdict}, "
                                "kết quả xem xét lại ngày {date} là {review} (mục #{entry} trong nhật ký thay đổi). Hãy "
                                "căn cứ vào kết quả xem xét lại."},
    "report_confirmed": {"en": "Check #{check_id} was confirmed in review on {date}: {review} (review #{entry} in the "
                               "audit log).",
                         "vi": "Lần kiểm tra #{check_id} đã được xác nhận khi xem xét lại ngày {date}: {review} (mục "
                               "#{entry} trong nhật ký thay đổi)."},
    "report_review_by": {"en": "Reviewed by {reviewer}; review note: {note}",
                         "vi": "Người xem xét lại: {reviewer}; ghi chú: {note}"},
    "report_review_login": {"en": "Log in (top of the page) to see who reviewed it and why.",
                            "vi": "Đăng nhập (ở đầu trang) để xem ai đã xem xét lại và lý do."},
    "audit_login": {"en": "Log in (top of the page) to see the audit log: it holds user names and review notes.",
                    "vi": "Đăng nhập (ở đầu trang) để xem nhật ký thay đổi: nhật ký có tên người dùng và ghi chú "
                          "xem xét lại."},
    # status
    "model_plain_offline": {"en": "the built-in model that works without internet (weaker than the full model at "
                                  "telling look-alike packages apart)",
                            "vi": "mô hình có sẵn, chạy không cần mạng (kém hơn mô hình đầy đủ khi phân biệt bao bì "
                                  "na ná nhau)"},
    "model_plain_tuned": {"en": "the built-in model that works without internet, fitted to this catalog's photos",
                          "vi": "mô hình có sẵn, chạy không cần mạng, đã tinh chỉnh theo ảnh của danh mục này"},
    "model_plain_full": {"en": "the full image model", "vi": "mô hình ảnh đầy đủ"},
    "tuning_running": {"en": "**Fitting the model to this catalog** in the background since {since}: {progress}. "
                             "Checks use the current model until it is done; then every reference is compared "
                             "again with the fitted model and the calibration of each product is recomputed, so "
                             "scores may shift a little.",
                       "vi": "**Đang tinh chỉnh mô hình theo danh mục** (chạy nền từ {since}): {progress}. Các lần "
                             "kiểm tra vẫn dùng mô hình hiện tại cho đến khi xong; sau đó mọi ảnh mẫu được so lại "
                             "bằng mô hình mới và hiệu chỉnh của từng sản phẩm được tính lại, nên điểm có thể thay "
                             "đổi đôi chút."},
    "tuning_progress_unknown": {"en": "starting", "vi": "đang khởi động"},
    "tuning_last": {"en": "**Last fitting** committed {at}: {details}.",
                    "vi": "**Lần tinh chỉnh gần nhất** hoàn tất lúc {at}: {details}."},
    # where the vectors live when several app servers share them (no server address on the page)
    "store_shared": {"en": ", in the shared vector database (Milvus)", "vi": ", trong cơ sở dữ liệu vectơ dùng chung (Milvus)"},
    "status_body": {
        "en": "**Catalog** (folder “{catalog}”): {references} references of {products} products ({genuine} genuine, "
              "{counterfeit} known counterfeit), generation {generation}.\n\n"
              "**Search**: {index}.\n\n**Photo comparison**: {model}.\n\n"
              "**Calibration**: false-alarm target {far:.0%} of genuine photos; {calibrated} of {products} products "
              "calibrated on their own references.\n\n**Checks kept**: {checks}.\n\n**Version** {version}.",
        "vi": "**Danh mục** (thư mục “{catalog}”): {references} ảnh mẫu của {products} sản phẩm ({genuine} chính hãng, "
              "{counterfeit} hàng giả đã biết), phiên bản dữ liệu {generation}.\n\n"
              "**Tìm kiếm**: {index}.\n\n**So sánh ảnh**: {model}.\n\n"
              "**Hiệu chỉnh**: mục tiêu báo nhầm {far:.0%} ảnh chính hãng; {calibrated}/{products} sản phẩm được "
              "hiệu chỉnh bằng ảnh mẫu riêng.\n\n**Số lần kiểm tra đã lưu**: {checks}.\n\n**Phiên bản** {version}.",
    },
    # report
    "report_title": {"en": "Photo verification report", "vi": "Báo cáo kiểm tra ảnh"},
    "checked_at": {"en": "Checked at (UTC)", "vi": "Thời điểm kiểm tra (UTC)"},
    "catalog_version": {"en": "Catalog (generation)", "vi": "Danh mục (phiên bản dữ liệu)"},
    "model": {"en": "Model", "vi": "Mô hình"},
    "photos_checked": {"en": "Photos checked", "vi": "Ảnh đã kiểm tra"},
    "why": {"en": "Why", "vi": "Lý do"},
    "matches_table": {"en": "Evidence: nearest references", "vi": "Bằng chứng: ảnh mẫu gần nhất"},
    "col_product": {"en": "Product", "vi": "Sản phẩm"},
    "col_genuine": {"en": "Genuine photos", "vi": "Ảnh chính hãng"},
    "col_counterfeit": {"en": "Photos of fakes", "vi": "Ảnh hàng giả"},
    "col_label": {"en": "Label", "vi": "Loại"},
    "col_similarity": {"en": "Similarity", "vi": "Độ tương đồng"},
    "col_view": {"en": "View", "vi": "Góc chụp"},
    "col_image": {"en": "Image id", "vi": "Mã ảnh"},
    "col_inspector": {"en": "Inspector", "vi": "Cán bộ"},
    "report_inspector": {"en": "Inspector", "vi": "Cán bộ kiểm tra"},
    "col_notes": {"en": "Notes", "vi": "Ghi chú"},
    "col_checked": {"en": "Checked (UTC)", "vi": "Thời điểm (UTC)"},
    "col_case": {"en": "Case", "vi": "Vụ việc"},
    "review": {"en": "Review", "vi": "Thẩm định lại"},
    # catalog tables
    "col_file": {"en": "File", "vi": "Tệp"},
    "col_photo": {"en": "Photo", "vi": "Ảnh"},
    "col_case_or_photos": {"en": "Case or photos", "vi": "Vụ việc hoặc ảnh"},
    "col_added": {"en": "Added ({zone})", "vi": "Thời điểm thêm ({zone})"},
    "col_at": {"en": "When ({zone})", "vi": "Thời điểm ({zone})"},
    "col_action": {"en": "Change", "vi": "Thay đổi"},
    "col_details": {"en": "Details", "vi": "Chi tiết"},
    "col_sessions": {"en": "Photo sessions", "vi": "Số đợt chụp"},
    "col_calibrated_on": {"en": "Calibrated on", "vi": "Hiệu chỉnh theo"},
    "col_meaning": {"en": "What it means", "vi": "Ý nghĩa"},
    "col_known_fakes": {"en": "Seized fakes (measured on its own photos)",
                        "vi": "Hàng giả đã thu giữ (đo trên ảnh của chính sản phẩm)"},
    "known_fakes_none": {"en": "none filed: genuine or fake is not judged, only which product it is",
                         "vi": "chưa có ảnh hàng giả: chỉ xác định đúng sản phẩm, chưa đánh giá được thật hay giả"},
    "known_fakes_too_few": {"en": "{fakes} photo(s) of fakes filed, too few for a model ({needed} needed): genuine or "
                                  "fake is not judged, and no check is called genuine-looking until more are filed",
                            "vi": "mới có {fakes} ảnh hàng giả, quá ít để lập mô hình (cần {needed} ảnh): chưa đánh giá "
                                  "được thật hay giả, và chưa lần kiểm tra nào được kết luận là giống hàng thật cho đến "
                                  "khi bổ sung thêm"},
    "known_fakes_own": {"en": "{fakes} photos of fakes: {caught}% would be called counterfeit; {clear}% of its "
                              "genuine photos are clear of them",
                        "vi": "{fakes} ảnh hàng giả: {caught}% sẽ bị kết luận là hàng giả; {clear}% ảnh hàng thật "
                              "tách rõ khỏi chúng"},
    "known_fakes_brand": {"en": "fewer than 3 of its own: judged by brand {brand}'s {fakes} photos of fakes, of which "
                                "{caught}% would be called counterfeit; {clear}% of the brand's genuine photos are "
                                "clear of them. Add photos of seized fakes of this product",
                          "vi": "chưa đủ 3 ảnh hàng giả của chính sản phẩm: đánh giá theo {fakes} ảnh hàng giả của "
                                "thương hiệu {brand}, trong đó {caught}% sẽ bị kết luận là hàng giả; {clear}% ảnh hàng "
                                "thật của thương hiệu tách rõ khỏi chúng. Hãy thêm ảnh hàng giả thu giữ của chính sản "
                                "phẩm này"},
    "level_product": {"en": "its own photos", "vi": "ảnh của chính sản phẩm"},
    "level_brand": {"en": "its brand's photos", "vi": "ảnh cùng thương hiệu"},
    "level_catalog": {"en": "the whole catalog", "vi": "toàn bộ danh mục"},
    "level_similarity": {"en": "similarity only", "vi": "chỉ theo độ tương đồng"},
    "level_none": {"en": "not calibrated", "vi": "chưa hiệu chỉnh"},
    "calibration_own": {"en": "flags a photo when it scores below what {pct:.0f}% of its genuine photos reach",
                        "vi": "cảnh báo khi ảnh đạt điểm thấp hơn mức mà {pct:.0f}% ảnh chính hãng của sản phẩm đạt được"},
    "calibration_thin": {"en": "cannot earn the green badge yet: too few photo sessions to tell it from its "
                                "neighbours; add at least {more} photos taken on other days or in other places",
                         "vi": "chưa thể được nhãn xanh: quá ít lần chụp để phân biệt với sản phẩm gần giống; hãy thêm "
                               "ít nhất {more} ảnh chụp vào ngày khác hoặc ở nơi khác"},
    "photo_views": {"en": "View of each photo (optional)", "vi": "Góc chụp của từng ảnh (không bắt buộc)"},
    "photo_views_info": {"en": "In photo order, separated by commas (for example: box label, insole). Left empty, "
                               "the catalog recognises them; after a check it shows what it saw, to correct.",
                         "vi": "Theo thứ tự ảnh, cách nhau bằng dấu phẩy (ví dụ: nhãn hộp, lót giày). Để trống thì "
                               "hệ thống tự nhận ra; sau khi kiểm tra sẽ hiện góc chụp đã nhận để sửa nếu sai."},
    "tuning_calibration_change": {
        "en": "The last fitting of the model to this catalog ({when}): products compared with their own genuine "
              "photos, {before} before it and {after} after it.",
        "vi": "Lần tinh chỉnh mô hình theo danh mục gần nhất ({when}): số sản phẩm được so với ảnh hàng thật của "
              "chính nó là {before} trước khi tinh chỉnh và {after} sau khi tinh chỉnh."},
    "level_thin": {"en": "too few photo sessions", "vi": "quá ít lần chụp"},
    "status_thin": {"en": "**Cannot be confirmed yet** ({count} products: too few photos taken on different days or "
                          "in different places to tell them from their neighbours; their checks stay inconclusive): "
                          "{products}.",
                    "vi": "**Chưa thể xác nhận** ({count} sản phẩm: quá ít ảnh chụp vào những ngày hoặc ở những nơi "
                          "khác nhau để phân biệt với sản phẩm gần giống; kết quả kiểm tra các sản phẩm này sẽ là "
                          "chưa kết luận được): {products}."},
    "calibration_add": {"en": "add about {more} genuine photos taken on other days or in other shops to calibrate it "
                               "on its own",
                        "vi": "thêm khoảng {more} ảnh chính hãng chụp vào ngày khác hoặc ở cửa hàng khác để hiệu chỉnh "
                              "riêng cho sản phẩm này"},
    "action_create_account": {"en": "account created", "vi": "tạo tài khoản"},
    "action_add_references_skipped": {"en": "photos not added (already in the catalog or unreadable)",
                                      "vi": "ảnh không được thêm (đã có trong danh mục hoặc không đọc được)"},
    "action_add_from_review_skipped": {"en": "review photos not added (already in the catalog or unreadable)",
                                       "vi": "ảnh từ thẩm định không được thêm (đã có trong danh mục hoặc không đọc được)"},
    "action_import_manifest": {"en": "products imported from a list", "vi": "nhập sản phẩm từ danh sách"},
    "action_import_manifest_skipped": {"en": "photos of a list not added (already in the catalog or unreadable)",
                                       "vi": "ảnh trong danh sách không được thêm (đã có trong danh mục hoặc không đọc được)"},
    "action_keypoints": {"en": "keypoints kept for print alignment", "vi": "lưu điểm đặc trưng để đối chiếu bản in"},
    "action_rebuild_index": {"en": "search index rebuilt", "vi": "dựng lại chỉ mục tìm kiếm"},
    "audit_app_start": {"en": "app start", "vi": "khởi động ứng dụng"},
    "audit_key_products": {"en": "products", "vi": "sản phẩm"},
    "audit_key_labels": {"en": "as", "vi": "loại"},
    "audit_key_photos": {"en": "photos", "vi": "số ảnh"},
    "audit_key_check_id": {"en": "check", "vi": "lần kiểm tra"},
    "audit_key_was": {"en": "was", "vi": "kết luận cũ"},
    "audit_key_now": {"en": "now", "vi": "kết luận mới"},
    "audit_key_note": {"en": "note", "vi": "ghi chú"},
    "audit_key_already_present": {"en": "already in the catalog", "vi": "đã có trong danh mục"},
    "audit_key_unreadable": {"en": "unreadable", "vi": "không đọc được"},
    "audit_key_product_id": {"en": "product", "vi": "sản phẩm"},
    "audit_key_image_ids": {"en": "photos (ids)", "vi": "mã ảnh"},
    "audit_key_name": {"en": "name", "vi": "tên"},
    "audit_key_role": {"en": "role", "vi": "vai trò"},
    "audit_key_unit": {"en": "unit", "vi": "đơn vị"},
    "audit_key_brands": {"en": "brands", "vi": "thương hiệu"},
    "audit_key_file": {"en": "file", "vi": "tệp"},
    "audit_key_manifest": {"en": "list", "vi": "danh sách"},
    "audit_key_mode": {"en": "index", "vi": "chỉ mục"},
    "audit_key_false_alarm_rate": {"en": "false-alarm target", "vi": "mục tiêu báo nhầm"},
    "audit_key_trained_on": {"en": "trained on (photos)", "vi": "số ảnh dùng để tinh chỉnh"},
    "action_reset_password": {"en": "password reset", "vi": "đặt lại mật khẩu"},
    "action_disable_account": {"en": "account disabled", "vi": "khóa tài khoản"},
    "action_enable_account": {"en": "account enabled", "vi": "mở lại tài khoản"},
    "action_change_account": {"en": "account changed", "vi": "đổi vai trò tài khoản"},
    "action_add_references": {"en": "references added", "vi": "thêm ảnh mẫu"},
    "action_import": {"en": "catalog import", "vi": "nhập danh mục"},
    "action_add_from_review": {"en": "reference added from a review", "vi": "thêm ảnh mẫu từ thẩm định"},
    "action_review_check": {"en": "check reviewed", "vi": "thẩm định lại lần kiểm tra"},
    "action_remove_references": {"en": "references removed", "vi": "xóa ảnh mẫu"},
    "action_remove_product": {"en": "product removed", "vi": "xóa sản phẩm"},
    "action_undo_removal": {"en": "removal undone", "vi": "hoàn tác việc xóa"},
    "action_undo_removal_skipped": {"en": "removal undone (some already present)", "vi": "hoàn tác việc xóa (một số ảnh đã có sẵn)"},
    "action_edit_product": {"en": "product details edited", "vi": "sửa thông tin sản phẩm"},
    "action_tune": {"en": "model fitted to the catalog", "vi": "tinh chỉnh mô hình theo danh mục"},
    "action_rebuild": {"en": "index rebuilt", "vi": "dựng lại chỉ mục"},
    "action_set_false_alarm_rate": {"en": "false-alarm target changed", "vi": "đổi mục tiêu báo nhầm"},
    "action_set_auto_tune": {"en": "automatic fitting switched", "vi": "bật/tắt tinh chỉnh tự động"},
    "action_set_store": {"en": "vector store changed", "vi": "đổi nơi lưu vectơ"},
    "action_import_serials": {"en": "register of serials imported", "vi": "nhập sổ đăng ký số sê-ri"},
    "action_decommission_serials": {"en": "serials marked sold or checked", "vi": "ghi nhận số sê-ri đã bán hoặc đã kiểm tra"},
    "action_set_serial_storage": {"en": "serial storage changed", "vi": "đổi cách lưu số sê-ri"},
    "action_add_stamp_pattern": {"en": "stamp template added", "vi": "thêm mẫu địa chỉ tem"},
    "action_remove_stamp_pattern": {"en": "stamp template removed", "vi": "xóa mẫu địa chỉ tem"},
    "action_clear_serials": {"en": "register of serials cleared", "vi": "xóa sổ đăng ký số sê-ri"},
    # the register of serials, in the Catalog tab
    "serials_title": {"en": "Register of serial numbers (unit codes)", "vi": "Sổ đăng ký số sê-ri (mã từng đơn vị hàng)"},
    "serials_help": {"en": "A CSV file, UTF-8: `gtin,serial` with `batch` and `expiry` (YYYY-MM-DD) optional, or a "
                           "list of serials sold or checked: `gtin,serial` with `state` (sold, seen) and `date` "
                           "optional. A file with a bad row is refused whole, each bad row named with its line.",
                     "vi": "Tệp CSV, mã UTF-8: `gtin,serial`, có thể thêm `batch` (số lô) và `expiry` (hạn sử dụng, "
                           "YYYY-MM-DD); hoặc danh sách số sê-ri đã bán hay đã kiểm tra: `gtin,serial`, có thể thêm "
                           "`state` (trạng thái: `sold` = đã bán, `seen` = đã kiểm tra) và `date` (ngày, YYYY-MM-DD). Tệp có dòng sai sẽ bị từ chối toàn bộ, mỗi dòng sai được "
                           "nêu kèm số dòng."},
    "serials_file": {"en": "Register file (CSV)", "vi": "Tệp sổ đăng ký (CSV)"},
    "serials_kind": {"en": "The file lists", "vi": "Tệp này liệt kê"},
    "serials_kind_issued": {"en": "serials issued", "vi": "số sê-ri đã cấp"},
    "serials_kind_decommission": {"en": "serials sold or checked", "vi": "số sê-ri đã bán hoặc đã kiểm tra"},
    "serials_import": {"en": "Import serials", "vi": "Nhập số sê-ri"},
    "serials_imported": {"en": "{file}: {new} serials added, {updated} already in the register; {rows} rows in "
                               "{seconds} s.",
                         "vi": "{file}: đã thêm {new} số sê-ri, {updated} số đã có trong sổ; {rows} dòng trong "
                               "{seconds} giây."},
    "serials_marked": {"en": "{file}: {marked} serials marked sold or checked.",
                       "vi": "{file}: đã ghi nhận {marked} số sê-ri đã bán hoặc đã kiểm tra."},
    "serials_summary": {"en": "The register holds {serials} serials, stored {storage}.",
                        "vi": "Sổ đăng ký có {serials} số sê-ri, lưu dạng {storage}."},
    "serials_storage_hashed": {"en": "as keyed hashes (a copy of the catalog does not reveal them)",
                               "vi": "mã băm có khóa (bản sao danh mục không làm lộ số sê-ri)"},
    "serials_storage_plain": {"en": "in plain text", "vi": "dạng văn bản thường"},
    "serials_gtin_line": {"en": "GTIN {gtin}{product}: {serials} serials, {sold} sold, {seen} checked",
                          "vi": "GTIN {gtin}{product}: {serials} số sê-ri, {sold} đã bán, {seen} đã kiểm tra"},
    "serials_key_missing": {"en": "Its key is not on this machine ({path}): checks cannot read the register here.",
                            "vi": "Máy này không có khóa của sổ ({path}): lần kiểm tra không đọc được sổ đăng ký tại đây."},
    "stamp_template": {"en": "Stamp template: the address the brand's stamp QR codes open, with {serial} where the "
                             "code goes",
                       "vi": "Mẫu địa chỉ tem: địa chỉ mà mã QR trên tem của thương hiệu mở ra, với {serial} ở chỗ mã tem"},
    "stamp_add": {"en": "Add stamp template", "vi": "Thêm mẫu địa chỉ tem"},
    "stamp_added": {"en": "Stamp template added: {template}", "vi": "Đã thêm mẫu địa chỉ tem: {template}"},
    "stamp_known": {"en": "That stamp template is already there.", "vi": "Mẫu địa chỉ tem này đã có."},
    "stamps_line": {"en": "Stamp templates: {templates}", "vi": "Mẫu địa chỉ tem: {templates}"},
    "demo_examples": {"en": "Demo checks: photo → product claimed (click one, then Check)",
                      "vi": "Ví dụ để thử: ảnh → sản phẩm khai báo (bấm chọn, rồi bấm Kiểm tra)"},
    "raw_title": {"en": "Data (JSON)", "vi": "Dữ liệu (JSON)"},
    # history filters
    "history_since": {"en": "From (date)", "vi": "Từ ngày"},
    "history_until": {"en": "To (date)", "vi": "Đến ngày"},
    "history_who": {"en": "Inspector", "vi": "Cán bộ kiểm tra"},
    "history_source": {"en": "Came from", "vi": "Nguồn"},
    "history_click": {"en": "Click a row to open the check.", "vi": "Bấm vào một dòng để mở lần kiểm tra đó."},
    "history_none": {"en": "No check found.", "vi": "Không tìm thấy lần kiểm tra nào."},
    "history_bad_date": {"en": "Write dates as 2026-12-01 or 01/12/2026.",
                         "vi": "Nhập ngày theo dạng 01/12/2026 hoặc 2026-12-01."},
    "any_verdict": {"en": "any verdict", "vi": "mọi kết luận"},
    "any_source": {"en": "anywhere", "vi": "mọi nguồn"},
    "source_app": {"en": "app", "vi": "ứng dụng"},
    "source_batch": {"en": "batch", "vi": "theo lô"},
    "source_api": {"en": "API", "vi": "qua API"},
    "col_source": {"en": "From", "vi": "Nguồn"},
    "col_checked_local": {"en": "Checked at ({zone})", "vi": "Thời điểm ({zone})"},
    # case file
    "case_no": {"en": "Case / seizure number", "vi": "Số vụ việc / biên bản tạm giữ"},
    "place": {"en": "Place of inspection", "vi": "Địa điểm kiểm tra"},
    "checked_local": {"en": "Checked at", "vi": "Thời điểm kiểm tra"},
    "sign_title": {"en": "Signatures", "vi": "Chữ ký"},
    "sign_inspector": {"en": "Inspector (signature, full name)", "vi": "Cán bộ kiểm tra (ký, ghi rõ họ tên)"},
    "sign_witness": {"en": "Witness or owner of the goods (signature, full name)",
                     "vi": "Người chứng kiến hoặc chủ hàng (ký, ghi rõ họ tên)"},
    "sign_date": {"en": "Date", "vi": "Ngày"},
    "verification_title": {"en": "Verification code", "vi": "Mã xác thực báo cáo"},
    "verification_help": {
        "en": "This report is signed with the private key of the system that issued it. To check that the file "
              "has not been changed since: upload it in that system's Status tab (Check a case file); elsewhere, "
              "with the system's public key: python scripts/verify_report.py REPORT --public-key KEY.pem. A change "
              "of a single character makes the check fail.",
        "vi": "Báo cáo này được ký số bằng khóa bí mật của hệ thống đã phát hành. Để kiểm tra tệp chưa bị sửa đổi: "
              "tải tệp lên thẻ Trạng thái của hệ thống đó (mục Kiểm tra biên bản); ở nơi khác, dùng khóa công khai "
              "của hệ thống: python scripts/verify_report.py TỆP_BÁO_CÁO --public-key KHÓA.pem. Chỉ cần sửa một ký "
              "tự, kết quả kiểm tra sẽ báo không hợp lệ.",
    },
    "verification_key": {"en": "Key fingerprint", "vi": "Dấu vân tay của khóa"},
    "verification_code": {"en": "Signature", "vi": "Chữ ký số"},
    "time_format": {"en": "{date} {time} ({zone}, UTC{offset})", "vi": "{time} ngày {date} ({zone}, UTC{offset})"},
    "label_genuine": {"en": "genuine", "vi": "chính hãng"},
    "label_counterfeit": {"en": "counterfeit", "vi": "hàng giả"},
}


#: Sentences with a count: key -> the argument that counts. When it is 1, the key's ``_one``
#: sentence is used ("Removed 1 reference", not "Removed 1 references"; Vietnamese has no plural,
#: but says "1 ảnh mẫu" in a sentence of its own where the wording differs).
COUNTED = {"words_noise": "count", "removed": "removed", "undone": "added", "undo_what": "count", "confirm_remove_refs": "count",
           "confirm_remove_product": "count"}


def t(key: str, language: str = "en", **args) -> str:
    if key in COUNTED and args.get(COUNTED[key]) == 1:
        key += "_one"
    texts = TEXT[key]
    text = texts.get(language, texts["en"])
    return text.format(**args) if args else text


#: Times are stored in UTC and shown in the deployment's time zone.
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


def timezone_name() -> str:
    return os.environ.get("VERIFIER_TIMEZONE") or DEFAULT_TIMEZONE


#: Time zones as people say them (a column header reads "giờ Việt Nam", not "Asia/Ho_Chi_Minh").
ZONE_WORDS = {"Asia/Ho_Chi_Minh": {"en": "Vietnam time", "vi": "giờ Việt Nam"},
              "Asia/Saigon": {"en": "Vietnam time", "vi": "giờ Việt Nam"},
              "UTC": {"en": "UTC", "vi": "giờ UTC"}}


def index_words(description: str, language: str) -> str:
    """The search index in a reader's words, the technical name after it: an exact search compares
    a photo with every reference; IVF and HNSW search part of them (faster on large catalogs)."""
    if "HNSW" in description:
        words = {"en": "approximate (a graph of neighbours)", "vi": "gần đúng (đồ thị lân cận)"}
    elif "IVF" in description:
        words = {"en": "approximate (by clusters)", "vi": "gần đúng (theo cụm)"}
    else:
        words = {"en": "exact (every reference compared)", "vi": "chính xác (so với mọi ảnh mẫu)"}
    return f"{words.get(language, words['en'])} · {description}"


def zone_words(language: str) -> str:
    """The deployment's time zone in the reader's words (its name when we have none)."""
    zone = timezone_name()
    return ZONE_WORDS.get(zone, {}).get(language, zone)


def local_time(utc_iso: str | None, language: str = "en", zone: str | None = None, short: bool = False) -> str:
    """``2026-12-01T02:31:00Z`` as a person reads it where they are: ``09:31 ngày 01/12/2026 (giờ
    Việt Nam, UTC+07:00)`` in Vietnamese, ``2026-12-01 09:31 (Vietnam time, ...)`` in English. The zone is
    ``VERIFIER_TIMEZONE`` (default Asia/Ho_Chi_Minh); an unknown zone name falls back to UTC."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not utc_iso:
        return "—"
    try:
        moment = datetime.fromisoformat(utc_iso.replace("Z", "+00:00"))
    except ValueError:
        return utc_iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    name = zone or timezone_name()
    try:
        tz = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        tz, name = timezone.utc, "UTC"
    local = moment.astimezone(tz)
    offset = local.strftime("%z")
    date = local.strftime("%d/%m/%Y") if language == "vi" else local.strftime("%Y-%m-%d")
    if short:  # in tables: the zone is named in the column's header
        return f"{date} {local.strftime('%H:%M')}"
    # the zone as people say it ("giờ Việt Nam"), its database name only for a zone without words
    words = ZONE_WORDS.get(name, {}).get(language) or (f"giờ {name}" if language == "vi" else name)
    return t("time_format", language, date=date, time=local.strftime("%H:%M"), zone=words,
             offset=f"{offset[:3]}:{offset[3:]}")


def day(iso_date: str | None, language: str) -> str:
    """``2026-12-01`` as the reader writes a date: ``01/12/2026`` in Vietnamese."""
    if not iso_date:
        return "—"
    if language == "vi" and len(iso_date) == 10 and iso_date[4] == "-":
        return f"{iso_date[8:10]}/{iso_date[5:7]}/{iso_date[:4]}"
    return iso_date


def short_day(iso_date: str, year: bool = False) -> str:
    """``2026-12-01`` on a chart's axis: ``01/12``, as the page's date boxes write days in either
    language (``01/12/2026`` when ``year``: days that span more than one year). One form for both
    languages: a Gradio plot redrawn with other words on its axis kept the first ones."""
    y, m, d = iso_date[:4], iso_date[5:7], iso_date[8:10]
    if not (len(iso_date) == 10 and iso_date[4] == "-" and (y + m + d).isdigit()):
        return iso_date
    return f"{d}/{m}/{y}" if year else f"{d}/{m}"


def number(value: float, language: str, digits: int = 2) -> str:
    """A decimal as the reader writes it: a comma in Vietnamese (0,87), a point in English."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if language == "vi" else text


#: Why a photo could not be read (vision.images), as the reader's language says it.
PHOTO_PROBLEMS_VI = [
    (r"file not found", "không tìm thấy tệp"),
    (r"is a folder, not a photo", "là một thư mục, không phải ảnh"),
    (r"file is empty \(0 bytes\)", "tệp rỗng (0 byte)"),
    (r"file is (\S+) MiB, larger than the (\S+) MiB limit", r"tệp nặng \1 MiB, vượt giới hạn \2 MiB"),
    (r"not an image file \((.*)\)", r"không phải tệp ảnh (\1)"),
    (r"image file is truncated.*", "tệp ảnh bị thiếu dữ liệu (tải xuống hoặc sao chép chưa xong?)"),
    (r"(\S+) image is (\S+) = (\S+) megapixels, more than the (\S+) megapixel limit for formats other than JPEG.*",
     r"ảnh \1 \2 = \3 megapixel, vượt giới hạn \4 megapixel cho định dạng không phải JPEG; hãy lưu nhỏ hơn hoặc "
     "sang JPEG"),
    (r"image is (\S+) = (\S+) megapixels, more than the (\S+) megapixel limit.*",
     r"ảnh \1 = \2 megapixel, vượt giới hạn \3 megapixel"),
    (r"image is too large.*", "ảnh quá lớn (vượt giới hạn số megapixel)"),
    (r"cannot decode image: (.*)", r"không giải mã được ảnh: \1"),
    (r"cannot (?:access|read) file \((.*)\)", r"không đọc được tệp (\1)"),
]


#: What a file that is not an image holds (``vision.images._describe_content``), in Vietnamese.
CONTENTS_VI = {"PDF document": "tài liệu PDF", "ZIP archive": "tệp nén ZIP", "text file": "tệp văn bản",
               "unrecognised binary format": "định dạng không nhận ra",
               "HTML page, perhaps a saved web page instead of the photo":
                   "trang HTML, có lẽ là trang web đã lưu chứ không phải ảnh",
               "SVG vector drawing; export it as PNG or JPEG": "hình vẽ SVG; hãy xuất thành PNG hoặc JPEG"}


def file_problem(problem: str, language: str) -> str:
    """A problem with an uploaded or imported file (``index.problems.Problem``) in the reader's
    language; in English, or without a wording, the importer's own sentence."""
    key = getattr(problem, "key", None)
    if key is None:
        return str(problem)
    fields = dict(problem.fields)
    line = fields.pop("line", None)
    if key == "as_written":
        text = fields.get("text", str(problem))
    elif key in TEXT:
        if key == "file_not_csv_kind":
            fields["kind"] = t(f"file_kind_{fields.get('kind')}", language)
        if key in ("file_date", "file_no_such_day"):
            fields["what"] = t(f"file_what_{fields.get('what')}", language) \
                if f"file_what_{fields.get('what')}" in TEXT else fields.get("what", "")
        fields = {name: number(value, language, 2) if isinstance(value, float) else value
                  for name, value in fields.items()}
        text = t(key, language, **fields)
    else:
        return str(problem)
    if line is None:
        return text
    text = text.rstrip(".")  # an item of a list: no full stop, lower case after "line N:" (not "GTIN")
    if text[:1].isupper() and not text[1:2].isupper():
        text = text[:1].lower() + text[1:]
    return t("file_at_line", language, line=line, text=text)


def file_error(exc: BaseException, language: str) -> str | None:
    """A refused upload, manifest or register as sentences in the reader's language, or None for
    an error that is not one (``ManifestError``, ``RegisterFileError``, an error carrying a
    ``Problem``)."""
    from pathlib import Path

    from index.importing.manifests import ManifestError

    if isinstance(exc, ManifestError):
        name = Path(exc.manifest).name
        shown = [file_problem(problem, language) for problem in exc.problems[:20]]
        if hasattr(exc, "bad"):  # a register refused whole: its bad rows, the first ones shown
            head, more = t("file_rows_refused", language, file=name, bad=exc.bad, rows=exc.rows), exc.bad - len(shown)
        elif len(shown) == 1:
            return f"{name}: {shown[0]}"
        else:
            head, more = t("file_problems", language, file=name, count=len(exc.problems)), len(exc.problems) - len(shown)
        return "\n".join([head, *(f"- {line}" for line in shown)] + ([t("file_more", language, count=more)] if more > 0 else []))
    problem = exc.args[0] if exc.args else None
    if getattr(problem, "key", None) is not None:
        return file_problem(problem, language)
    return None


def photo_problem(reason: str, language: str) -> str:
    """A photo's read error in the reader's language (the English reason when no wording fits)."""
    import re

    if language != "vi":
        return reason
    for pattern, vietnamese in PHOTO_PROBLEMS_VI:
        match = re.fullmatch(pattern, reason.strip())
        if match:
            text = match.expand(vietnamese)
            return "".join(CONTENTS_VI.get(part, part) for part in re.split(r"(?<=\()(.*)(?=\)$)", text))
    return reason


def percent(share: float, language: str) -> str:
    """A share as a percentage the reader writes (3.2% / 3,2%); below 0.1%: "<0.1%"."""
    if share < 0.001:
        return number(0.1, language, 1).join(("<", "%"))
    return number(100 * share, language, 1) + "%"


def outcome(verdict: str, language: str) -> str:
    return t(f"outcome_{verdict}", language)


def flag(name: str, language: str) -> str:
    key = f"flag_{name}"
    return t(key, language) if key in TEXT else name.replace("_", " ")


#: Message arguments that hold a product id: the sentence names the product instead.
PRODUCT_ARGS = ("target", "identified", "other", "product", "claimed", "first", "second")


def verdict_sentence(result: dict, language: str) -> str:
    """The verdict's sentence in ``language``, from its message key (English text as a fallback),
    products by their names."""
    details = result.get("details") or {}
    message = details.get("message")
    if not message:
        return result.get("explanation", "")
    names = details.get("product_names") or {}
    args = {k: (names.get(v) or v) if k in PRODUCT_ARGS and isinstance(v, str) else v
            for k, v in (message.get("args") or {}).items()}
    if isinstance(args.get("when"), str):  # a moment (UTC) where the reader is
        args["when"] = local_time(args["when"], language)
    for key in ("date", "read", "expected"):  # dates (an expiry read, the register's): as the reader writes them
        if isinstance(args.get(key), str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", args[key]):
            args[key] = day(args[key], language)
    try:  # a listing's reader is given steps they can take (details.photos_of, from the Verify tab)
        return explain(message["key"], args, language, details.get("photos_of") or "item")
    except (KeyError, ValueError):
        return result.get("explanation", "")


assert all(set(v) >= set(LANGUAGES) for v in TEXT.values()), "every text needs every language"
