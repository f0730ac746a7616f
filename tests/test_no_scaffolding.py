"""No scaffolding from building the domains one by one: a renamed endpoint or template fails.

Templates must not ask whether an endpoint exists, include templates that may be missing, or
swallow a failed URL build; code must not fall back when an import fails.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATTERNS = {
    "has_endpoint(": re.compile(r"\bhas_endpoint\("),
    "safe_url_for(": re.compile(r"\bsafe_url_for\("),
    "asking view_functions whether a route exists": re.compile(r"in\s+current_app\.view_functions"),
    "include … ignore missing": re.compile(r"ignore\s+missing"),
    "except ImportError": re.compile(r"except\s+\(?\s*(ImportError|ModuleNotFoundError)"),
    "a demo id in production code": re.compile(r"pi_demo_"),
}


def _sources():
    for folder, suffix in (("marketplace", "*.py"), ("templates", "*.html")):
        for path in sorted((ROOT / folder).rglob(suffix)):
            if path.name == "demo.py" or "/demo/" in path.as_posix():
                yield path, {k: v for k, v in PATTERNS.items() if "demo" not in k}
            else:
                yield path, PATTERNS


def test_no_scaffolding_is_left_in_the_app():
    found = []
    for path, patterns in _sources():
        text = path.read_text(encoding="utf-8")
        for what, pattern in patterns.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert found == []


def test_the_check_sees_what_it_looks_for(tmp_path):
    sample = '{% include "x.html" ignore missing %} {% if has_endpoint("a.b") %}'
    assert PATTERNS["include … ignore missing"].search(sample)
    assert PATTERNS["has_endpoint("].search(sample)
    assert PATTERNS["except ImportError"].search("try:\n    x\nexcept ImportError:\n")
