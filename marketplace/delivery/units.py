"""Vietnam's administrative units since 1 July 2025 (34 provinces, their communes), by name.

The list comes from the maintained `vietnam-provinces` package (data of the General Statistics
Office). Addresses written before the 2025 reorganisation name one of the 63 old provinces:
OLD_PROVINCES maps each of the 29 merged ones to the province it became part of, as set by
Nghị quyết 202/2025/QH15 of the National Assembly (12 June 2025, in force 1 July 2025), which
the package does not carry.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from vietnam_provinces import Province, Ward

from marketplace.text import search_key

# Nghị quyết 202/2025/QH15 về việc sắp xếp đơn vị hành chính cấp tỉnh, Điều 1: each old
# province that no longer exists -> code of the province it was merged into.
OLD_PROVINCES: dict[str, int] = {
    "Hà Giang": 8,  # -> Tuyên Quang
    "Yên Bái": 15,  # -> Lào Cai
    "Bắc Kạn": 19,  # -> Thái Nguyên
    "Vĩnh Phúc": 25, "Hòa Bình": 25,  # -> Phú Thọ
    "Bắc Giang": 24,  # -> Bắc Ninh
    "Thái Bình": 33,  # -> Hưng Yên
    "Hải Dương": 31,  # -> Hải Phòng
    "Hà Nam": 37, "Nam Định": 37,  # -> Ninh Bình
    "Quảng Bình": 44,  # -> Quảng Trị
    "Quảng Nam": 48,  # -> Đà Nẵng
    "Kon Tum": 51,  # -> Quảng Ngãi
    "Bình Định": 52,  # -> Gia Lai
    "Ninh Thuận": 56,  # -> Khánh Hòa
    "Phú Yên": 66,  # -> Đắk Lắk
    "Đắk Nông": 68, "Bình Thuận": 68,  # -> Lâm Đồng
    "Bình Dương": 79, "Bà Rịa - Vũng Tàu": 79,  # -> Thành phố Hồ Chí Minh
    "Bình Phước": 75,  # -> Đồng Nai
    "Long An": 80,  # -> Tây Ninh
    "Tiền Giang": 82,  # -> Đồng Tháp
    "Bến Tre": 86, "Trà Vinh": 86,  # -> Vĩnh Long
    "Sóc Trăng": 92, "Hậu Giang": 92,  # -> Thành phố Cần Thơ
    "Bạc Liêu": 96,  # -> Cà Mau
    "Kiên Giang": 91,  # -> An Giang
}
# Other names people write for a province (older official names, everyday short forms).
ALIASES: dict[str, int] = {
    "Thừa Thiên Huế": 46, "Huế": 46, "TP HCM": 79, "TPHCM": 79, "HCM": 79, "Sài Gòn": 79,
    "Vũng Tàu": 79, "Bà Rịa Vũng Tàu": 79, "Đắc Lắc": 66, "Đắk Lắc": 66, "Đăk Lăk": 66,
}

_PROVINCE_PREFIX = re.compile(r"^(?:tinh|thanh pho|tp)\s+")
_WARD_PREFIX = re.compile(r"^(?:phuong|xa|dac khu|p|x)\s+")


@dataclass(frozen=True, slots=True)
class Place:
    """Where an order is delivered: a province, and its commune when known."""

    province: Province
    ward: Ward | None = None
    old_name: str | None = None  # the pre-2025 province the shopper wrote, if any

    @property
    def label(self) -> str:
        return f"{self.ward.name}, {self.province.name}" if self.ward else self.province.name


def provinces() -> list[Province]:
    """The 34 provinces and cities, by name."""
    return sorted(Province.iter_all(), key=lambda p: search_key(short_name(p)))


def province(code: int) -> Province | None:
    try:
        return Province.from_code(int(code))
    except (TypeError, ValueError):
        return None


def ward(code: int) -> Ward | None:
    try:
        return Ward.from_code(int(code))
    except (TypeError, ValueError):
        return None


def short_name(p: Province) -> str:
    """'Thành phố Hà Nội' -> 'Hà Nội' (how people say it)."""
    return p.name.removeprefix("Thành phố ")


def _province_key(text: str) -> str:
    return _PROVINCE_PREFIX.sub("", search_key(text))


@functools.cache
def _province_index() -> dict[str, tuple[int, str | None]]:
    """Folded name -> (province code, old name it was written under or None)."""
    index: dict[str, tuple[int, str | None]] = {}
    for p in Province.iter_all():
        index[_province_key(p.name)] = (int(p.code), None)
        index[p.codename.replace("_", " ")] = (int(p.code), None)
    for alias, code in ALIASES.items():
        index.setdefault(_province_key(alias), (code, None))
    for old, code in OLD_PROVINCES.items():
        index[_province_key(old)] = (code, old)
    return index


def find_province(text: str | None) -> tuple[Province, str | None] | None:
    """Read a province name (any accents or case, old or new), or None if unknown.

    Returns the province today and the old province's name when the text named one.
    """
    key = _province_key(text or "")
    found = _province_index().get(key) if key else None
    if found is None:
        return None
    return Province.from_code(found[0]), found[1]


@functools.cache
def _ward_index(province_code: int) -> tuple[dict[str, Ward], dict[str, list[Ward]]]:
    """Per province: full folded name -> ward, and folded name without 'Xã'/'Phường'."""
    full: dict[str, Ward] = {}
    bare: dict[str, list[Ward]] = {}
    for w in Ward.iter_by_province(province_code):
        key = search_key(w.name)
        full[key] = w
        bare.setdefault(_WARD_PREFIX.sub("", key), []).append(w)
    return full, bare


def wards(province_code: int) -> list[Ward]:
    """The communes, wards and special zones of a province, by name."""
    return sorted(_ward_index(int(province_code))[0].values(), key=lambda w: search_key(w.name))


def find_ward(province_code: int, text: str | None) -> Ward | None:
    """Read a commune of the province by name ('Xã Nam Dương', 'nam duong'); None if unknown
    or if the bare name fits two units (a 'Xã' and a 'Phường' of the same name)."""
    key = search_key(text or "")
    if not key:
        return None
    full, bare = _ward_index(int(province_code))
    if key in full:
        return full[key]
    found = bare.get(_WARD_PREFIX.sub("", key), [])
    return found[0] if len(found) == 1 else None


def place_in_address(address: str | None) -> Place | None:
    """Find the province (and commune) named in a free-text address, read from its end.

    'Thôn 3, xã Nam Dương, Lục Ngạn, Bắc Giang' -> Xã Nam Dương, Bắc Ninh: addresses written
    before 1 July 2025 keep finding their province today.
    """
    parts = [p.strip() for p in re.split(r"[,;\n]", address or "") if p.strip()]
    for i in range(len(parts) - 1, -1, -1):
        found = find_province(parts[i])
        if found is None:
            continue
        prov, old = found
        # A part written "xã …"/"phường …" names the commune; else the first part that is one
        # (the commune comes before the old district, which may share a commune's name).
        named = [p for p in parts[:i] if _WARD_PREFIX.match(search_key(p))]
        for part in named + parts[:i]:
            w = find_ward(int(prov.code), part)
            if w is not None:
                return Place(prov, w, old)
        return Place(prov, None, old)
    return None
