"""Orders' services: the cart, checkout, a seller's sales, status changes and reading orders.

One module per job (cart, placing, checkout, sales, status, lookup); the names callers use are
re-exported here, so `from marketplace.orders import services as svc` reads them all. Orders
themselves are written by marketplace.orders.writer.
"""

from marketplace.orders.services.cart import (
    CARD,
    CASH,
    MAX_QUANTITY,
    UNPAID_METHODS,
    VIETQR,
    CartBooth,
    CartFair,
    CartGroup,
    CartLine,
    CartProduct,
    CartStall,
    CartView,
    StaleCart,
    add_to_cart,
    check_quantity,
    normalize_phone,
    parse_id,
    parse_quantity,
    payment_options,
    remove_from_cart,
    review_cart,
    update_cart,
)
from marketplace.orders.services.checkout import CustomerDetails, place_checkout
from marketplace.orders.services.lookup import (
    PAGE_SIZE,
    InboxFilter,
    PackedProduct,
    PackingList,
    booth_fairs_of,
    checkout_orders,
    checkout_orders_by_id,
    customer_orders,
    find_order,
    packing_list,
    payment_deadline,
    seller_fairs,
    seller_inbox,
    seller_order,
    tracked_order,
    unpaid_siblings,
)
from marketplace.orders.services.placing import Placed, PlacedOrder, replay_placed
from marketplace.orders.services.sales import (
    Quote,
    create_manual_order,
    manual_fulfilment_options,
    quote_sale,
    record_booth_sale,
    sale_payment_options,
    sellable_products,
)
from marketplace.orders.services.status import (
    SELLER_STEPS,
    PaymentOutstanding,
    change_status,
    expire_unpaid_orders,
    status_label,
    unpaid_deadline,
)

__all__ = [
    "CARD", "CASH", "MAX_QUANTITY", "PAGE_SIZE", "SELLER_STEPS", "UNPAID_METHODS", "VIETQR",
    "CartBooth", "CartFair", "CartGroup", "CartLine", "CartProduct", "CartStall", "CartView",
    "CustomerDetails", "InboxFilter", "PackedProduct", "PackingList", "PaymentOutstanding",
    "Placed", "PlacedOrder", "Quote", "StaleCart", "add_to_cart", "booth_fairs_of",
    "change_status", "check_quantity", "checkout_orders", "checkout_orders_by_id",
    "create_manual_order", "customer_orders", "expire_unpaid_orders", "find_order",
    "manual_fulfilment_options", "normalize_phone", "packing_list", "parse_id",
    "parse_quantity", "payment_deadline", "payment_options", "place_checkout", "quote_sale",
    "record_booth_sale", "remove_from_cart", "replay_placed", "review_cart",
    "sale_payment_options", "sellable_products", "seller_fairs", "seller_inbox",
    "seller_order", "status_label", "tracked_order", "unpaid_deadline", "unpaid_siblings",
    "update_cart",
]
