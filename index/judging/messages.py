"""The one plain sentence of each verdict, in every language the product speaks.

A decision carries a message key and its arguments (numbers, product ids), so the same verdict
reads the same in the result JSON (English), in the app and in reports (the user's language).
"""

from __future__ import annotations

LANGUAGES = ("en", "vi")

MESSAGES: dict[str, dict[str, str]] = {
    "no_readable_photo": {
        "en": "None of the photos could be read, so nothing was compared.",
        "vi": "Không đọc được ảnh nào, nên không có gì để so sánh.",
    },
    "claimed_product_not_in_catalog": {
        "en": "The catalog has no genuine reference of the claimed product {claimed}, so the claim cannot be checked.",
        "vi": "Danh mục chưa có ảnh mẫu chính hãng của sản phẩm khai báo “{claimed}”, nên không thể kiểm tra "
              "khai báo này.",
    },
    "empty_catalog": {
        "en": "The catalog has no genuine references to compare with.",
        "vi": "Danh mục chưa có ảnh mẫu chính hãng nào để so sánh.",
    },
    "closer_to_known_counterfeit": {
        "en": "The photos are closer to a known counterfeit of {target} (similarity {fake:.2f}) than to any of its "
              "genuine references ({similarity:.2f}).",
        "vi": "Ảnh giống một hàng giả đã biết của {target} (độ tương đồng {fake:.2f}) hơn bất kỳ ảnh mẫu chính hãng "
              "nào của sản phẩm này ({similarity:.2f}).",
    },
    "reused_catalog_photo": {
        "en": "The photo is a copy of catalog photo #{image_id} of {product} (possibly resized, cropped, "
              "recompressed, watermarked or mirrored). It shows the brand's own picture, not the item on sale, so "
              "the item itself is unverified: ask for photos of the item in hand.",
        "vi": "Ảnh này là bản sao của ảnh danh mục #{image_id} của {product} (có thể đã đổi kích thước, cắt, nén "
              "lại, đóng dấu hoặc lật ngược). Đó là ảnh của chính hãng, không phải ảnh món hàng đang bán, nên món "
              "hàng chưa được xác minh: hãy yêu cầu ảnh chụp thực tế món hàng.",
    },
    "no_close_match": {
        "en": "The photo does not match any product in the catalog well enough to judge: it is less similar to its "
              "best candidate, {target} ({similarity:.2f}), than {percent:.0f}% of that product's genuine photos are.",
        "vi": "Ảnh không khớp đủ với sản phẩm nào trong danh mục để kết luận: độ tương đồng với ứng viên gần nhất, "
              "{target} ({similarity:.2f}), thấp hơn {percent:.0f}% ảnh chính hãng của sản phẩm đó.",
    },
    "matches_known_counterfeits": {
        "en": "The photos look like the known counterfeits of {target}: more like them than {percent:.0f}% of its "
              "genuine photos do. Compare the item with the counterfeit shown.",
        "vi": "Ảnh giống các mẫu hàng giả đã biết của {target}: giống hơn {percent:.0f}% ảnh chính hãng của sản "
              "phẩm này. Hãy đối chiếu món hàng với mẫu hàng giả được hiển thị.",
    },
    "code_of_other_product": {
        "en": "The barcode {code} on the item belongs to another product in the catalog, {other}, not to {target}.",
        "vi": "Mã vạch {code} trên món hàng thuộc về một sản phẩm khác trong danh mục, {other}, không phải {target}.",
    },
    "code_check_digit_fails": {
        "en": "The barcode number {code} read on the item fails its check digit: a genuine {target} pack does not "
              "carry an invalid number. Check the number by eye.",
        "vi": "Dãy số mã vạch {code} đọc được trên món hàng sai số kiểm tra: bao bì {target} chính hãng không mang "
              "số không hợp lệ. Hãy đối chiếu dãy số bằng mắt.",
    },
    "code_from_other_company": {
        "en": "The barcode {code} on the item was issued under a company prefix that is not {target}'s brand's "
              "(prefix issued by {issuer}).",
        "vi": "Mã vạch {code} trên món hàng được cấp theo mã doanh nghiệp không phải của thương hiệu {target} "
              "(tiền tố do {issuer} cấp).",
    },
    # the unit's own code (index.judging.serials): the brand's register, the memory of codes seen
    "serial_not_issued": {
        "en": "The serial number {code} on the item was never issued: the brand's register for GTIN {gtin} does not "
              "hold it. A made-up serial is a mark of a counterfeit.",
        "vi": "Số sê-ri {code} trên món hàng chưa từng được cấp: sổ đăng ký mã của chủ sở hữu nhãn hiệu cho mã GTIN {gtin} "
              "không có số này. Số sê-ri tự đặt ra là dấu hiệu của hàng giả.",
    },
    "serial_issued_for_other_gtin": {
        "en": "The serial number {code} on the item was issued by the brand for another product (GTIN {issued}), "
              "not for {target}: the code may have been copied from that product.",
        "vi": "Số sê-ri {code} trên món hàng được chủ sở hữu nhãn hiệu cấp cho một sản phẩm khác (mã GTIN {issued}), không "
              "phải cho {target}: mã có thể đã bị sao chép từ sản phẩm đó.",
    },
    "serial_decommissioned_sold": {
        "en": "The brand's register marks the serial number {code} as already sold ({date}): a unit sold once should "
              "not be on sale again. Its code may have been copied.",
        "vi": "Sổ đăng ký mã của chủ sở hữu nhãn hiệu ghi số sê-ri {code} đã được bán ra ({date}): một đơn vị hàng đã bán "
              "thì không thể được bày bán lại. Mã có thể đã bị sao chép.",
    },
    "serial_decommissioned_seen": {
        "en": "The brand's register marks the serial number {code} as already checked on another unit ({date}). "
              "Its code may have been copied.",
        "vi": "Sổ đăng ký mã của chủ sở hữu nhãn hiệu ghi số sê-ri {code} đã được kiểm tra trên một đơn vị hàng khác "
              "({date}). Mã có thể đã bị sao chép.",
    },
    "serial_seen_before": {
        "en": "The serial number {code} was already read on another item: check #{check} at {place}, {when}, in "
              "another case. One unit's code on two items means it was copied: compare the two.",
        "vi": "Số sê-ri {code} đã được đọc trên một món hàng khác: lần kiểm tra #{check} tại {place}, {when}, thuộc "
              "vụ việc khác. Mã của một đơn vị hàng xuất hiện trên hai món nghĩa là mã đã bị sao chép: hãy đối "
              "chiếu hai món hàng.",
    },
    "serial_seen_before_no_place": {
        "en": "The serial number {code} was already read on another item: check #{check}, {when}, in another case. "
              "One unit's code on two items means it was copied: compare the two.",
        "vi": "Số sê-ri {code} đã được đọc trên một món hàng khác: lần kiểm tra #{check}, {when}, thuộc vụ việc "
              "khác. Mã của một đơn vị hàng xuất hiện trên hai món nghĩa là mã đã bị sao chép: hãy đối chiếu hai "
              "món hàng.",
    },
    "serial_seen_before_command_line": {
        "en": "The serial number {code} was already read on another item, in a check run from the command line at "
              "{place}, {when}, in another case. One unit's code on two items means it was copied.",
        "vi": "Số sê-ri {code} đã được đọc trên một món hàng khác, trong một lần kiểm tra chạy bằng dòng lệnh tại "
              "{place}, {when}, thuộc vụ việc khác. Mã của một đơn vị hàng xuất hiện trên hai món nghĩa là mã đã bị "
              "sao chép.",
    },
    "serial_seen_before_command_line_no_place": {
        "en": "The serial number {code} was already read on another item, in a check run from the command line, "
              "{when}, in another case. One unit's code on two items means it was copied.",
        "vi": "Số sê-ri {code} đã được đọc trên một món hàng khác, trong một lần kiểm tra chạy bằng dòng lệnh, "
              "{when}, thuộc vụ việc khác. Mã của một đơn vị hàng xuất hiện trên hai món nghĩa là mã đã bị sao chép.",
    },
    "batch_mismatch": {
        "en": "The code of serial number {code} gives batch {read}, but the brand issued that serial in batch "
              "{expected}. Check the batch number printed on the pack.",
        "vi": "Mã của số sê-ri {code} ghi số lô {read}, nhưng chủ sở hữu nhãn hiệu cấp số sê-ri này cho lô {expected}. "
              "Hãy kiểm tra số lô in trên bao bì.",
    },
    "expiry_mismatch": {
        "en": "The code of serial number {code} gives expiry {read}, but the brand recorded {expected} for that "
              "serial. Check the expiry date printed on the pack.",
        "vi": "Mã của số sê-ri {code} ghi hạn sử dụng {read}, nhưng chủ sở hữu nhãn hiệu ghi nhận hạn {expected} cho số "
              "sê-ri này. Hãy kiểm tra hạn sử dụng in trên bao bì.",
    },
    "consistent_with_genuine_serial": {
        "en": "The evidence supports {target}: the photos identify it clearly (probability {probability:.0f}%) and "
              "the brand issued the serial number on it. A genuine serial can be copied, and a photo comparison "
              "cannot prove authenticity.",
        "vi": "Bằng chứng ủng hộ {target}: ảnh cho thấy rõ đây là sản phẩm này (xác suất {probability:.0f}%) và số "
              "sê-ri trên món hàng do chủ sở hữu nhãn hiệu cấp. Số sê-ri thật vẫn có thể bị sao chép, và so sánh ảnh không "
              "thể chứng minh hàng thật.",
    },
    "brand_name_misspelt": {
        "en": "The brand name on the package reads \"{read}\", not \"{expected}\": a misspelt brand is a common "
              "mark of a counterfeit. Check the print by eye.",
        "vi": "Tên thương hiệu trên bao bì là \"{read}\", không phải \"{expected}\": sai chính tả tên thương hiệu là dấu "
              "hiệu thường gặp của hàng giả. Hãy kiểm tra chữ in bằng mắt.",
    },
    "looks_like_other_product": {
        "en": "The photos show {identified}, not {target}: the evidence identifies {identified} clearly.",
        "vi": "Ảnh cho thấy {identified}, không phải {target}: các đặc điểm trên ảnh xác định rõ đó là {identified}.",
    },
    "less_similar_than_genuine": {
        "en": "The photos score lower for {target} than {percent:.0f}% of its genuine photos do "
              "(similarity {similarity:.2f}). Check the item by hand.",
        "vi": "Điểm của ảnh đối với {target} thấp hơn {percent:.0f}% ảnh chính hãng của sản phẩm này "
              "(độ tương đồng {similarity:.2f}). Hãy kiểm tra trực tiếp món hàng.",
    },
    "less_similar_looks_like_other": {
        "en": "The photos score lower for {target} than {percent:.0f}% of its genuine photos do "
              "(similarity {similarity:.2f}), and look more like {identified}. Check the item by hand.",
        "vi": "Điểm của ảnh đối với {target} thấp hơn {percent:.0f}% ảnh chính hãng của sản phẩm này "
              "(độ tương đồng {similarity:.2f}), và ảnh giống {identified} hơn. Hãy kiểm tra trực tiếp món hàng.",
    },
    "atypical_for_brand": {
        "en": "Inconclusive: the photos identify {target} (probability {probability:.0f}%, more than look-alikes "
              "reach) but score lower than {percent:.0f}% of the genuine photos of its brand, which calibrate it "
              "while the catalog holds too few of its own. The two disagree: photograph the item again as advised "
              "below and compare it with the genuine reference.",
        "vi": "Chưa kết luận được: ảnh được xác định là {target} (xác suất {probability:.0f}%, cao hơn mức hàng trông giống "
              "đạt tới) nhưng điểm thấp hơn {percent:.0f}% ảnh chính hãng của các sản phẩm cùng thương hiệu, dùng để "
              "hiệu chỉnh vì danh mục có quá ít ảnh của chính sản phẩm này. Hai căn cứ không thống nhất: hãy chụp "
              "lại món hàng theo hướng dẫn bên dưới và đối chiếu với ảnh mẫu chính hãng.",
    },
    "atypical_for_catalog": {
        "en": "Inconclusive: the photos identify {target} (probability {probability:.0f}%, more than look-alikes "
              "reach) but score lower than {percent:.0f}% of the genuine photos of the whole catalog, which "
              "calibrate it while the catalog holds too few of its own. The two disagree: photograph the item "
              "again as advised below and compare it with the genuine reference.",
        "vi": "Chưa kết luận được: ảnh được xác định là {target} (xác suất {probability:.0f}%, cao hơn mức hàng trông giống "
              "đạt tới) nhưng điểm thấp hơn {percent:.0f}% ảnh chính hãng của toàn bộ danh mục, dùng để hiệu chỉnh "
              "vì danh mục có quá ít ảnh của chính sản phẩm này. Hai căn cứ không thống nhất: hãy chụp lại món hàng "
              "theo hướng dẫn bên dưới và đối chiếu với ảnh mẫu chính hãng.",
    },
    "atypical_for_product": {
        "en": "Inconclusive: the photos identify {target} (probability {probability:.0f}%, more than look-alikes "
              "reach) but score lower than {percent:.0f}% of its genuine photos, most of which the model was "
              "fitted on, so that their scores are estimated. The two disagree: photograph the item again as "
              "advised below and compare it with the genuine reference.",
        "vi": "Chưa kết luận được: ảnh được xác định là {target} (xác suất {probability:.0f}%, cao hơn mức hàng trông giống "
              "đạt tới) nhưng điểm thấp hơn {percent:.0f}% ảnh chính hãng của sản phẩm này; phần lớn các ảnh đó đã "
              "được dùng để tinh chỉnh mô hình nên điểm của chúng chỉ là ước tính. Hai căn cứ không thống nhất: hãy "
              "chụp lại món hàng theo hướng dẫn bên dưới và đối chiếu với ảnh mẫu chính hãng.",
    },
    "not_clear_of_known_fakes": {
        "en": "Inconclusive: the photos look like {target}, but not clearly unlike its seized fakes: "
              "{fake_percent:.0f}% of the known fakes look at least as genuine as these photos. Compare the item "
              "with the genuine reference and the fake shown, and photograph the details advised below.",
        "vi": "Chưa kết luận được: ảnh giống {target}, nhưng chưa khác rõ so với các mẫu hàng giả đã thu giữ: "
              "{fake_percent:.0f}% mẫu hàng giả đã biết trông giống hàng thật không kém các ảnh này. Hãy đối chiếu "
              "món hàng với ảnh mẫu chính hãng và mẫu hàng giả được hiển thị, rồi chụp các chi tiết được hướng dẫn "
              "bên dưới.",
    },
    "too_few_references": {
        "en": "Inconclusive: the catalog holds too few photos of {products} to tell it from its neighbours, so no "
              "green badge can be earned yet. The brand owner should add at least {photos} more photos of each, "
              "taken on different days or in different places.",
        "vi": "Chưa kết luận được: danh mục có quá ít ảnh của {products} để phân biệt với các sản phẩm gần giống, "
              "nên chưa thể đưa ra nhãn xanh. Chủ sở hữu nhãn hiệu cần bổ sung ít nhất {photos} ảnh nữa cho mỗi sản phẩm, "
              "chụp vào những ngày hoặc ở những nơi khác nhau.",
    },
    "text_names_other_product": {
        "en": "The package reads “{word}”, a word of {other}, and none of the words that set {target} apart: the "
              "print contradicts the claim. Compare the label with the genuine reference.",
        "vi": "Trên bao bì đọc được chữ “{word}”, là chữ của {other}, và không đọc được chữ nào đặc trưng cho "
              "{target}: chữ in mâu thuẫn với khai báo. Hãy đối chiếu nhãn với ảnh mẫu chính hãng.",
    },
    "low_score_few_sessions": {
        "en": "Inconclusive: the photos score lower than {percent:.0f}% of the genuine photos {target} is calibrated on, "
              "but the catalog holds photos of it from only {sessions} sessions, too few to accuse an item from its "
              "looks alone. Photograph it again as advised below and compare it with the genuine reference.",
        "vi": "Chưa kết luận được: điểm của ảnh thấp hơn {percent:.0f}% ảnh chính hãng dùng để hiệu chỉnh {target}, "
              "nhưng danh mục chỉ có ảnh của sản phẩm này từ {sessions} lần chụp, quá ít để kết luận chỉ dựa vào hình "
              "dáng bên ngoài. Hãy chụp lại theo hướng dẫn bên dưới và đối chiếu với ảnh mẫu chính hãng.",
    },
    "text_mentions_other_product": {
        "en": "Inconclusive: the photos look like {target}, but the package also carries “{word}”, a word of "
              "{other}. Check that the package is the product claimed, and photograph its front label close and "
              "straight.",
        "vi": "Chưa kết luận được: ảnh giống {target}, nhưng trên bao bì còn có chữ “{word}” của {other}. Hãy "
              "kiểm tra bao bì có đúng là sản phẩm khai báo không, và chụp gần, thẳng nhãn mặt trước.",
    },
    "text_figure_differs": {
        "en": "Inconclusive: the photos look like {target}, but the package reads “{read}” where the genuine packs of "
              "{target} read “{usual}”: it may be another variant of the line, which the catalog does not hold. "
              "Compare the printed figure with the genuine pack shown, and photograph it close and straight.",
        "vi": "Chưa kết luận được: ảnh giống {target}, nhưng trên bao bì in “{read}”, trong khi bao bì chính hãng của "
              "{target} in “{usual}”: có thể đây là một loại khác cùng dòng sản phẩm mà danh mục chưa có. Hãy đối chiếu "
              "con số in trên bao bì với bao bì chính hãng hiển thị bên cạnh, và chụp gần, thẳng chỗ in con số đó.",
    },
    "too_few_known_fakes": {
        "en": "Inconclusive: the photos look like {target}, but the catalog holds too few photos of its seized fakes "
              "({fakes}; at least {needed} are needed) to tell its fakes from genuine photos, so the item cannot be "
              "called genuine-looking. Compare it with the fake shown and keep it for the brand owner to assess: more "
              "photos of the item will not settle this, more seized fakes on file will.",
        "vi": "Chưa kết luận được: ảnh giống {target}, nhưng danh mục có quá ít ảnh hàng giả đã thu giữ của sản phẩm "
              "này ({fakes} ảnh; cần ít nhất {needed} ảnh) để phân biệt hàng giả với hàng thật, nên chưa thể kết luận "
              "món hàng giống hàng thật. Hãy đối chiếu với mẫu hàng giả được hiển thị và giữ lại để chủ sở hữu nhãn "
              "hiệu giám định: chụp thêm ảnh món hàng không giải quyết được, cần bổ sung thêm ảnh hàng giả đã thu giữ "
              "vào danh mục.",
    },
    "resembles_known_fakes": {
        "en": "Inconclusive: the photos look more like the seized fakes of {target} than like its genuine "
              "references, though not clearly enough to call them counterfeit. Compare the item with the fake "
              "shown, and photograph it again as advised below.",
        "vi": "Chưa kết luận được: ảnh giống các mẫu hàng giả đã thu giữ của {target} hơn là giống ảnh mẫu chính "
              "hãng, nhưng chưa đủ rõ để kết luận là hàng giả. Hãy đối chiếu món hàng với mẫu hàng giả được hiển "
              "thị và chụp lại theo hướng dẫn bên dưới.",
    },
    "views_disagree": {
        "en": "Inconclusive: the photos look most like {target}, but not every view of the model takes them for "
              "it, as happens with products missing from the catalog. Choose the product the package or listing "
              "claims it is, or photograph the item again as advised below.",
        "vi": "Chưa kết luận được: ảnh giống {target} nhất, nhưng không phải mọi góc nhìn của mô hình đều nhận là "
              "sản phẩm này, điều thường gặp với sản phẩm không có trong danh mục. Hãy chọn sản phẩm mà bao bì hoặc "
              "tin đăng ghi, hoặc chụp lại món hàng theo hướng dẫn bên dưới.",
    },
    "photos_show_different_products": {
        "en": "Inconclusive: the photos show different products ({first} and {second}), and one check is one "
              "item. Check each item on its own, with only its photos.",
        "vi": "Chưa kết luận được: các ảnh cho thấy những sản phẩm khác nhau ({first} và {second}), trong khi mỗi "
              "lần kiểm tra chỉ dành cho một món hàng. Hãy kiểm tra riêng từng món, chỉ với ảnh của món đó.",
    },
    "consistent_with_genuine": {
        "en": "The evidence supports {target}: the photos identify it clearly (probability {probability:.0f}%) and "
              "nothing read on them contradicts it. A photo comparison cannot prove authenticity.",
        "vi": "Bằng chứng ủng hộ {target}: ảnh cho thấy rõ đây là sản phẩm này (xác suất {probability:.0f}%) và không có "
              "thông tin nào đọc được trên ảnh mâu thuẫn. So sánh ảnh không thể chứng minh hàng thật.",
    },
    "consistent_with_genuine_code": {
        "en": "The evidence supports {target}: the photos identify it clearly (probability {probability:.0f}%) and "
              "its barcode matches. A photo comparison cannot prove authenticity.",
        "vi": "Bằng chứng ủng hộ {target}: ảnh cho thấy rõ đây là sản phẩm này (xác suất {probability:.0f}%) và mã vạch "
              "khớp. So sánh ảnh không thể chứng minh hàng thật.",
    },
    "insufficient_evidence": {
        "en": "Inconclusive: the photos neither clearly show {target} nor contradict it. Photograph the item again "
              "as advised below.",
        "vi": "Chưa kết luận được: ảnh không cho thấy rõ là {target}, cũng không có gì mâu thuẫn. Hãy chụp lại món "
              "hàng theo hướng dẫn bên dưới.",
    },
    "other_product_views_disagree": {
        "en": "Inconclusive: the photos look more like {identified} than {target}, but not every view of the model "
              "takes them for {identified}, so their looks are not evidence enough either way. Photograph the item "
              "again as advised below, and compare it with both.",
        "vi": "Chưa kết luận được: ảnh giống {identified} hơn {target}, nhưng không phải mọi góc nhìn của mô hình "
              "đều nhận là {identified}, nên hình dáng bên ngoài chưa đủ để kết luận theo hướng nào. Hãy chụp lại món "
              "hàng theo hướng dẫn bên dưới và đối chiếu với cả hai sản phẩm.",
    },
    "insufficient_evidence_looks_like_other": {
        "en": "Inconclusive: the photos do not clearly show {target}; they look somewhat more like {identified}. "
              "Photograph the item again as advised below, and compare it with both.",
        "vi": "Chưa kết luận được: ảnh không cho thấy rõ là {target}; ảnh có phần giống {identified} hơn. Hãy chụp "
              "lại món hàng theo hướng dẫn bên dưới và đối chiếu với cả hai sản phẩm.",
    },
    "insufficient_evidence_unclaimed": {
        "en": "Inconclusive: the photos do not identify a catalog product clearly enough (the nearest is {target}). "
              "Choose the product the package or listing claims it is, or photograph the item again as advised below.",
        "vi": "Chưa kết luận được: ảnh không đủ rõ để nhận ra một sản phẩm trong danh mục (gần nhất là {target}). "
              "Hãy chọn sản phẩm mà bao bì hoặc tin đăng ghi, hoặc chụp lại món hàng theo hướng dẫn bên dưới.",
    },
}


