"""Two organizers, two sellers: B never reads or changes what belongs to A, on every route.

The matrix names every organizer and seller route, every stall-management route and every
state-changing POST of the app (walked from `app.url_map`): a route added without an entry here
fails test_every_guarded_route_is_in_the_matrix, so it cannot forget its check unnoticed.

For each entry, organizer B and seller B call it aimed at A's objects. An entry is either
- DENY: a route about one of A's objects: B gets 403/404 and the database is unchanged, and A
  (the owner) does get through, so the URL really names A's object;
- OWN: a route without an object id (lists, new-object forms): B gets B's own view, which shows
  none of A's names or codes; no existing row changes and no new row points at A's things.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.extensions import db as _db
from marketplace.formatting import vn_today
from tests.factories import (
    join_campaign,
    make_api_token,
    make_batch,
    make_campaign,
    make_certificate,
    make_fair,
    make_order,
    make_organizer,
    make_participation,
    make_product,
    make_seller,
    make_stall,
    make_step,
)
from tests.imports import builders

DENY, OWN = "deny", "own"

# POST endpoints anyone may call, with why they touch no stall's or fair's data.
PUBLIC_POSTS = {
    "accounts.login": "signs in",
    "accounts.logout": "signs out",
    "accounts.register": "creates a shopper or seller account",
    "accounts.change_password": "the signed-in user's own password",
    "accounts.logout_everywhere": "the signed-in user's own sessions",
    "accounts.forgot_password": "mails a reset link to the address's own inbox",
    "accounts.reset_password": "the emailed token names its one account (test_password_reset)",
    "accounts.reset_with_code": "phone + an organizer's one-time code (test_password_reset)",
    "orders.find_order": "one order, by its code and the buyer's phone (tests/orders)",
    "main.set_language": "the visitor's language cookie",
    "messages.settings": "the signed-in user's own notification settings",
    "orders.cart_add": "the visitor's own cart (session)",
    "orders.cart_remove": "the visitor's own cart (session)",
    "orders.cart_update": "the visitor's own cart (session)",
    "orders.checkout": "a shopper buys (stock is taken by the order writer's rules)",
    "payments.card_checkout": "the order's customer (token) opens a card payment",
    "payments.stripe_webhook": "Stripe, signed (tests/payments/test_webhook.py)",
}
# Path prefixes whose every route is an organizer's or a seller's (or manages a stall).
GUARDED_PREFIXES = ("/organizer", "/seller", "/stalls/", "/payments/reconcile")


@dataclass
class World:
    """What organizer A and seller A own, and the intruders B."""

    org_a: object
    org_b: object
    seller_a: object
    seller_b: object
    ids: dict = field(default_factory=dict)  # names for URL templates
    markers: list[str] = field(default_factory=list)  # A's private texts B must never see
    names: list[str] = field(default_factory=list)  # A's public names, out of place for B
    a_ids: dict[str, set[int]] = field(default_factory=dict)  # column name -> A's ids


def _photo(product) -> int:
    from PIL import Image

    from marketplace.catalog.models import ProductImage
    from marketplace.storage import save_image

    buf = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buf, "JPEG")
    image = save_image(buf.getvalue())
    _db.session.flush()
    photo = ProductImage(product_id=product.id, image_id=image.id)
    _db.session.add(photo)
    _db.session.commit()
    return photo.id


def _statement(user, order) -> tuple[int, int]:
    from marketplace.payments.models import BankStatement, BankStatementLine

    stored = BankStatement(uploaded_by_id=user.id, filename="sk.csv", lines=[
        BankStatementLine(number=2, date="01/07/2025", amount=order.total,
                          description=f"CK {order.code}", reference=f"FT-{user.id}"),
    ])
    _db.session.add(stored)
    _db.session.commit()
    return stored.id, stored.lines[0].id


def _zone(stall) -> int:
    from marketplace.delivery.models import DeliveryZone

    zone = DeliveryZone(stall_id=stall.id, province_code=24, fee=25000)
    _db.session.add(zone)
    _db.session.commit()
    return zone.id


def build_world() -> World:
    from marketplace.imports.services import stash_upload
    from marketplace.payments.services import record_payment

    org_a, org_b = make_organizer(name="Ban tổ chức A"), make_organizer(name="Ban tổ chức B")
    seller_a = make_seller(name="Người bán A", phone="0912345001")
    seller_b = make_seller(name="Người bán B")
    stall_a = make_stall(seller_a, name="Gian Alpha Riêng", slug="gian-alpha",
                         bank_bin="970436", bank_account_number="0011001234567",
                         bank_account_name="NGUYEN VAN A")
    stall_b = make_stall(seller_b, name="Gian Beta", slug="gian-beta")
    product_a = make_product(stall_a, name="Vải Alpha Riêng", category="trai-cay")
    make_product(stall_b, name="Vải Beta", category="trai-cay")
    stall_o = make_stall(org_a, name="Gian Omega Dựng Hộ", slug="gian-omega")
    product_o = make_product(stall_o, name="Mật ong Omega")
    fair_a = make_fair(org_a, name="Phiên chợ Alpha", slug="phien-alpha")
    fs_a = make_participation(fair_a, stall_a, booth="1")
    fair_a2 = make_fair(org_a, name="Phiên chợ Alpha Hai", slug="phien-alpha-hai",
                        state="upcoming")
    fs_invite = make_participation(fair_a2, stall_a, booth="9", status="invited")
    today = vn_today()
    campaign_a = make_campaign(org_a, name="Chiến dịch Alpha", slug="chien-dich-alpha",
                               starts_on=today - timedelta(days=1), ends_on=today)
    join_campaign(campaign_a, stall_a, status="invited")
    order_a = make_order(stall_a, [(product_a, 2)], channel="fair", fair=fair_a,
                         customer_name="Khách Riêng Của A")
    paid_a = make_order(stall_a, [(product_a, 1)], channel="fair", fair=fair_a,
                        customer_name="Khách Riêng Của A")
    payment = record_payment(paid_a, "cash", paid_a.total, recorded_by_id=seller_a.id)
    _db.session.commit()
    batch = make_batch(product_a)
    step = make_step(product_a)
    cert = make_certificate(product_a)
    photo = _photo(product_a)
    pending = stash_upload(stall_a, seller_a, [("o.csv", builders.shopee_file([
        builders.shopee_line("230620AAA", "VAI-2KG", 3)]))])
    stmt_seller, line_seller = _statement(seller_a, order_a)
    stmt_org, line_org = _statement(org_a, order_a)
    token = make_api_token(org_a)[0]
    zone = _zone(stall_a)
    world = World(org_a, org_b, seller_a, seller_b)
    world.ids = {
        "fair": fair_a.id, "fair_slug": fair_a.slug, "fs": fs_a.id, "fs_invite": fs_invite.id,
        "campaign": campaign_a.id, "campaign_slug": campaign_a.slug, "stall": stall_a.id,
        "stall_slug": stall_a.slug, "stall_o_slug": stall_o.slug, "product": product_a.id,
        "product_o": product_o.id, "photo": photo, "batch": batch.id, "step": step.id,
        "cert": cert.id, "order": order_a.code, "paid_order": paid_a.code,
        "payment": payment.id, "pending": pending, "stmt": stmt_seller,
        "stmt_line": line_seller, "stmt_org": stmt_org, "stmt_org_line": line_org,
        "token": token.id, "day": today.isoformat(), "seller_phone": seller_a.phone,
        "zone": zone,
    }
    world.markers = [order_a.code, paid_a.code, "Khách Riêng Của A", f"FT-{seller_a.id}",
                     f"FT-{org_a.id}"]
    world.names = ["Gian Alpha Riêng", "Vải Alpha Riêng", "Gian Omega Dựng Hộ",
                   "Mật ong Omega", "Phiên chợ Alpha", "Chiến dịch Alpha"]
    world.a_ids = {
        "stall_id": {stall_a.id, stall_o.id}, "product_id": {product_a.id, product_o.id},
        "fair_id": {fair_a.id, fair_a2.id}, "campaign_id": {campaign_a.id},
        "order_id": {order_a.id, paid_a.id}, "statement_id": {stmt_seller, stmt_org},
        "user_id": {seller_a.id},  # e.g. a password code for A's seller
    }
    return world


@dataclass(frozen=True)
class Case:
    """One route of the matrix: how to call it about A's things, and what B must get."""

    endpoint: str
    method: str
    url: str  # a template over World.ids
    kind: str = DENY
    owner: str = "seller_a"  # who may use it (checked for DENY entries)
    data: dict | None = None  # form fields (templates over World.ids)
    # OWN entries that list public stalls, products or fairs by design (to invite, to pick a
    # fair's packing list): only A's private texts are checked there.
    lists_public: bool = False

    @property
    def id(self) -> str:
        return f"{self.method} {self.endpoint} {self.url}"


