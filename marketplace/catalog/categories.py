"""The fixed product categories, units and producer kinds, with Vietnamese labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATEGORIES: list[tuple[str, str]] = [
    ("gao", _l("Gạo")),
    ("trai-cay", _l("Trái cây")),
    ("gia-vi", _l("Gia vị & nước chấm")),
    ("banh-keo", _l("Bánh kẹo & đặc sản")),
    ("bun-mien", _l("Bún, mỳ, miến")),
    ("rau-cu", _l("Rau củ")),
    ("thit-trung", _l("Thịt & trứng")),
    ("do-uong", _l("Đồ uống")),
    ("thu-cong", _l("Thủ công")),
    ("khac", _l("Khác")),
]
CATEGORY_KEYS = frozenset(key for key, _label in CATEGORIES)

# Units are stored (and printed on labels) in Vietnamese; pages show them in the page's language.
UNITS: list[str] = [
    "kg", "g", "hộp", "chai", "gói", "túi", "bó", "lọ", "hũ", "quả", "chục", "cái", "bánh",
    "con", "lít", "thùng", "bao", "khay",
]
UNIT_LABELS = {
    "kg": _l("kg"), "g": _l("g"), "hộp": _l("hộp"), "chai": _l("chai"), "gói": _l("gói"),
    "túi": _l("túi"), "bó": _l("bó"), "lọ": _l("lọ"), "hũ": _l("hũ"), "quả": _l("quả"),
    "chục": _l("chục"), "cái": _l("cái"), "bánh": _l("bánh"), "con": _l("con"),
    "lít": _l("lít"), "thùng": _l("thùng"), "bao": _l("bao"), "khay": _l("khay"),
}


def unit_label(unit: str | None) -> str:
    """A unit in the page's language ('hộp' reads 'box' in English); others as written."""
    return str(UNIT_LABELS.get(unit or "", unit or ""))

PRODUCER_KINDS: list[tuple[str, str]] = [
    ("household", _l("Hộ gia đình")),
    ("cooperative", _l("Hợp tác xã")),
    ("company", _l("Doanh nghiệp")),
]
PRODUCER_KIND_KEYS = frozenset(key for key, _label in PRODUCER_KINDS)


def category_label(key: str | None) -> str:
    """Return the label of a category key (the key itself if unknown)."""
    return str(dict(CATEGORIES).get(key, key or ""))


def producer_kind_label(key: str | None) -> str:
    """Return the label of a producer kind key (the key itself if unknown)."""
    return str(dict(PRODUCER_KINDS).get(key, key or ""))
