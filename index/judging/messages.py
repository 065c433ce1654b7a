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
        "vi": "Danh mục không có ảnh mẫu chính hãng nào của sản phẩm được khai báo {claimed}, nên không thể kiểm tra "
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
    "looks_like_other_uncalibrated": {
        "en": "The photos look more like {identified} than like {target}; the catalog holds too few references of "
              "{target} to say how much its genuine photos vary. Check the item by hand.",
        "vi": "Ảnh giống {identified} hơn là {target}; danh mục có quá ít ảnh mẫu của {target} để biết ảnh chính "
              "hãng khác nhau đến đâu. Hãy kiểm tra trực tiếp món hàng.",
    },
    "less_similar_than_genuine": {
        "en": "The photos score lower for {target} than {percent:.0f}% of its genuine reference photos do "
              "(similarity {similarity:.2f}). Check the item by hand.",
        "vi": "Điểm của ảnh đối với {target} thấp hơn {percent:.0f}% ảnh mẫu chính hãng của sản phẩm này "
              "(độ tương đồng {similarity:.2f}). Hãy kiểm tra trực tiếp món hàng.",
    },
    "less_similar_looks_like_other": {
        "en": "The photos score lower for {target} than {percent:.0f}% of its genuine reference photos do "
              "(similarity {similarity:.2f}). It looks more like {identified}. Check the item by hand.",
        "vi": "Điểm của ảnh đối với {target} thấp hơn {percent:.0f}% ảnh mẫu chính hãng của sản phẩm này "
              "(độ tương đồng {similarity:.2f}). Ảnh giống {identified} hơn. Hãy kiểm tra trực tiếp món hàng.",
    },
    "consistent_with_genuine": {
        "en": "The photos are consistent with the genuine references of {target} (similarity {similarity:.2f}; "
              "{percent:.0f}% of its genuine photos score as low or lower). A photo comparison cannot prove "
              "authenticity.",
        "vi": "Ảnh phù hợp với các ảnh mẫu chính hãng của {target} (độ tương đồng {similarity:.2f}; {percent:.0f}% "
              "ảnh chính hãng của sản phẩm này có điểm bằng hoặc thấp hơn). So sánh ảnh không thể chứng minh "
              "hàng thật.",
    },
    "consistent_looks_like_other": {
        "en": "The photos are consistent with the genuine references of {target} (similarity {similarity:.2f}; "
              "{percent:.0f}% of its genuine photos score as low or lower), but they look more like {identified}: "
              "compare the item with both. A photo comparison cannot prove authenticity.",
        "vi": "Ảnh phù hợp với các ảnh mẫu chính hãng của {target} (độ tương đồng {similarity:.2f}; {percent:.0f}% "
              "ảnh chính hãng của sản phẩm này có điểm bằng hoặc thấp hơn), nhưng ảnh giống {identified} hơn: hãy "
              "đối chiếu món hàng với cả hai. So sánh ảnh không thể chứng minh hàng thật.",
    },
    "consistent_with_genuine_uncalibrated": {
        "en": "The photos are consistent with the genuine references of {target} (similarity {similarity:.2f}). "
              "A photo comparison cannot prove authenticity.",
        "vi": "Ảnh phù hợp với các ảnh mẫu chính hãng của {target} (độ tương đồng {similarity:.2f}). "
              "So sánh ảnh không thể chứng minh hàng thật.",
    },
}


def explain(key: str, args: dict | None = None, language: str = "en") -> str:
    """The sentence for ``key`` in ``language`` (English when that language lacks it)."""
    texts = MESSAGES[key]
    return texts.get(language, texts["en"]).format(**(args or {}))