#: Sentences of checks kept in the history before verdicts had to be earned (still shown when reopened).
EARLIER: dict[str, dict[str, str]] = {
    "looks_like_other_uncalibrated": {
        "en": "The photos look more like {identified} than like {target}; the catalog holds too few references of {target} to say how much its genuine photos vary. Check the item by hand.",
        "vi": "Ảnh giống {identified} hơn là {target}; danh mục có quá ít ảnh mẫu của {target} để biết ảnh chính hãng khác nhau đến đâu. Hãy kiểm tra trực tiếp món hàng."
    },
    "consistent_looks_like_other": {
        "en": "The photos are consistent with the genuine references of {target} (similarity {similarity:.2f}; {percent:.0f}% of its genuine photos score as low or lower), but they look more like {identified}: compare the item with both. A photo comparison cannot prove authenticity.",
        "vi": "Ảnh phù hợp với các ảnh mẫu chính hãng của {target} (độ tương đồng {similarity:.2f}; {percent:.0f}% ảnh chính hãng của sản phẩm này có điểm bằng hoặc thấp hơn), nhưng ảnh giống {identified} hơn: hãy đối chiếu món hàng với cả hai. So sánh ảnh không thể chứng minh hàng thật."
    },
    "consistent_with_genuine_uncalibrated": {
        "en": "The photos are consistent with the genuine references of {target} (similarity {similarity:.2f}). A photo comparison cannot prove authenticity.",
        "vi": "Ảnh phù hợp với các ảnh mẫu chính hãng của {target} (độ tương đồng {similarity:.2f}). So sánh ảnh không thể chứng minh hàng thật."
    }
}
MESSAGES.update(EARLIER)


