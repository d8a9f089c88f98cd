"""Template hygiene: no text a user reads escapes translation, and nothing loads from outside."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
# Language names are shown in their own language on purpose.
ALLOWED_TEXT = {"中文", "English"}
_JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)
_TAG = re.compile(r"<(?:script|style)\b.*?</(?:script|style)>|<[^>]*>", re.S | re.I)
_ATTR = re.compile(r'\b(?:placeholder|title|aria-label|alt|data-confirm)="([^"]*)"', re.I)
_WORDS = re.compile(r"[A-Za-z\u4e00-\u9fff]{2,}")

pytestmark = pytest.mark.once


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_no_untranslated_text(path):
    source = _JINJA.sub("", path.read_text(encoding="utf-8"))
    found = []
    for value in _ATTR.findall(source):
        found += _WORDS.findall(value)
    text = _TAG.sub(" ", source)
    found += _WORDS.findall(text)
    leftovers = [w for w in found if w not in ALLOWED_TEXT]
    assert not leftovers, f"text outside _() in {path.name}: {leftovers[:10]}"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_no_external_resources(path):
    source = path.read_text(encoding="utf-8")
    assert not re.search(r'(?:src|href)="(?:https?:)?//', source), f"{path.name} loads from another host"


def test_no_inline_scripts_the_csp_would_block():
    for path in TEMPLATES:
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source), path.name
        assert not re.search(r"\son[a-z]+=\"", source), f"inline event handler in {path.name}"
