"""Records of the XML returns report, flattened to ``normalized tag -> text`` rows (one per returned item)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from shared.errors import ValidationError

__all__ = ["normalize_name", "xml_rows"]

_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_DTD = re.compile(r"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def normalize_name(name: str) -> str:
    """Column or tag name compared loosely: ``A-to-Z Claim``, ``a_to_z_claim`` and ``AtoZClaim`` agree."""
    return re.sub(r"[^0-9a-z]", "", name.rpartition("}")[2].lower())


def _leaves(element: ET.Element, skip: str | None, into: dict[str, str]) -> None:
    # Depth-first with an explicit stack: a record nested thousands deep must not exhaust the call stack.
    stack = [iter(element)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        name = normalize_name(child.tag)
        if name == skip:
            continue
        if len(child):
            stack.append(iter(child))
        elif name not in into:
            into[name] = (child.text or "").strip()


class _NoDoctypeBuilder(ET.TreeBuilder):
    """Tree builder that stops at a DOCTYPE, before expat reads any entity declaration (as defusedxml does)."""

    def doctype(self, name: str, pubid: str, system: str) -> None:
        raise ValidationError("XML report declares a DTD or entities; refusing to parse it")


def xml_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """``(record number, row)`` per item of each return record (an element with an ``order_id`` child)."""
    if _DTD.search(text):
        # Entities are never expanded: a report has no business declaring any.
        raise ValidationError("XML report declares a DTD or entities; refusing to parse it")
    parser = ET.XMLParser(target=_NoDoctypeBuilder())
    try:
        parser.feed(_DECLARATION.sub("", text, count=1))
        root = parser.close()
    except ET.ParseError as exc:
        raise ValidationError(f"XML report is not well-formed: {exc}") from exc
    rows: list[tuple[int, dict[str, str]]] = []
    records = [el for el in root.iter() if any(normalize_name(child.tag) == "orderid" for child in el)]
    for number, record in enumerate(records, start=1):
        base: dict[str, str] = {}
        _leaves(record, "itemdetails", base)
        items = [child for child in record if normalize_name(child.tag) == "itemdetails"]
        if not items:
            rows.append((number, base))
        for item in items:
            row: dict[str, str] = {}
            _leaves(item, None, row)
            rows.append((number, {**base, **row}))
    return rows
