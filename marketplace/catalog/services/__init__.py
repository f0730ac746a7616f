"""Stalls and products: validate, save, hand over, import, export and browse.

One module per job; this package names the public use cases so callers can keep writing
``services.create_stall(...)``:

- fields: reading typed fields (prices, stock, weights, dates, producer details)
- stalls: opening, changing and handing over a stall, reading its bank QR
- products: a stall's products and their photos
- spreadsheets: a stall's products as CSV, out and in
- browse: the public stall page and the browse page
"""

from __future__ import annotations

from marketplace.catalog.services.browse import (
    PER_PAGE,
    BrowseFilters,
    browse_choices,
    browse_products,
    browse_query,
    on_sale,
    public_stall,
)
from marketplace.catalog.services.fields import (
    format_weight,
    parse_price,
    parse_stock,
    parse_weight,
)
from marketplace.catalog.services.products import (
    MAX_PHOTOS,
    PRODUCT_FIELDS,
    REQUIRED_PRODUCT_FIELDS,
    clean_product,
    create_product,
    products_of,
    remove_product_photo,
    set_product_active,
    update_product,
)
from marketplace.catalog.services.spreadsheets import (
    CSV_COLUMNS,
    ImportRejected,
    ImportResult,
    RowError,
    export_products_csv,
    import_products_csv,
)
from marketplace.catalog.services.stalls import (
    STALL_FIELDS,
    BankFromQR,
    Handover,
    bank_from_qr,
    clean_stall,
    create_stall,
    hand_over_stall,
    stall_of,
    stalls_owned_by,
    update_stall,
)

__all__ = [
    "CSV_COLUMNS", "MAX_PHOTOS", "PER_PAGE", "PRODUCT_FIELDS", "REQUIRED_PRODUCT_FIELDS",
    "STALL_FIELDS", "BankFromQR", "BrowseFilters", "Handover", "ImportRejected", "ImportResult",
    "RowError", "bank_from_qr", "browse_choices", "browse_products", "browse_query",
    "clean_product", "clean_stall", "create_product", "create_stall", "export_products_csv",
    "format_weight", "hand_over_stall", "import_products_csv", "on_sale", "parse_price",
    "parse_stock", "parse_weight", "products_of", "public_stall", "remove_product_photo",
    "set_product_active", "stall_of", "stalls_owned_by", "update_product", "update_stall",
]