def _d(**fields) -> dict:
    return fields


CASES = [
    # --- organizer: A's fairs, participations, campaigns, reports, tokens ---------------------
    Case("fairs.manage_fair", "GET", "/organizer/fairs/{fair}", owner="org_a"),
    Case("fairs.edit_fair", "GET", "/organizer/fairs/{fair}/edit", owner="org_a"),
    Case("fairs.edit_fair", "POST", "/organizer/fairs/{fair}/edit", owner="org_a",
         data=_d(name="Bị sửa", venue="X", starts_at="2030-01-01T08:00",
                 ends_at="2030-01-02T08:00")),
    Case("fairs.delete_fair", "POST", "/organizer/fairs/{fair}/delete", owner="org_a"),
    Case("fairs.add_stall", "POST", "/organizer/fairs/{fair}/stalls", owner="org_a",
         data=_d(stall_id="{stall}", booth_number="77")),
    Case("fairs.accept", "POST", "/organizer/participations/{fs}/accept", owner="org_a",
         data=_d(booth_number="55")),
    Case("fairs.decline", "POST", "/organizer/participations/{fs}/decline", owner="org_a",
         data=_d(reason="Không")),
    Case("fairs.remove_participation", "POST", "/organizer/participations/{fs}/remove",
         owner="org_a"),
    Case("fairs.edit_campaign", "GET", "/organizer/campaigns/{campaign}/edit", owner="org_a"),
    Case("fairs.edit_campaign", "POST", "/organizer/campaigns/{campaign}/edit", owner="org_a",
         data=_d(name="Bị sửa", starts_on="{day}", ends_on="{day}", goal_weight="1",
                 goal_unit="kg", stalls="{stall}", channels="online")),
    Case("fairs.delete_campaign", "POST", "/organizer/campaigns/{campaign}/delete",
         owner="org_a"),
    Case("reports.fair", "GET", "/organizer/reports/fairs/{fair_slug}", owner="org_a"),
    Case("reports.fair_export", "GET", "/organizer/reports/fairs/{fair_slug}/stalls.csv",
         owner="org_a"),
    Case("reports.campaign", "GET", "/organizer/reports/campaigns/{campaign_slug}",
         owner="org_a"),
    Case("reports.campaign_export", "GET",
         "/organizer/reports/campaigns/{campaign_slug}/stalls.csv", owner="org_a"),
    Case("api.revoke", "POST", "/organizer/api-tokens/{token}/revoke", owner="org_a"),
    # --- organizer: screens without an object id ---------------------------------------------
    Case("fairs.dashboard", "GET", "/organizer", OWN),
    Case("fairs.new_fair", "GET", "/organizer/fairs/new", OWN),
    Case("fairs.new_fair", "POST", "/organizer/fairs/new", OWN, data=_d(slug="{fair_slug}")),
    Case("fairs.new_campaign", "GET", "/organizer/campaigns/new", OWN, lists_public=True),
    Case("fairs.new_campaign", "POST", "/organizer/campaigns/new", OWN, lists_public=True,
         data=_d(name="Mượn", slug="{campaign_slug}", stalls="{stall}")),
    Case("api.tokens", "GET", "/organizer/api-tokens", OWN),
    Case("api.tokens", "POST", "/organizer/api-tokens", OWN, data=_d(name="")),
    Case("reports.index", "GET", "/organizer/reports", OWN),
    Case("reports.range_report", "GET", "/organizer/reports/range?from={day}&to={day}", OWN),
    Case("reports.range_export", "GET", "/organizer/reports/range/stalls.csv?from={day}&to={day}",
         OWN),
    Case("accounts.issue_reset_code", "GET", "/organizer/password-codes", OWN),
    Case("accounts.issue_reset_code", "POST", "/organizer/password-codes", OWN,
         data=_d(phone="{seller_phone}")),
    Case("catalog.organizer_stalls", "GET", "/organizer/stalls", OWN),
    Case("catalog.organizer_stall_new", "GET", "/organizer/stalls/new", OWN),
    Case("catalog.organizer_stall_new", "POST", "/organizer/stalls/new", OWN,
         data=_d(name="", slug="{stall_slug}")),
    # --- a stall set up by organizer A, not yet handed over ----------------------------------
    Case("catalog.manage_stall", "GET", "/stalls/{stall_o_slug}/manage", owner="org_a"),
    Case("catalog.manage_stall", "POST", "/stalls/{stall_o_slug}/manage", owner="org_a",
         data=_d(name="Bị sửa")),
    Case("catalog.handover", "GET", "/stalls/{stall_o_slug}/manage/handover", owner="org_a"),
    Case("catalog.handover", "POST", "/stalls/{stall_o_slug}/manage/handover", owner="org_a",
         data=_d(phone="0912000777", name="Người lạ")),
    Case("catalog.manage_products", "GET", "/stalls/{stall_o_slug}/manage/products",
         owner="org_a"),
    Case("catalog.manage_product_new", "GET", "/stalls/{stall_o_slug}/manage/products/new",
         owner="org_a"),
    Case("catalog.manage_product_new", "POST", "/stalls/{stall_o_slug}/manage/products/new",
         owner="org_a", data=_d(name="Hàng lạ", price="1000", unit="hũ", category="khac")),
    Case("catalog.manage_product_edit", "GET",
         "/stalls/{stall_o_slug}/manage/products/{product_o}/edit", owner="org_a"),
    Case("catalog.manage_product_edit", "POST",
         "/stalls/{stall_o_slug}/manage/products/{product_o}/edit", owner="org_a",
         data=_d(name="Bị sửa", price="1")),
    Case("catalog.manage_product_active", "POST",
         "/stalls/{stall_o_slug}/manage/products/{product_o}/active", owner="org_a",
         data=_d(active="0")),
    Case("catalog.manage_photo_delete", "POST",
         "/stalls/{stall_o_slug}/manage/products/{product_o}/photos/{photo}/delete",
         owner="org_a"),
    Case("catalog.manage_export", "GET", "/stalls/{stall_o_slug}/manage/products/export.csv",
         owner="org_a"),
    Case("catalog.manage_import", "GET", "/stalls/{stall_o_slug}/manage/products/import",
         owner="org_a"),
    Case("catalog.manage_import", "POST", "/stalls/{stall_o_slug}/manage/products/import",
         owner="org_a"),
    # --- seller: A's products, provenance, labels -------------------------------------------
    Case("catalog.my_product_edit", "GET", "/seller/products/{product}/edit"),
    Case("catalog.my_product_edit", "POST", "/seller/products/{product}/edit",
         data=_d(name="Bị sửa", price="1")),
    Case("catalog.my_product_active", "POST", "/seller/products/{product}/active",
         data=_d(active="0")),
    Case("catalog.my_photo_delete", "POST", "/seller/products/{product}/photos/{photo}/delete"),
    Case("provenance.seller_product", "GET", "/seller/products/{product}/provenance"),
    Case("provenance.add_batch", "POST", "/seller/products/{product}/batches",
         data=_d(code="LO-LA")),
    Case("provenance.add_certificate", "POST", "/seller/products/{product}/certificates",
         data=_d(kind="vietgap", number="X1")),
    Case("provenance.add_step", "POST", "/seller/products/{product}/steps",
         data=_d(title="Bước lạ", happened_on="{day}")),
    Case("provenance.edit_batch", "GET", "/seller/batches/{batch}/edit"),
    Case("provenance.edit_batch", "POST", "/seller/batches/{batch}/edit", data=_d(code="SUA")),
    Case("provenance.delete_batch", "POST", "/seller/batches/{batch}/delete"),
    Case("provenance.edit_certificate", "GET", "/seller/certificates/{cert}/edit"),
    Case("provenance.edit_certificate", "POST", "/seller/certificates/{cert}/edit",
         data=_d(number="SUA")),
    Case("provenance.delete_certificate", "POST", "/seller/certificates/{cert}/delete"),
    Case("provenance.edit_step", "GET", "/seller/steps/{step}/edit"),
    Case("provenance.edit_step", "POST", "/seller/steps/{step}/edit", data=_d(title="Sửa")),
    Case("provenance.delete_step", "POST", "/seller/steps/{step}/delete"),
    Case("provenance.label_sheet", "GET", "/seller/stalls/{stall}/labels"),
    Case("provenance.label_sheet", "POST", "/seller/stalls/{stall}/labels"),
    Case("payments.vietqr_sign_png", "GET", "/seller/vietqr-sign/{stall}.png"),
    # --- seller: A's delivery zones and fees ---------------------------------------------------
    Case("delivery.zones", "GET", "/stalls/{stall_slug}/manage/delivery"),
    Case("delivery.zones", "POST", "/stalls/{stall_slug}/manage/delivery",
         data=_d(province="1", fee="1.000")),
    Case("delivery.edit_zone", "GET", "/stalls/{stall_slug}/manage/delivery/{zone}"),
    Case("delivery.edit_zone", "POST", "/stalls/{stall_slug}/manage/delivery/{zone}",
         data=_d(province="1", fee="1")),
    Case("delivery.delete_zone", "POST", "/stalls/{stall_slug}/manage/delivery/{zone}/delete"),
    # --- seller: A's orders and money ----------------------------------------------------------
    Case("orders.seller_order", "GET", "/seller/orders/{order}"),
    Case("orders.seller_order_status", "POST", "/seller/orders/{order}/status",
         data=_d(status="fulfilled")),
    Case("orders.seller_order_cancel", "POST", "/seller/orders/{order}/cancel",
         data=_d(reason="Hủy")),
    Case("payments.order_payments", "GET", "/seller/orders/{order}/payments"),
    Case("payments.record_cash", "POST", "/seller/orders/{order}/payments/cash",
         data=_d(amount="1.000")),
    Case("payments.correct", "GET", "/seller/orders/{paid_order}/payments/{payment}/correct"),
    Case("payments.correct", "POST", "/seller/orders/{paid_order}/payments/{payment}/correct",
         data=_d(reason="Ghi nhầm")),
    Case("payments.refund", "GET", "/seller/orders/{paid_order}/payments/{payment}/refund"),
    Case("payments.refund", "POST", "/seller/orders/{paid_order}/payments/{payment}/refund",
         data=_d(amount="1.000", reason="Trả lại")),
    Case("payments.confirm_return", "GET", "/seller/orders/{paid_order}/payments/return"),
    Case("payments.record_return", "POST", "/seller/orders/{paid_order}/payments/return",
         data=_d(method="cash")),
    Case("payments.mark_received", "POST", "/pay/{order}/vietqr/received"),
    Case("payments.reconcile_statement", "GET", "/payments/reconcile/{stmt}"),
    Case("payments.reconcile_confirm", "POST", "/payments/reconcile/{stmt}/confirm",
         data=_d(line="{stmt_line}")),
    Case("payments.reconcile_statement", "GET", "/payments/reconcile/{stmt_org}",
         owner="org_a"),
    Case("payments.reconcile_confirm", "POST", "/payments/reconcile/{stmt_org}/confirm",
         owner="org_a", data=_d(line="{stmt_org_line}")),
    Case("imports.seller_preview", "GET", "/seller/imports/{pending}"),
    Case("imports.seller_preview", "POST", "/seller/imports/{pending}",
         data=_d(action="confirm")),
    Case("imports.seller_discard", "POST", "/seller/imports/{pending}/discard"),
    # --- seller: invitations addressed to A's stall -------------------------------------------
    Case("fairs.answer_fair_invitation", "POST", "/seller/invitations/fairs/{fs_invite}/accept"),
    Case("fairs.answer_fair_invitation", "POST", "/seller/invitations/fairs/{fs_invite}/refuse"),
    Case("fairs.answer_campaign_invitation", "POST",
         "/seller/invitations/campaigns/{campaign}/{stall}/join"),
    Case("fairs.answer_campaign_invitation", "POST",
         "/seller/invitations/campaigns/{campaign}/{stall}/decline"),
    # --- seller: screens without an object id (aimed at A's things where they take one) -------
    Case("fairs.seller_invitations", "GET", "/seller/invitations", OWN),
    Case("catalog.my_stall", "GET", "/seller/stall", OWN),
    Case("catalog.my_stall", "POST", "/seller/stall", OWN, data=_d(name="", slug="{stall_slug}")),
    Case("catalog.my_products", "GET", "/seller/products", OWN),
    Case("catalog.my_product_new", "GET", "/seller/products/new", OWN),
    Case("catalog.my_product_new", "POST", "/seller/products/new", OWN,
         data=_d(name="", stall_id="{stall}")),
    Case("catalog.my_export", "GET", "/seller/products/export.csv", OWN),
    Case("catalog.my_import", "GET", "/seller/products/import", OWN),
    Case("catalog.my_import", "POST", "/seller/products/import", OWN),
    Case("provenance.seller_index", "GET", "/seller/provenance", OWN),
    Case("orders.seller_inbox", "GET", "/seller/orders", OWN),
    Case("orders.packing", "GET", "/seller/orders/packing?fair={fair}", OWN, lists_public=True),
    Case("orders.pos", "GET", "/seller/pos", OWN),
    Case("orders.pos_confirm", "POST", "/seller/pos/confirm", OWN, data=_d(qty_PRODUCT="1")),
    Case("orders.pos_sell", "POST", "/seller/pos/sell", OWN,
         data=_d(qty_PRODUCT="1", method="cash")),
    Case("orders.manual_new", "GET", "/seller/orders/new", OWN),
    Case("orders.manual_new", "POST", "/seller/orders/new", OWN,
         data=_d(qty_PRODUCT="1", customer_name="Khách", customer_phone="0912000001",
                 channel="livestream", fulfilment="stall_pickup", method="cash")),
    Case("reports.seller_summary", "GET", "/seller/summary?stall={stall}", OWN),
    Case("reports.seller_export", "GET", "/seller/summary/products.csv?stall={stall}", OWN),
    Case("payments.vietqr_sign", "GET", "/seller/vietqr-sign", OWN),
    Case("delivery.my_zones", "GET", "/seller/delivery", OWN),
    Case("payments.reconcile_upload", "GET", "/payments/reconcile", OWN),
    Case("payments.reconcile_upload", "POST", "/payments/reconcile", OWN),
    Case("imports.seller_upload", "GET", "/seller/imports", OWN),
    Case("imports.seller_upload", "POST", "/seller/imports", OWN, data=_d(stall="{stall}")),
    # --- other state-changing POSTs about a fair or stall --------------------------------------
    Case("fairs.apply", "POST", "/fairs/{fair_slug}/apply", OWN, data=_d(stall_id="{stall}")),
]


