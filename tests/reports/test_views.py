"""Report pages, exports, boards and the seller summary: who sees what, and what they see."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.factories import (
    make_campaign,
    make_imported_line,
    make_organizer,
    make_product,
    make_seller,
    make_stall,
)
from tests.reports.conftest import vn

ORGANIZER_URLS = [
    "/organizer/reports",
    "/organizer/reports/fairs/{fair}",
    "/organizer/reports/fairs/{fair}/days.csv",
    "/organizer/reports/range?from=2024-05-10&to=2024-05-11",
    "/organizer/reports/range/stalls.xlsx?from=2024-05-10&to=2024-05-11",
]


def _get(client, url):
    with client.get(url) as response:
        response.get_data()
        return response


@pytest.mark.parametrize("url", [*ORGANIZER_URLS, "/seller/summary", "/board/fairs/{fair}"])
def test_anonymous_is_sent_to_login_or_not_found(client, world, url):
    response = _get(client, url.format(fair=world.fair.slug))
    if url.startswith("/board"):
        assert response.status_code == 404  # the fair's board is not public
    else:
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", ORGANIZER_URLS[1:3])
def test_another_organizer_gets_404(client, auth, world, url):
    auth.login(world.other_organizer)
    assert _get(client, url.format(fair=world.fair.slug)).status_code == 404


def test_another_organizers_campaign_is_404(client, auth, world):
    campaign = make_campaign(organizer=world.organizer)
    auth.login(world.other_organizer)
    assert _get(client, f"/organizer/reports/campaigns/{campaign.slug}").status_code == 404
    assert _get(client, f"/organizer/reports/campaigns/{campaign.slug}/lines.csv"
                ).status_code == 404


def test_seller_cannot_open_organizer_reports(client, auth, world):
    auth.login(world.stalls[0].owner)
    assert _get(client, f"/organizer/reports/fairs/{world.fair.slug}").status_code == 403


def test_organizer_cannot_open_seller_summary(client, auth, world):
    auth.login(world.organizer)
    assert _get(client, "/seller/summary").status_code == 403


def test_index_lists_only_own_fairs(client, auth, world):
    auth.login(world.organizer)
    page = _get(client, "/organizer/reports").get_data(as_text=True)
    assert world.fair.name in page
    assert world.other_fair.name not in page


def test_fair_report_shows_totals_chart_and_no_customer_names(client, auth, world):
    auth.login(world.organizer)
    page = _get(client, f"/organizer/reports/fairs/{world.fair.slug}").get_data(as_text=True)
    net = sum(o.total for o in (world.orders[k] for k in ("cash", "card", "unpaid", "livestream")))
    net -= 20000  # the partial card refund
    assert f"{net:,}".replace(",", ".") + " ₫" in page
    assert "<svg" in page
    assert "Vải Lục Ngạn" in page
    assert "Nguyễn Bí Mật" not in page


def test_range_with_a_bad_day_shows_a_message(client, auth, world):
    auth.login(world.organizer)
    response = _get(client, "/organizer/reports/range?from=10/05/2024")
    assert response.status_code == 200
    assert "Ngày không hợp lệ" in response.get_data(as_text=True)


def test_csv_export_has_bom_vietnamese_headers_and_rows(client, auth, world):
    auth.login(world.organizer)
    response = _get(client, f"/organizer/reports/fairs/{world.fair.slug}/stalls.csv")
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Gian hàng,Số đơn")
    assert "Tương Trí Yên" in text


def test_lines_export_streams_every_fair_line_without_customers(client, auth, world):
    auth.login(world.organizer)
    text = _get(client, f"/organizer/reports/fairs/{world.fair.slug}/lines.csv").get_data()
    text = text.decode("utf-8-sig")
    codes = {world.orders[k].code for k in ("cash", "card", "unpaid", "cancelled", "livestream")}
    assert {line.split(",")[0] for line in text.splitlines()[1:]} == codes
    assert "Nguyễn Bí Mật" not in text


def test_xlsx_export_has_number_formats(client, auth, world):
    auth.login(world.organizer)
    response = _get(client, f"/organizer/reports/fairs/{world.fair.slug}/stalls.xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    headers = [c.value for c in sheet[1]]
    vnd = sheet.cell(row=2, column=headers.index("Doanh số (đ)") + 1)
    kg = sheet.cell(row=2, column=headers.index("Khối lượng (kg)") + 1)
    assert (vnd.number_format, kg.number_format) == ("#,##0", "0.000")
    assert isinstance(vnd.value, int)


def test_unknown_export_table_is_404(client, auth, world):
    auth.login(world.organizer)
    assert _get(client, f"/organizer/reports/fairs/{world.fair.slug}/secret.csv"
                ).status_code == 404


def _lychee_campaign(organizer, **kw):
    stall = make_stall()
    lychee = make_product(stall, category="trai-cay", net_weight_kg=Decimal("10.000"))
    campaign = make_campaign(organizer=organizer, starts_on=date(2023, 6, 15),
                             ends_on=date(2023, 7, 2), goal_kg=Decimal("50000"),
                             stalls=[stall], **kw)
    make_imported_line(stall, lychee, qty=3240, created_at=vn(2023, 6, 20))
    make_imported_line(stall, lychee, qty=170, status="in_progress", created_at=vn(2023, 6, 21))
    return campaign


def test_campaign_report_shows_tonnes_with_decimal_comma(client, auth):
    organizer = make_organizer()
    campaign = _lychee_campaign(organizer)
    auth.login(organizer)
    page = _get(client, f"/organizer/reports/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "32,4 / 50 tấn" in page
    assert "34,1 tấn" in page  # provisional, in-transit lines included


def test_private_board_is_404_for_others_and_open_to_its_organizer(client, auth):
    organizer = make_organizer()
    campaign = _lychee_campaign(organizer)
    url = f"/board/campaigns/{campaign.slug}"
    assert _get(client, url).status_code == 404
    auth.login(make_organizer())
    assert _get(client, url).status_code == 404
    auth.logout()
    auth.login(organizer)
    assert _get(client, url).status_code == 200


def test_public_board_refreshes_itself_for_anyone(client):
    campaign = _lychee_campaign(make_organizer(), public_board=True)
    page = _get(client, f"/board/campaigns/{campaign.slug}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="30">' in page
    assert "32,4 / 50 tấn" in page
    data = _get(client, f"/board/campaigns/{campaign.slug}/data.json").get_json()
    assert data["kg_text"] == "32,4 / 50 tấn"


def test_seller_summary_shows_only_their_stall(client, auth, world):
    auth.login(world.stalls[1].owner)
    page = _get(client, "/seller/summary?all=1").get_data(as_text=True)
    assert "Tương bần" in page
    assert "Vải hộp 2kg" not in page
    assert "Tiền mặt cần đối chiếu" in page


def test_seller_without_stall_sees_a_hint(client, auth, app):
    auth.login(make_seller())
    assert "chưa có gian hàng" in _get(client, "/seller/summary").get_data(as_text=True)


def test_seller_cannot_pick_another_sellers_stall(client, auth, world):
    auth.login(world.stalls[1].owner)
    text = _get(client, f"/seller/summary/lines.csv?stall={world.stalls[0].slug}&all=1").get_data()
    codes = {line.split(",")[0] for line in text.decode("utf-8-sig").splitlines()[1:]}
    assert codes == {world.orders[k].code for k in ("unpaid", "cancelled", "livestream")}
