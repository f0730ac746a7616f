"""Fair and campaign use cases.

One module per job; this package names them so callers can keep writing
``services.save_fair(...)``:

- fairs: what is open now, creating, listing and deleting fairs, the organizer's fairs
- booths: applications, invitations and booths of stalls at a fair
- campaigns: campaigns, the stalls that join them and the rule of what they count
- search: a fair's products, searched and filtered
- slugs: the slug of a fair or campaign
"""

from __future__ import annotations

from marketplace.fairs.services.booths import (
    DECIDABLE,
    accept_application,
    accepted_participations,
    addable_stalls,
    answer_fair_invitation,
    applications_of,
    apply_to_fair,
    booth_sort_key,
    decline_application,
    fair_invitations_of,
    invite_stall,
    participations_of,
    pending_applications,
    remove_participation,
    stalls_of,
)
from marketplace.fairs.services.campaigns import (
    CHANNELS,
    CampaignInput,
    answer_campaign_invitation,
    campaign_by_slug,
    campaign_choices,
    campaign_counts,
    campaign_form_values,
    campaign_invitations_of,
    campaign_state,
    channel_choices,
    delete_campaign,
    organizer_campaigns,
    public_campaigns,
    save_campaign,
)
from marketplace.fairs.services.fairs import (
    FAIR_VISIT_TTL,
    FairInput,
    FairListing,
    booth_counts,
    current_booth,
    delete_fair,
    fair_by_slug,
    fair_form_values,
    fair_visit,
    home_fairs,
    list_fairs,
    open_fair_of_visit,
    open_fairs,
    organizer_fairs,
    save_fair,
)
from marketplace.fairs.services.search import ProductFilters, fair_filter_options, fair_products

__all__ = [
    "CHANNELS", "DECIDABLE", "FAIR_VISIT_TTL", "CampaignInput", "FairInput", "FairListing",
    "ProductFilters", "accept_application", "accepted_participations", "addable_stalls",
    "answer_campaign_invitation", "answer_fair_invitation", "applications_of", "apply_to_fair",
    "booth_counts", "booth_sort_key", "campaign_by_slug", "campaign_choices", "campaign_counts",
    "campaign_form_values", "campaign_invitations_of", "campaign_state",
    "channel_choices", "current_booth", "decline_application", "delete_campaign",
    "delete_fair", "fair_by_slug", "fair_filter_options", "fair_form_values",
    "fair_invitations_of", "fair_products", "fair_visit", "home_fairs", "invite_stall",
    "list_fairs", "open_fair_of_visit", "open_fairs", "organizer_campaigns", "organizer_fairs",
    "participations_of", "pending_applications", "public_campaigns", "remove_participation",
    "save_campaign", "save_fair", "stalls_of",
]
