"""Demo stalls and products of the Yên Dũng fair: 18 stalls, about 70 products with photos."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import build_user
from marketplace.catalog import services as catalog
from marketplace.catalog.gtin import gs1_check_digit
from marketplace.catalog.models import Product, Stall
from marketplace.catalog.pictures import product_picture
from marketplace.extensions import db
from marketplace.formatting import vn_today
from marketplace.text import account_holder_name

BG = "Bắc Giang"

# Sellers 7–18; the first six come from demo/people.py in the order of STALLS below.
NEW_SELLERS = [
    ("Đỗ Văn Thế", "0912000007"),
    ("Ngô Thị Hằng", "0912000008"),
    ("Lý Văn Sơn", "0912000009"),
    ("Nguyễn Thị Chũ", "0912000010"),
    ("Trịnh Văn Vân", "0912000011"),
    ("Đào Thị Mai", "0912000012"),
    ("Bùi Văn Hạ", "0912000013"),
    ("Phan Thị Tiến", "0912000014"),
    ("Đặng Thị Nếp", "0912000015"),
    ("Mai Văn Phúc", "0912000016"),
    ("Vương Thị Giang", "0912000017"),
    ("Hà Văn Quế", "0912000018"),
]

# Harvest dates and lots follow the calendar: demo/provenance.py sets them from today.
_VIETGAP_LYCHEE = {"variety": "Vải thiều Thanh Hà", "planting_year": 2008}

# slug, name, commune, district, province, story, producer, bank (bin, number) or None, products
# producer: (name, kind, address, growing area, growing-area code)
# product: (name, category, unit, net kg, price VND, stock, extras)
STALLS: list[dict] = [
    dict(slug="gao-thom-yen-dung", name="Gạo thơm Yên Dũng", commune="Tư Mại",
         district="Yên Dũng", province=BG,
         story="Lúa Bắc thơm số 7 cấy trên cánh đồng mẫu lớn ven sông Thương, xay xát ngay "
               "tại làng.",
         producer=("HTX Nông nghiệp Tư Mại", "cooperative", "Xã Tư Mại, Yên Dũng, Bắc Giang",
                   "Cánh đồng mẫu lớn Tư Mại", "VN-BG-YD-0003"),
         bank=("970405", "2501205123456"),
         products=[
             ("Gạo Bắc thơm số 7 túi 5 kg", "gao", "túi", "5", 125000, 120,
              {"variety": "Bắc thơm số 7", "harvest_start": date(2025, 5, 25)}),
             ("Gạo thơm Yên Dũng túi 10 kg", "gao", "túi", "10", 230000, 60,
              {"variety": "Bắc thơm số 7", "ocop_stars": 3, "ocop_year": 2022}),
             ("Gạo lứt đỏ túi 2 kg", "gao", "túi", "2", 70000, 40, {"variety": "Lúa lứt đỏ"}),
             ("Gạo tám xoan túi 5 kg", "gao", "túi", "5", 140000, 35,
              {"variety": "Tám xoan"}),
         ]),
    dict(slug="tuong-la-tri-yen", name="Tương làng Trí Yên", commune="Trí Yên",
         district="Yên Dũng", province=BG,
         story="Tương nếp ủ chum sành phơi nắng hơn 3 tháng theo cách của làng Trí Yên.",
         producer=("Hộ sản xuất tương Trần Thị Lan", "household",
                   "Thôn Trung, xã Trí Yên, Yên Dũng", None, None),
         bank=("970405", "2501205234567"),
         products=[
             ("Tương nếp Trí Yên chai 500 ml", "gia-vi", "chai", "0.55", 35000, 200,
              {"ocop_stars": 3, "ocop_year": 2021, "gtin": 1}),
             ("Tương nếp Trí Yên chai 1 lít", "gia-vi", "chai", "1.1", 65000, 120,
              {"ocop_stars": 3, "ocop_year": 2021, "gtin": 2}),
             ("Tương Trí Yên hũ sành 2 lít", "gia-vi", "hũ", "2.3", 150000, 30,
              {"ocop_stars": 3, "ocop_year": 2021}),
             ("Mốc tương khô gói 200 g", "gia-vi", "gói", "0.2", 25000, 50, {}),
         ]),
    dict(slug="banh-da-canh-thuy", name="Bánh đa Cảnh Thụy", commune="Cảnh Thụy",
         district="Yên Dũng", province=BG,
         story="Bánh đa vừng tráng tay, phơi trên phên tre, nướng than hoa thơm giòn.",
         producer=("HTX Bánh đa Cảnh Thụy", "cooperative", "Xã Cảnh Thụy, Yên Dũng",
                   None, None),
         bank=("970418", "12010004567890"),
         products=[
             ("Bánh đa vừng Cảnh Thụy (10 chiếc)", "banh-keo", "gói", "0.5", 40000, 300,
              {"ocop_stars": 3, "ocop_year": 2022, "gtin": 3}),
             ("Bánh đa nem Cảnh Thụy", "banh-keo", "gói", "0.3", 20000, 200,
              {"ocop_stars": 3, "ocop_year": 2022}),
             ("Bánh đa gấc (10 chiếc)", "banh-keo", "gói", "0.5", 45000, 150, {}),
             ("Bánh đa mỏng nướng sẵn", "banh-keo", "túi", "0.3", 30000, 100, {}),
         ]),
    dict(slug="tinh-bot-nghe-thuy-duong", name="Tinh bột nghệ Thuỳ Dương", commune="Nham Sơn",
         district="Yên Dũng", province=BG,
         story="Nghệ vàng trồng trên đồi Nham Sơn, lọc tinh bột thủ công, sấy lạnh.",
         producer=("Cơ sở Thuỳ Dương", "household", "Xã Nham Sơn, Yên Dũng",
                   "Đồi nghệ Nham Sơn", "VN-BG-YD-0021"),
         bank=("970415", "108001234567"),
         products=[
             ("Tinh bột nghệ vàng hũ 500 g", "gia-vi", "hũ", "0.5", 250000, 80,
              {"ocop_stars": 3, "ocop_year": 2023, "gtin": 4}),
             ("Tinh bột nghệ vàng hũ 200 g", "gia-vi", "hũ", "0.2", 110000, 120,
              {"ocop_stars": 3, "ocop_year": 2023}),
             ("Viên nghệ mật ong lọ 300 g", "khac", "lọ", "0.3", 180000, 60, {}),
             ("Tinh bột nghệ đen hũ 200 g", "gia-vi", "hũ", "0.2", 160000, 40, {}),
         ]),
    dict(slug="vai-thieu-luc-ngan", name="Vải thiều Lục Ngạn", commune="Phượng Sơn",
         district="Lục Ngạn", province=BG,
         story="Vải thiều VietGAP từ vùng trồng có mã số, hái sáng sớm, đóng hộp trong ngày.",
         producer=("HTX Vải thiều Phượng Sơn", "cooperative", "Xã Phượng Sơn, Lục Ngạn",
                   "Vùng vải Phượng Sơn", "VN-BG-LN-0012"),
         bank=("970405", "2506205345678"),
         products=[
             ("Vải thiều Lục Ngạn tươi (VietGAP)", "trai-cay", "kg", "1", 35000, 2000,
              dict(_VIETGAP_LYCHEE)),
             ("Vải thiều Lục Ngạn hộp 2 kg", "trai-cay", "hộp", "2", 85000, 500,
              dict(_VIETGAP_LYCHEE)),
             ("Vải thiều hộp quà 5 kg", "trai-cay", "hộp", "5", 200000, 150,
              {**_VIETGAP_LYCHEE, "growing_area_code": "VN-BG-LN-0015"}),
             ("Vải thiều cấp đông IQF túi 1 kg", "trai-cay", "túi", "1", 90000, 300,
              {"variety": "Vải thiều Thanh Hà"}),
             ("Vải thiều sấy khô túi 1 kg", "trai-cay", "túi", "1", 120000, 100,
              {"variety": "Vải thiều Thanh Hà", "ocop_stars": 3, "ocop_year": 2021}),
             ("Mật ong hoa vải chai 500 ml", "khac", "chai", "0.7", 150000, 40, {}),
         ]),
    dict(slug="my-rau-cu", name="Mỳ rau củ Yên Dũng", commune="Tân Liễu",
         district="Yên Dũng", province=BG,
         story="Mỳ làm từ bột mỳ và nước ép rau củ tươi: cải bó xôi, gấc, nghệ, củ dền.",
         producer=("Cơ sở mỳ Vũ Thị Hoa", "household", "Xã Tân Liễu, Yên Dũng", None, None),
         bank=("970422", "0912000006"),
         products=[
             ("Mỳ rau củ ngũ sắc gói 500 g", "bun-mien", "gói", "0.5", 45000, 150,
              {"gtin": 5}),
             ("Mỳ cải bó xôi gói 500 g", "bun-mien", "gói", "0.5", 40000, 100, {}),
             ("Mỳ gấc gói 500 g", "bun-mien", "gói", "0.5", 40000, 100, {}),
             ("Mỳ củ dền gói 500 g", "bun-mien", "gói", "0.5", 40000, 80, {}),
         ]),
    dict(slug="mat-ong-yen-the", name="Mật ong Yên Thế", commune="Tam Tiến",
         district="Yên Thế", province=BG,
         story="Ong nuôi dưới tán rừng keo, vải và nhãn; mật quay tại trại, không pha trộn.",
         producer=("Trại ong Đỗ Văn Thế", "household", "Xã Tam Tiến, Yên Thế",
                   "Rừng Tam Tiến", None),
         bank=("970405", "2512205456789"),
         products=[
             ("Mật ong hoa vải chai 1 lít", "khac", "chai", "1.4", 250000, 60, {}),
             ("Mật ong rừng lọ 500 g", "khac", "lọ", "0.5", 180000, 50,
              {"ocop_stars": 3, "ocop_year": 2023}),
             ("Phấn hoa ong lọ 200 g", "khac", "lọ", "0.2", 120000, 30, {}),
             ("Sáp ong nguyên chất bánh 500 g", "khac", "bánh", "0.5", 90000, 20, {}),
         ]),
    dict(slug="ga-doi-yen-the", name="Gà đồi Yên Thế", commune="Đồng Lạc",
         district="Yên Thế", province=BG,
         story="Gà thả đồi, ăn ngô thóc, nuôi trên 4 tháng; có chỉ dẫn địa lý Yên Thế.",
         producer=("HTX Gà đồi Đồng Lạc", "cooperative", "Xã Đồng Lạc, Yên Thế",
                   "Đồi Đồng Lạc", "VN-BG-YT-0007"),
         bank=("970436", "1023456789"),
         products=[
             ("Gà đồi Yên Thế nguyên con (1,8 kg)", "thit-trung", "con", "1.8", 220000, 40,
              {"ocop_stars": 4, "ocop_year": 2022}),
             ("Gà ủ muối hoa tiêu", "thit-trung", "con", "1.2", 250000, 25, {}),
             ("Trứng gà đồi (10 quả)", "thit-trung", "chục", "0.6", 45000, 100, {}),
             ("Chân gà đồi rút xương hộp 500 g", "thit-trung", "hộp", "0.5", 95000, 30, {}),
         ]),
    dict(slug="che-tay-yen-tu", name="Chè Tây Yên Tử", commune="Thanh Luận",
         district="Sơn Động", province=BG,
         story="Chè shan trồng trên sườn Tây Yên Tử, sao tay bằng chảo gang.",
         producer=("HTX Chè Thanh Luận", "cooperative", "Xã Thanh Luận, Sơn Động",
                   "Sườn Tây Yên Tử", "VN-BG-SD-0002"),
         bank=("970405", "2515205567890"),
         products=[
             ("Chè búp Tây Yên Tử gói 200 g", "do-uong", "gói", "0.2", 120000, 80,
              {"ocop_stars": 4, "ocop_year": 2023, "variety": "Chè shan", "gtin": 6}),
             ("Chè xanh Tây Yên Tử hộp 500 g", "do-uong", "hộp", "0.5", 280000, 40,
              {"ocop_stars": 4, "ocop_year": 2023, "variety": "Chè shan"}),
             ("Chè túi lọc hộp 25 túi", "do-uong", "hộp", "0.05", 60000, 60, {}),
         ]),
    dict(slug="mien-chu-nam-duong", name="Miến Chũ Nam Dương", commune="Nam Dương",
         district="Lục Ngạn", province=BG,
         story="Miến dong làng Chũ: củ dong riềng lọc bột, tráng, phơi nắng, không chất tẩy.",
         producer=("HTX Miến Chũ Nam Dương", "cooperative", "Xã Nam Dương, Lục Ngạn",
                   None, None),
         bank=("970418", "12010005678901"),
         products=[
             ("Miến dong Chũ gói 500 g", "bun-mien", "gói", "0.5", 45000, 300,
              {"ocop_stars": 4, "ocop_year": 2021, "gtin": 7}),
             ("Miến dong Chũ gói 1 kg", "bun-mien", "gói", "1", 85000, 200,
              {"ocop_stars": 4, "ocop_year": 2021}),
             ("Miến dong sợi nhỏ gói 300 g", "bun-mien", "gói", "0.3", 30000, 100, {}),
             ("Bột dong riềng túi 1 kg", "khac", "túi", "1", 60000, 40, {}),
         ]),
    dict(slug="ruou-lang-van", name="Rượu làng Vân", commune="Vân Hà",
         district="Việt Yên", province=BG,
         story="Rượu nếp cái men lá nấu bằng nồi đồng, hạ thổ trong chum theo nghề làng Vân.",
         producer=("HTX Rượu làng Vân", "cooperative", "Xã Vân Hà, Việt Yên", None, None),
         bank=("970405", "2520205678901"),
         products=[
             ("Rượu làng Vân chai 500 ml", "do-uong", "chai", "0.5", 80000, 100,
              {"ocop_stars": 4, "ocop_year": 2020, "gtin": 8}),
             ("Rượu làng Vân chai 1 lít", "do-uong", "chai", "1", 150000, 60,
              {"ocop_stars": 4, "ocop_year": 2020}),
             ("Rượu làng Vân bình gốm 2 lít", "do-uong", "cái", "2.8", 380000, 20,
              {"ocop_stars": 4, "ocop_year": 2020}),
         ]),
    dict(slug="bun-da-mai", name="Bún Đa Mai", commune="Đa Mai", district="TP. Bắc Giang",
         province=BG,
         story="Sợi bún nhỏ, dai, làm từ gạo Bao thai theo nghề trăm năm của làng Đa Mai.",
         producer=("Hộ làm bún Đào Thị Mai", "household", "Phường Đa Mai, TP. Bắc Giang",
                   None, None),
         bank=None,
         products=[
             ("Bún khô Đa Mai gói 500 g", "bun-mien", "gói", "0.5", 30000, 200,
              {"ocop_stars": 3, "ocop_year": 2022}),
             ("Bún tươi Đa Mai", "bun-mien", "kg", "1", 15000, 50, {}),
             ("Bánh phở khô gói 500 g", "bun-mien", "gói", "0.5", 30000, 80, {}),
         ]),
    dict(slug="cam-bo-ha", name="Cam Bố Hạ", commune="Bố Hạ", district="Yên Thế", province=BG,
         story="Cam đường canh Bố Hạ ven sông Thương, vỏ mỏng, ngọt thanh.",
         producer=("Vườn cam Bùi Văn Hạ", "household", "Thị trấn Bố Hạ, Yên Thế",
                   "Bãi bồi sông Thương", "VN-BG-YT-0031"),
         bank=("970422", "0912000013"),
         products=[
             ("Cam Bố Hạ", "trai-cay", "kg", "1", 40000, 500,
              {"variety": "Cam đường canh", "harvest_start": date(2025, 11, 15),
               "harvest_end": date(2026, 1, 20)}),
             ("Cam Bố Hạ hộp quà 3 kg", "trai-cay", "hộp", "3", 130000, 100,
              {"variety": "Cam đường canh"}),
             ("Bưởi Diễn Bố Hạ", "trai-cay", "quả", "1.2", 35000, 200,
              {"variety": "Bưởi Diễn"}),
         ]),
    dict(slug="may-tre-dan-tang-tien", name="Mây tre đan Tăng Tiến", commune="Tăng Tiến",
         district="Việt Yên", province=BG,
         story="Làng nghề mây tre đan Tăng Tiến: giỏ, khay, đèn đan tay từ tre và mây rừng.",
         producer=("HTX Mây tre đan Tăng Tiến", "cooperative", "Xã Tăng Tiến, Việt Yên",
                   None, None),
         bank=("970405", "2525205789012"),
         products=[
             ("Giỏ mây đựng đồ", "thu-cong", "cái", "0.4", 120000, 40, {}),
             ("Khay tre đan hình chữ nhật", "thu-cong", "cái", "0.3", 85000, 50, {}),
             ("Đèn mây thả trần", "thu-cong", "cái", "0.6", 250000, 15, {}),
             ("Bộ 3 rổ tre", "thu-cong", "cái", "0.8", 150000, 25, {}),
         ]),
    dict(slug="nep-cai-hoa-vang", name="Nếp cái hoa vàng Yên Dũng", commune="Đồng Việt",
         district="Yên Dũng", province=BG,
         story="Nếp cái hoa vàng hạt tròn, dẻo thơm, dùng nấu xôi và gói bánh chưng.",
         producer=("Hộ Đặng Thị Nếp", "household", "Xã Đồng Việt, Yên Dũng",
                   "Cánh đồng Đồng Việt", "VN-BG-YD-0040"),
         bank=("970405", "2530205890123"),
         products=[
             ("Nếp cái hoa vàng túi 2 kg", "gao", "túi", "2", 70000, 150,
              {"variety": "Nếp cái hoa vàng"}),
             ("Nếp cái hoa vàng túi 5 kg", "gao", "túi", "5", 170000, 80,
              {"variety": "Nếp cái hoa vàng"}),
             ("Bánh chưng nếp cái hoa vàng", "banh-keo", "cái", "1", 80000, 60, {}),
             ("Xôi gấc hộp", "banh-keo", "hộp", "0.5", 35000, 30, {}),
         ]),
    dict(slug="rau-an-toan-dong-phuc", name="Rau an toàn Đồng Phúc", commune="Đồng Phúc",
         district="Yên Dũng", province=BG,
         story="Rau trồng theo VietGAP bên sông Cầu, hái buổi sớm, giao trong ngày.",
         producer=("HTX Rau an toàn Đồng Phúc", "cooperative", "Xã Đồng Phúc, Yên Dũng",
                   "Bãi rau Đồng Phúc", "VN-BG-YD-0052"),
         bank=("970405", "2535205901234"),
         products=[
             ("Rau cải ngọt", "rau-cu", "bó", "0.5", 15000, 100, {}),
             ("Su hào", "rau-cu", "kg", "1", 20000, 80, {}),
             ("Bắp cải", "rau-cu", "quả", "1.5", 20000, 80, {}),
             ("Cà chua", "rau-cu", "kg", "1", 30000, 60, {}),
             ("Khoai lang mật", "rau-cu", "kg", "1", 25000, 100, {}),
         ]),
    dict(slug="banh-gai-ninh-giang", name="Bánh gai Ninh Giang", commune="Thị trấn Ninh Giang",
         district="Ninh Giang", province="Hải Dương",
         story="Bánh gai lá gai rừng, nhân đỗ xanh, dừa, mỡ và hạt sen, gói lá chuối khô.",
         producer=("Cơ sở Bánh gai Vương Giang", "company", "Thị trấn Ninh Giang, Hải Dương",
                   None, None),
         bank=("970436", "1034567890"),
         products=[
             ("Bánh gai Ninh Giang (10 chiếc)", "banh-keo", "chục", "0.8", 100000, 100,
              {"ocop_stars": 4, "ocop_year": 2021, "gtin": 9}),
             ("Bánh gai chay (10 chiếc)", "banh-keo", "chục", "0.7", 90000, 50, {}),
             ("Bánh gai hộp quà 20 chiếc", "banh-keo", "hộp", "1.6", 210000, 30,
              {"ocop_stars": 4, "ocop_year": 2021}),
         ]),
    dict(slug="hoi-que-lang-son", name="Hồi quế Lạng Sơn", commune="Tân Đoàn",
         district="Văn Quan", province="Lạng Sơn",
         story="Hoa hồi và quế thu hái từ rừng trồng Văn Quan, phơi khô tự nhiên.",
         producer=("HTX Hồi Tân Đoàn", "cooperative", "Xã Tân Đoàn, Văn Quan, Lạng Sơn",
                   "Rừng hồi Tân Đoàn", "VN-LS-VQ-0004"),
         bank=("970405", "8300205012345"),
         products=[
             ("Hoa hồi khô gói 200 g", "gia-vi", "gói", "0.2", 70000, 100,
              {"ocop_stars": 3, "ocop_year": 2022}),
             ("Quế thanh gói 200 g", "gia-vi", "gói", "0.2", 40000, 100, {}),
             ("Tinh dầu hồi lọ 10 ml", "gia-vi", "lọ", "0.01", 90000, 40, {}),
         ]),
]

def demo_gtin(n: int) -> str:
    """A valid GTIN-13 under Vietnam's GS1 prefix 893 for the n-th demo product."""
    body = f"893600099{n:03d}"
    return "0" + body + str(gs1_check_digit(body))


