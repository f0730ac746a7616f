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


def test_day_columns_leave_room_for_their_figures(app):
    """Three days of ~80 million: each figure fits over its own column, none runs into the next."""
    import re

    from marketplace.reports.charts import column_chart

    svg = str(column_chart([("04/03", 79_200_000), ("05/03", 81_600_000),
                            ("06/03", 77_300_000)], "Doanh số theo ngày"))
    figures = [(float(x), text) for x, text in
               re.findall(r'<text x="([\d.]+)" y="[\d.-]+" text-anchor="middle">([^<]*triệu)<',
                          svg)]
    assert [t for _x, t in figures] == ["79,2 triệu", "81,6 triệu", "77,3 triệu"]
    for (x1, t1), (x2, t2) in zip(figures, figures[1:], strict=False):
        # Centred texts of ~7 px a character at 12 px: half of each must fit between centres.
        assert x2 - x1 >= (len(t1) + len(t2)) * 7 / 2, (t1, t2, x2 - x1)
