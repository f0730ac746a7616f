"""Import every domain's models so Alembic and the shell see the whole schema."""

from marketplace.accounts.models import PasswordResetCode, Role, User  # noqa: F401
from marketplace.api.models import ApiToken  # noqa: F401
from marketplace.catalog.models import Product, ProductImage, Stall  # noqa: F401
from marketplace.delivery.models import DeliveryZone  # noqa: F401
from marketplace.fairs.models import Campaign, CampaignStall, Fair, FairStall  # noqa: F401
from marketplace.imports.models import ImportedSaleLine, MarketplaceImport, SkuMapping  # noqa: F401
from marketplace.messages.models import Message  # noqa: F401
from marketplace.once.models import OnceKey  # noqa: F401
from marketplace.orders.models import Checkout, Order, OrderLine, OrderStatusEvent  # noqa: F401
from marketplace.payments.models import (  # noqa: F401
    BankStatement,
    BankStatementLine,
    Payment,
    StripeEvent,
)
from marketplace.provenance.models import Batch, Certificate, ScanEvent, TimelineStep  # noqa: F401
from marketplace.storage import StoredImage  # noqa: F401