def product_photo(name: str, category: str) -> bytes:
    """A drawn picture of the product with its name (no downloaded images)."""
    return product_picture(name, category)


def _this_season(extras: dict) -> dict:
    """Move a harvest given for one year onto the latest such harvest that has begun."""
    start, end = extras.get("harvest_start"), extras.get("harvest_end")
    if start is None:
        return extras
    today = vn_today()
    shift = today.year - start.year - (1 if (start.month, start.day) > (today.month, today.day)
                                       else 0)
    extras["harvest_start"] = start.replace(year=start.year + shift)
    if end is not None:
        extras["harvest_end"] = end.replace(year=end.year + shift)
    return extras


def _seller(name: str, phone: str, password: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.phone == phone))
    if user is None:
        user = build_user(name=name, phone=phone, password=password, role=Role.SELLER.value)
        db.session.flush()
    return user


def _stall(owner: User, spec: dict) -> Stall:
    """The stall of the spec: opened through the catalog's service the first time; on a re-run
    only its blank fields are filled, so a seller's own edits are never overwritten."""
    producer = dict(zip(("producer_name", "producer_kind", "producer_address", "growing_area",
                         "growing_area_code"), spec["producer"], strict=True))
    values = {
        "story": spec["story"], "commune": spec["commune"], "district": spec["district"],
        "province": spec["province"], "phone": owner.phone, "zalo": owner.phone, **producer,
    }
    if spec["bank"]:
        values.update(bank_bin=spec["bank"][0], bank_account_number=spec["bank"][1],
                      bank_account_name=account_holder_name(owner.name))
    stall = db.session.scalar(sa.select(Stall).where(Stall.slug == spec["slug"]))
    if stall is None:
        return catalog.create_stall(owner, {"slug": spec["slug"], "name": spec["name"],
                                            **values})
    blanks = {name: value for name, value in values.items()
              if value and not getattr(stall, name)}
    if blanks:
        # update_stall validates the whole stall, so it is given every field: the ones it has,
        # with the blanks filled.
        current = {name: getattr(stall, name) for name in catalog.STALL_FIELDS}
        catalog.update_stall(stall, {**current, **blanks})
    return stall