def _fill(template: str, world: World) -> str:
    return template.format(**world.ids)


def _form(case: Case, world: World) -> dict:
    data = {}
    for key, value in (case.data or {}).items():
        key = key.replace("PRODUCT", str(world.ids["product"]))
        data[key] = _fill(value, world)
    return data


def _snapshot() -> dict[str, dict]:
    """Every row of every table, by primary key."""
    _db.session.expire_all()
    rows: dict[str, dict] = {}
    for table in _db.metadata.sorted_tables:
        pk = [c.name for c in table.primary_key.columns]
        found = {}
        for row in _db.session.execute(sa.select(table)).mappings():
            found[tuple(row[c] for c in pk)] = {k: repr(v) for k, v in row.items()}
        rows[table.name] = found
    _db.session.rollback()
    return rows


def _new_rows_pointing_at_a(before: dict, after: dict, world: World) -> list:
    bad = []
    for table, rows in after.items():
        for key, row in rows.items():
            if key in before[table]:
                continue
            for column, ids in world.a_ids.items():
                if column in row and row[column] in {repr(i) for i in ids}:
                    bad.append((table, key, column))
    return bad


def _changed_existing_rows(before: dict, after: dict) -> list:
    return [(table, key) for table, rows in before.items() for key, row in rows.items()
            if after[table].get(key) != row]


