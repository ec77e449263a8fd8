"""Cut the buyer's own words out of a relay mail body: no Amazon frame, footer or quoted older mail.

The rules are structural so they hold across languages and template eras (mail NOTES §1.4):
- Amazon frames the message between two dashed delimiter lines with words in them
  (``--- Begin message ---``, ``--- Messaggio: ---``, ``--- メッセージはここから ---``); the first one opens,
  a later one with closing words (or simply the next one) closes.
- Quoted older mail starts at a quote header: a dashed line about an original/forwarded message, a dashed
  line followed by a ``From:``-style header block, an attribution line (``On … wrote:``, ``Am … schrieb``,
  ``Le … a écrit``, ``…のメッセージ:``, any line ending in ``:`` that holds an address and a digit) or an
  Outlook header block; lines starting with ``>`` are quotes too.
- The trap: a buyer answering from a mail client writes *above* a quote header, and the first open marker
  belongs to the quoted older relay mail. Text before a quote header that precedes the first marker wins.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from enum import Enum

__all__ = ["BuyerText", "extract_buyer_text", "is_template_line"]

_DASHED_WORDS = re.compile(r"^\s*[-=_*~]{3,}\s*(?P<words>\S.*?)\s*[-=_*~]{3,}\s*$")
_RULE = re.compile(r"^\s*(?:[-=_*~]\s?){5,}\s*$")
_CLOSE_WORDS = re.compile(
    r"\b(?:end|ende|fine|fin|fim|final|finalizar|encerrar|einde|slut|koniec|sonu|bitti)\b|ここまで|结束|終わり",
    re.IGNORECASE,
)
_QUOTE_WORDS = re.compile(
    r"original|ursprüngliche|d'origine|origine|originale|origen|forward|weitergeleitet|transféré|inoltrato|"
    r"reenviado|encaminhad|元のメッセージ|転送|原始邮件",
    re.IGNORECASE,
)
_HEADER_LINE = re.compile(r"^\s*[^\W\d][\w .'-]{0,24}?\s?[:：]\s*\S")
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+|address removed|adresse (?:e-mail )?supprimée|mailto:", re.I)
_ATTRIBUTION_VERB = re.compile(
    r"\b(?:wrote|writes|schrieb|a\s+écrit|escribió|ha\s+scritto|escreveu|schreef|skrev|napisał|yazdı)\b",
    re.IGNORECASE,
)
_CJK_ATTRIBUTION = re.compile(r"のメッセージ|のメール|書きました|写道")
_ATTRIBUTION_START = re.compile(r"^\s*(?:on|am|le|el|il|em|op|den|w dniu)\s", re.IGNORECASE)
_ORDER_LINE = re.compile(r"^\W*(?:[^\W\d]+[\s./°#:]+){0,4}\d{3}-\d{7}-\d{7}\s*[:：]?\s*$")
_MAX_HEADER_LINE = 998  # RFC 5322 line limit; longer lines are prose, and bound the regex work per line
# Optional "[ " only before ASIN: a leading \s* let the search rescan a long run of spaces from every position.
_ITEM_LINE = re.compile(r"(?:\[\s*)?ASIN\s*[:：]\s*[A-Z0-9]{10}\s*\]?", re.IGNORECASE)
_WATERMARK = re.compile(r"^\s*(?:\[commMgrTok:[^\]]*\]|SPC-[A-Za-z]+-\d+)\s*$")
_GREETINGS = re.compile(
    r"^\s*(?:you(?: have|'ve) received a message|sie haben eine nachricht erhalten|vous avez reçu un message|"
    r"hai ricevuto un messaggio|(?:recibiste|has recibido) un mensaje|você recebeu uma mensagem|"
    r"(?:je hebt|u heeft) een bericht ontvangen|du har fått ett meddelande|"
    r"otrzymał(?:eś|aś|eś\(aś\)) wiadomość|"
    r"bir mesaj aldınız|メッセージを受信しました|メッセージが届きました)\s*[.!。:]?\s*$",
    re.IGNORECASE,
)


class _Kind(Enum):
    OPEN = "open"
    CLOSE = "close"
    QUOTE = "quote"
    RULE = "rule"


@dataclass(frozen=True, slots=True)
class BuyerText:
    """The extracted text and whether Amazon's open/close frame was found."""

    text: str
    framed: bool


def is_template_line(line: str) -> bool:
    """True for Amazon's preamble lines: greeting, order-id line, item line with an ASIN, watermarks."""
    return bool(
        _GREETINGS.match(line) or _ORDER_LINE.match(line) or _ITEM_LINE.search(line) or _WATERMARK.match(line)
    )