#: What to photograph next when the photos could not settle it.
ADVICE: dict[str, dict[str, str]] = {
    "photo_label": {"en": "the front label, close and straight, so its printed name and brand can be read",
                    "vi": "nhãn mặt trước, chụp gần và thẳng, để đọc được tên sản phẩm và thương hiệu in trên đó"},
    "photo_barcode": {"en": "the barcode (EAN/UPC or QR), filling most of the photo",
                      "vi": "mã vạch (EAN/UPC hoặc QR), chiếm gần hết khung hình"},
    "photo_batch_code": {"en": "the batch or lot code and the expiry date",
                         "vi": "số lô sản xuất và hạn sử dụng"},
    "photo_logo": {"en": "a close-up of the logo and any seal or hologram",
                   "vi": "cận cảnh logo và tem, nhãn chống giả (nếu có)"},
    # ``photo_view:NAME``: a view of the item whose known fakes the catalog tells apart (NAME as
    # the brand owner's manifest calls it)
    "photo_view": {"en": "the “{view}” view, as the catalog's references show it: its fakes differ there",
                   "vi": "góc chụp “{view}” như ảnh mẫu trong danh mục: hàng giả thường khác ở chỗ này"},
}


THIN_CATALOG: dict[str, str] = {
    "en": "{count} products have photos from fewer than {min_sessions} sessions ({examples}): their checks stay "
          "inconclusive until each has at least {ask} photos taken on different days or in different places.",
    "vi": "{count} sản phẩm có ảnh từ dưới {min_sessions} lần chụp ({examples}): kiểm tra các sản phẩm này sẽ chưa "
          "kết luận được cho đến khi mỗi sản phẩm có ít nhất {ask} ảnh chụp vào những ngày hoặc ở những nơi khác nhau.",
}
THIN_CATALOG_ONE: dict[str, str] = {
    "en": "{examples} has photos from fewer than {min_sessions} sessions: its checks stay inconclusive until it has at "
          "least {ask} photos taken on different days or in different places.",
    "vi": "{examples} có ảnh từ dưới {min_sessions} lần chụp: kiểm tra sản phẩm này sẽ chưa kết luận được cho đến khi "
          "có ít nhất {ask} ảnh chụp vào những ngày hoặc ở những nơi khác nhau.",
}


