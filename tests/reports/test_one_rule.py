"""What a campaign covers is written once (reports.scope.campaign_rule), and the backend is
asked in one place (reports.engine.dialect)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "marketplace" / "reports"
CALL = re.compile(r"\bcampaign_counts\(")


def _calls(text: str) -> int:
    return len(CALL.findall(text))


def test_campaign_counts_is_called_by_campaign_rule_alone():
    calls = {}
    for path in sorted((ROOT / "marketplace").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        text = text.replace("def campaign_counts(", "")  # its definition (fairs.services)
        if _calls(text):
            calls[path.relative_to(ROOT).as_posix()] = _calls(text)
    assert calls == {"marketplace/reports/scope.py": 1}
    scope = (REPORTS / "scope.py").read_text(encoding="utf-8")
    rule = scope[scope.index("def campaign_rule("):scope.index("\ndef ", scope.index(
        "def campaign_rule(") + 1)]
    assert _calls(rule) == 1


def test_the_check_sees_a_copy():
    assert _calls("where(campaign_counts(campaign, stall=Product.stall_id, product=Product.id))")
    assert not _calls("from marketplace.fairs.services import campaign_counts")


def test_report_modules_stay_small_with_one_dialect_check():
    texts = {p.name: p.read_text(encoding="utf-8") for p in REPORTS.glob("*.py")}
    sizes = {name: len(text.splitlines()) for name, text in texts.items()}
    assert max(sizes.values()) <= 600, sizes
    dialects = re.compile(r"def _?dialect\(")
    assert {name: len(dialects.findall(text)) for name, text in texts.items()
            if dialects.search(text)} == {"engine.py": 1}