def _call(client, case: Case, world: World):
    url = _fill(case.url, world)
    if case.method == "GET":
        return client.get(url)
    return client.post(url, data=_form(case, world))


@pytest.fixture
def world(app):
    return build_world()


@pytest.fixture
def clients(app, world):
    """Signed-in test clients of A's and B's people."""
    from tests.conftest import AuthActions

    signed = {}
    for name in ("org_a", "org_b", "seller_a", "seller_b"):
        client = app.test_client()
        response = AuthActions(client).login(getattr(world, name))
        assert response.status_code == 302, name
        signed[name] = client
    return signed


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_organizer_b_and_seller_b_cannot_touch_what_a_owns(case, world, clients):
    before = _snapshot()
    for intruder in ("org_b", "seller_b"):
        response = _call(clients[intruder], case, world)
        after = _snapshot()
        if case.kind == DENY:
            assert response.status_code in (403, 404), (intruder, response.status_code)
            assert after == before, (intruder, _changed_existing_rows(before, after))
            continue
        assert response.status_code < 500, (intruder, response.status_code)
        body = response.get_data(as_text=True)
        texts = world.markers if case.lists_public else world.markers + world.names
        shown = [m for m in texts if m in body]
        assert not shown, (intruder, shown)
        assert not _changed_existing_rows(before, after), intruder
        assert not _new_rows_pointing_at_a(before, after, world), intruder
        before = after
    if case.kind == DENY:
        # The owner gets through: the URL names A's object (the denial above is real).
        response = _call(clients[case.owner], case, world)
        assert response.status_code not in (403, 404, 405), response.status_code
        assert response.status_code < 500