def thin_catalog_sentence(summary, language: str = "en", shown: int = 5) -> str:
    """After an import: the products whose checks cannot earn the green badge yet, and what they need
    (``summary``: an ``ImportSummary`` with ``thin_products``)."""
    thin = list(summary.thin_products)
    examples = ", ".join(thin[:shown]) + (" …" if len(thin) > shown else "")
    texts = THIN_CATALOG_ONE if len(thin) == 1 else THIN_CATALOG
    return texts.get(language, texts["en"]).format(count=len(thin), examples=examples,
                                                   min_sessions=summary.min_sessions, ask=summary.ask_sessions)


def advice_text(key: str, language: str = "en") -> str | None:
    """The words of an advice key (``photo_view:NAME`` carries its view), None for an unknown key."""
    name, _, view = key.partition(":")
    texts = ADVICE.get(name)
    if texts is None:
        return None
    return texts.get(language, texts["en"]).format(view=view)


#: The steps the sentences give for an item in hand, as the reader of an online listing can take them
#: (a consumer or a marketplace analyst has the seller's photos, not the item: issue 26, a listing
#: was told to "check the item by hand"). Applied in order to the formatted sentence of a check
#: whose photos are of a listing; tests/test_service.py holds every sentence to it.
LISTING_STEPS: dict[str, list[tuple[str, str]]] = {
    "en": [("Check the item by hand.", "Ask the seller for clear photos of the item itself (front label, barcode, "
                                       "batch code), or do not buy it."),
           ("photograph the item again as advised below", "ask the seller for the photos listed below"),
           ("Photograph the item again as advised below", "Ask the seller for the photos listed below"),
           ("Photograph it again as advised below", "Ask the seller for the photos listed below"),
           ("photograph it again as advised below", "ask the seller for the photos listed below"),
           ("photograph the details advised below", "ask the seller for the photos listed below"),
           ("and photograph its front label close and straight", "and ask the seller for a close, straight photo "
                                                                  "of its front label"),
           ("and photograph it close and straight", "and ask the seller for a close, straight photo of it"),
           ("Compare the item with", "Compare the listing's photos with"),
           ("compare the item with", "compare the listing's photos with")],
    "vi": [("Hãy kiểm tra trực tiếp món hàng.", "Hãy đề nghị người bán gửi ảnh chụp rõ chính món hàng (nhãn mặt "
                                                "trước, mã vạch, số lô), hoặc đừng mua."),
           ("chụp lại món hàng theo hướng dẫn bên dưới", "đề nghị người bán gửi các ảnh nêu bên dưới"),
           ("chụp lại theo hướng dẫn bên dưới", "đề nghị người bán gửi các ảnh nêu bên dưới"),
           ("rồi chụp các chi tiết được hướng dẫn bên dưới", "rồi đề nghị người bán gửi các ảnh nêu bên dưới"),
           ("và chụp gần, thẳng nhãn mặt trước", "và đề nghị người bán gửi ảnh chụp gần, thẳng nhãn mặt trước"),
           ("và chụp gần, thẳng chỗ in con số đó", "và đề nghị người bán gửi ảnh chụp gần, thẳng chỗ in con số đó"),
           ("đối chiếu món hàng với", "đối chiếu ảnh tin đăng với")],
}
#: What a check's photos are of: an item in the inspector's (or the buyer's) hands, or a listing.
PHOTO_SOURCES = ("item", "listing")


