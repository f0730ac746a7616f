"""Schemathesis over /api/v1/openapi.json: whatever a client sends, never a 500."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    make_api_token,
    make_campaign,
    make_fair,
    make_organizer,
    make_participation,
    make_product,
    make_stall,
)


@pytest.fixture
def api_token(app) -> str:
    """An organizer with a fair, a campaign and products, and a live token of theirs."""
    organizer = make_organizer()
    fair = make_fair(organizer=organizer, slug="phien-cho")
    make_campaign(organizer=organizer, slug="vai-thieu")
    stall = make_stall()
    make_participation(fair, stall)
    make_product(stall, name="Vải thiều")
    return make_api_token(organizer)[1]


def test_api_never_answers_500(app, api_token):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8  # every documented route is fuzzed
    strategy = st.one_of([op.as_strategy() for op in operations])

    @given(case=strategy)
    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def fuzz(case):
        for headers in ({"Authorization": f"Bearer {api_token}"}, None):
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.path, case.path_parameters, case.query,
                                                response.text[:300])

    fuzz()
