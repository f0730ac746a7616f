"""Chart labels read in the visitor's language."""

from __future__ import annotations

from flask_babel import force_locale

from marketplace.reports.charts import short_number


def test_short_numbers_use_the_languages_own_suffixes(app):
    with app.test_request_context():
        assert [short_number(v) for v in (2_500_000_000, 1_200_000, 35_000, 12)] == [
            "2,5 tỷ", "1,2 triệu", "35 nghìn", "12"]
        with force_locale("en"):
            assert [short_number(v) for v in (2_500_000_000, 1_200_000, 35_000)] == [
                "2,5 bn", "1,2 m", "35 k"]