class Decimal:
    """A number written as the reader writes it: a decimal comma in Vietnamese (``0,75``), so a
    sentence says the same number as the figures beside it (issue 26: "0,75" beside "0.75")."""

    def __init__(self, value, comma: bool):
        self.value, self.comma = value, comma

    def __format__(self, spec: str) -> str:
        text = format(self.value, spec)
        return text.replace(".", ",") if self.comma else text

    def __str__(self) -> str:
        return format(self, "")


class Probability(float):
    """A percentage shown as a probability: over 99.5 it prints ``>99``, never ``100`` (a photo
    comparison is never certain, and the model's 99.7% is not a measured certainty either)."""

    def __format__(self, spec: str) -> str:
        if spec.endswith("f") and float(self) >= 99.5:
            return ">99"
        return format(float(self), spec)


def explain(key: str, args: dict | None = None, language: str = "en", photos_of: str = "item") -> str:
    """The sentence for ``key`` in ``language`` (English when that language lacks it), its numbers
    written as the language writes them; ``photos_of="listing"``: its steps for a listing's reader."""
    texts = MESSAGES[key]
    args = dict(args or {})
    if isinstance(args.get("probability"), (int, float)):
        args["probability"] = Probability(args["probability"])
    if isinstance(args.get("products"), (list, tuple)):
        args["products"] = ", ".join(str(p) for p in args["products"])
    # "lower (more) than 100% of its genuine photos" says more than a comparison with them measured
    if isinstance(args.get("percent"), (int, float)) and args["percent"] > 99:
        args["percent"] = 99.0
    text_language = language if language in texts else "en"
    args = {k: Decimal(v, text_language == "vi") if isinstance(v, float) else v for k, v in args.items()}
    if key == "text_figure_differs" and text_language == "vi":  # printed figures: "1,5%" as Vietnamese writes it
        args.update({k: str(args[k]).replace(".", ",") for k in ("read", "usual") if k in args})
    text = texts[text_language].format(**args)
    if photos_of == "listing":
        for in_hand, listing in LISTING_STEPS.get(text_language, ()):
            text = text.replace(in_hand, listing)
    return text