def _header_block(lines: list[str], start: int, minimum: int) -> bool:
    """``minimum`` consecutive ``Label: value`` lines from ``start`` holding an address or a clock time.

    That is the shape of a quoted mail's header (``From: … [mailto:…]`` / ``Sent: … 10:02 AM``); Amazon's own
    ``Item:`` / ``Quantity:`` notice lines have neither.
    """
    count, evidence = 0, False
    for line in lines[start : start + minimum + 4]:
        if not line.strip():
            if count:
                break
            continue
        if len(line) > _MAX_HEADER_LINE or not _HEADER_LINE.match(line):
            break
        count += 1
        evidence = evidence or bool(_ADDRESS.search(line) or _CLOCK.search(line))
    return count >= minimum and evidence


def _is_attribution(line: str) -> bool:
    stripped = line.strip()
    if not stripped or len(stripped) > 300:
        return False
    colon = stripped.endswith((":", "："))
    digit = re.search(r"\d", stripped) is not None
    address = _ADDRESS.search(stripped) is not None
    if _CJK_ATTRIBUTION.search(stripped):
        return colon and digit
    if _ATTRIBUTION_VERB.search(stripped):
        verb_last = colon or _ATTRIBUTION_VERB.search(stripped[-30:]) is not None
        introduced = address or _ATTRIBUTION_START.match(stripped) is not None
        return verb_last and introduced and (digit or address)
    return colon and address and digit


def _is_wrapped_attribution(line: str, following: str) -> bool:
    """Clients wrap long attributions: ``On Mon, 3 Jun 2024 at 10:12, Shop <x@y>`` / ``wrote:``."""
    stripped = line.strip()
    if not _ATTRIBUTION_START.match(stripped) or stripped.endswith((":", "：")) or not following.strip():
        return False
    return _is_attribution(f"{stripped} {following.strip()}")


def _classify(lines: list[str]) -> list[_Kind | None]:
    kinds: list[_Kind | None] = []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        dashed = _DASHED_WORDS.match(line)
        if dashed and not _RULE.match(line):
            words = dashed.group("words")
            if _QUOTE_WORDS.search(words) or _header_block(lines, index + 1, 2):
                kinds.append(_Kind.QUOTE)
            elif _CLOSE_WORDS.search(words):
                kinds.append(_Kind.CLOSE)
            else:
                kinds.append(_Kind.OPEN)
        elif _RULE.match(line):
            kinds.append(_Kind.QUOTE if _header_block(lines, index + 1, 2) else _Kind.RULE)
        elif (
            _is_attribution(line)
            or _is_wrapped_attribution(line, following)
            or (_HEADER_LINE.match(line) and _header_block(lines, index, 3))
        ):
            kinds.append(_Kind.QUOTE)
        else:
            kinds.append(None)
    return kinds


def _first(kinds: list[_Kind | None], wanted: _Kind, start: int = 0) -> int | None:
    return next((index for index in range(start, len(kinds)) if kinds[index] is wanted), None)


def _clean(lines: list[str]) -> str:
    kept = [
        line.rstrip() for line in lines if not line.lstrip().startswith(">") and not _WATERMARK.match(line)
    ]
    while kept and (not kept[-1].strip() or _RULE.match(kept[-1])):
        kept.pop()
    text = "\n".join(kept).strip("\n")
    return re.sub(r"\n\s*\n(\s*\n)+", "\n\n", text).strip()


def _before_quote(lines: list[str]) -> list[str]:
    index = _first(_classify(lines), _Kind.QUOTE)
    return lines if index is None else lines[:index]


def _without_template(lines: list[str]) -> list[str]:
    return [line for line in lines if not is_template_line(line)]


def extract_buyer_text(body: str) -> BuyerText:
    """The buyer's own words from a plain-text (or HTML-rendered) relay mail body."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ").split("\n")
    kinds = _classify(lines)
    first_open = _first(kinds, _Kind.OPEN)
    first_quote = _first(kinds, _Kind.QUOTE)
    if first_quote is not None and (first_open is None or first_quote < first_open):
        above = _clean(_without_template(lines[:first_quote]))
        if above:
            return BuyerText(above, framed=first_open is not None)
    if first_open is not None:
        close = _first(kinds, _Kind.CLOSE, first_open + 1)
        if close is None:
            close = _first(kinds, _Kind.OPEN, first_open + 1)
        if close is None:
            close = _first(kinds, _Kind.RULE, first_open + 1)
        inside = lines[first_open + 1 : close if close is not None else len(lines)]
        return BuyerText(_clean(_before_quote(inside)), framed=True)
    first_close = _first(kinds, _Kind.CLOSE)
    if first_close is not None:
        # A template variant has no opening marker: the text follows the item line, then the close marker.
        return BuyerText(_clean(_before_quote(_without_template(lines[:first_close]))), framed=True)
    # No frame (Amazon's own notices, forwarded mail): the first non-empty block between separator rules.
    bounds = [-1, *(index for index, kind in enumerate(kinds) if kind is _Kind.RULE), len(lines)]
    for start, end in itertools.pairwise(bounds):
        text = _clean(_before_quote(_without_template(lines[start + 1 : end])))
        if text:
            return BuyerText(text, framed=False)
    return BuyerText("", framed=False)