def _product(stall: Stall, spec: tuple) -> Product:
    """The product of the spec in the stall: added through the catalog's service with its
    drawn photo the first time, left as it is on a re-run."""
    name, category, unit, weight, price, stock, extras = spec
    product = db.session.scalar(
        sa.select(Product).where(Product.stall_id == stall.id, Product.name == name)
    )
    if product is not None:
        return product
    extras = _this_season(dict(extras))
    if "gtin" in extras:
        extras["gtin"] = demo_gtin(extras["gtin"])
    data = {
        "name": name, "category": category, "unit": unit, "net_weight_kg": Decimal(weight),
        "price": price, "stock": stock,
        "description": f"{name} — {stall.name}, {stall.district}, {stall.province}.", **extras,
    }
    return catalog.create_product(stall, data, [product_photo(name, category)])


def seed(ctx: dict) -> None:
    """Create the 18 stalls of the Yên Dũng fair and their products unless they exist."""
    password = ctx.get("password", "cho40-demo")
    sellers = list(ctx["sellers"][:6])
    for name, phone in NEW_SELLERS:
        sellers.append(_seller(name, phone, password))
        ctx["logins"].append(("seller", phone, name))
    ctx["sellers"] = sellers
    ctx["stalls"], ctx["products"] = [], []
    for owner, spec in zip(sellers, STALLS, strict=True):
        stall = _stall(owner, spec)
        ctx["stalls"].append(stall)
        for product_spec in spec["products"]:
            ctx["products"].append(_product(stall, product_spec))