def uncovered_routes(app) -> tuple[list[str], list[str]]:
    """Guarded routes without a matrix entry, and matrix entries naming no route."""
    covered = {(c.endpoint, c.method) for c in CASES}
    missing = []
    rules = list(app.url_map.iter_rules())
    for rule in rules:
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        guarded = rule.rule.startswith(GUARDED_PREFIXES)
        for method in methods:
            needed = guarded or (method == "POST" and rule.endpoint not in PUBLIC_POSTS)
            if needed and (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    known = {(r.endpoint, m) for r in rules for m in (r.methods or set())}
    stale = [c.id for c in CASES if (c.endpoint, c.method) not in known]
    return missing, stale


def test_every_guarded_route_is_in_the_matrix(app):
    missing, stale = uncovered_routes(app)
    assert not missing, "routes without an authorization case: " + ", ".join(missing)
    assert not stale, "matrix entries for routes that no longer exist: " + ", ".join(stale)


def test_a_new_route_without_a_case_is_caught(make_app):
    from flask import Blueprint

    app = make_app()
    extra = Blueprint("extra", __name__)
    extra.add_url_rule("/seller/stalls/<int:stall_id>/wipe", "wipe", lambda stall_id: "",
                       methods=["POST"])
    extra.add_url_rule("/fairs/<slug>/vote", "vote", lambda slug: "", methods=["POST"])
    app.register_blueprint(extra)
    missing, _stale = uncovered_routes(app)
    assert set(missing) == {"POST /seller/stalls/<int:stall_id>/wipe (extra.wipe)",
                            "POST /fairs/<slug>/vote (extra.vote)"}


def test_a_campaign_cannot_read_the_sales_of_a_stall_that_did_not_join(world, clients, app):
    """Organizer B names seller A's stall in a campaign: nothing of A's counts until A joins."""
    from marketplace.fairs.models import Campaign

    org_b = clients["org_b"]
    day = world.ids["day"]
    response = org_b.post("/organizer/campaigns/new", data={
        "name": "Tò mò", "slug": "to-mo", "starts_on": day, "ends_on": day,
        "goal_vnd": "1.000.000", "stalls": [str(world.ids["stall"])],
        "categories": ["trai-cay"], "channels": ["fair", "online", "livestream", "imported"],
        "published": "y", "public_board": "y"})
    assert response.status_code == 302
    raw = make_api_token(world.org_b)[1]

    def seen() -> list:
        report = org_b.get("/organizer/reports/campaigns/to-mo").get_data(as_text=True)
        export = org_b.get("/organizer/reports/campaigns/to-mo/products.csv"
                           ).get_data(as_text=True)
        board = app.test_client().get("/board/campaigns/to-mo/data.json").get_json()
        api = app.test_client().get("/api/v1/campaigns/to-mo/report",
                                    headers={"Authorization": f"Bearer {raw}"}).get_json()
        page = app.test_client().get("/campaigns/to-mo").get_data(as_text=True)
        return [("Vải Alpha Riêng" in report, "Vải Alpha Riêng" in export,
                 "Gian Alpha Riêng" in page),
                api["report"]["progress"]["vnd_provisional"], board]

    before = seen()
    assert before[0] == (False, False, False) and before[1] == 0
    campaign_id = _db.session.scalar(sa.select(Campaign.id).where(Campaign.slug == "to-mo"))
    assert clients["seller_a"].post(
        f"/seller/invitations/campaigns/{campaign_id}/{world.ids['stall']}/join"
    ).status_code == 302
    after = seen()
    assert after[0] == (True, True, True) and after[1] > 0
    assert after[2] != before[2]
