"""The rules: each a small pure function from a checked field to its violations."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

from services.responder.replies.compliance import lexicon, reviews
from services.responder.replies.compliance.detect import (
    ORDER_ID,
    Found,
    find_emails,
    find_links,
    find_phones,
    link_allowed,
)
from services.responder.replies.compliance.language import guess_language, language_of_locale
from services.responder.replies.compliance.model import ChannelPolicy, Field, Violation
from services.responder.replies.compliance.normalize import Normalized, normalize
from services.responder.replies.compliance.screen import Folded, Screen, fold

__all__ = ["FIELD_RULES", "TEXT_RULES", "Checked", "Rule"]

_EXCERPT_MAX = 80


@dataclass(frozen=True)
class Checked:
    """One field under check with what the rules need to know about the draft."""

    raw: str
    field: Field
    policy: ChannelPolicy
    locale: str | None
    order_id: str | None
    subject: str | None

    @cached_property
    def norm(self) -> Normalized:
        """The normalised form the pattern rules match on."""
        return normalize(self.raw)

    @cached_property
    def folded(self) -> Folded | None:
        """The normal form lower-cased for screening (None: no screening, every pattern runs)."""
        return fold(self.norm.text)

    @cached_property
    def phrase_candidates(self) -> list[int]:
        """Indexes (into all phrase tables, in order) of the phrases that may match this field."""
        return _PHRASES.candidates(self.norm.text, self.folded)

    @cached_property
    def emails(self) -> list[Found]:
        """E-mail addresses (links inside them are not reported twice)."""
        return find_emails(self.norm.text, self._low)

    @cached_property
    def links(self) -> list[Found]:
        """Links outside e-mail addresses."""
        return [f for f in find_links(self.norm.text, self._low) if not _overlaps(f, self.emails)]

    @property
    def _low(self) -> str | None:
        return None if self.folded is None else self.folded.text

    def violation(
        self, rule_id: str, message: str, start: int, end: int, *, normalized: bool = True
    ) -> Violation:
        """A violation whose span is mapped back to the original text when it came from the normal form."""
        if normalized:
            start, end = self.norm.span(start, end)
        excerpt = self.raw[start:end]
        if len(excerpt) > _EXCERPT_MAX:
            excerpt = excerpt[: _EXCERPT_MAX - 1] + "…"
        return Violation(rule_id, message, start, end, excerpt, self.field)


Rule = Callable[[Checked], Iterator[Violation]]


def _overlaps(f: Found, others: list[Found]) -> bool:
    return any(o.start < f.end and f.start < o.end for o in others)


def rule_links(c: Checked) -> Iterator[Violation]:
    """link.url: links the channel's purpose does not allow (incl. www., bare and "dot com" forms)."""
    for f in c.links:
        if not link_allowed(f, c.policy.link_rules):
            yield c.violation(
                "link.url", f"link not allowed on {c.policy.channel} ({f.kind})", f.start, f.end
            )


def rule_emails(c: Checked) -> Iterator[Violation]:
    """contact.email: e-mail addresses, incl. "name at domain dot com"."""
    for f in c.emails:
        yield c.violation("contact.email", f"e-mail address ({f.kind})", f.start, f.end)


def rule_phones(c: Checked) -> Iterator[Violation]:
    """contact.phone: phone numbers (order ids, dates, prices and tracking numbers excluded)."""
    taken = c.emails + c.links
    for f in find_phones(c.norm.text, c._low):
        if not _overlaps(f, taken):
            yield c.violation("contact.phone", "phone number", f.start, f.end)


_OFF_AMAZON = lexicon.OFF_AMAZON + lexicon.OFF_AMAZON_CASED
_PHRASE_TABLES = (
    lexicon.MARKETING, _OFF_AMAZON, reviews.REVIEW_REQUEST, reviews.REVIEW_INCENTIVE, reviews.REVIEW_CHANGE,
)  # fmt: skip
# One screen over every phrase table: the literals are looked for once per field, not once per rule.
_PHRASES = Screen(pattern for table in _PHRASE_TABLES for _, pattern in table)
_OFFSETS = {id(table): sum(map(len, _PHRASE_TABLES[:n])) for n, table in enumerate(_PHRASE_TABLES)}


def _phrases(c: Checked, rule_id: str, label: str, table: tuple[lexicon.Phrase, ...]) -> Iterator[Violation]:
    # Only the phrases whose literal text occurs can match: for a compliant reply, usually none.
    offset = _OFFSETS[id(table)]
    seen: list[tuple[int, int]] = []
    for i in c.phrase_candidates:
        if not offset <= i < offset + len(table):
            continue
        lang, pattern = table[i - offset]
        for m in pattern.finditer(c.norm.text):
            if any(s < m.end() and m.start() < e for s, e in seen):
                continue
            seen.append((m.start(), m.end()))
            yield c.violation(rule_id, f"{label} ({lang})", m.start(), m.end())


def rule_off_amazon(c: Checked) -> Iterator[Violation]:
    """contact.off_amazon: invitations to talk outside Amazon (messengers, social media, call us, website)."""
    yield from _phrases(c, "contact.off_amazon", "contact outside Amazon", _OFF_AMAZON)


def rule_marketing(c: Checked) -> Iterator[Violation]:
    """content.marketing: promotion, discounts, coupons, newsletters, other products."""
    yield from _phrases(c, "content.marketing", "marketing or promotion", lexicon.MARKETING)


def rule_review_request(c: Checked) -> Iterator[Violation]:
    """content.review_request: asking for a review, rating or feedback (the Solicitations API does that)."""
    yield from _phrases(c, "content.review_request", "review or feedback request", reviews.REVIEW_REQUEST)


def rule_review_incentive(c: Checked) -> Iterator[Violation]:
    """content.review_incentive: anything offered in exchange for a review or feedback."""
    yield from _phrases(c, "content.review_incentive", "incentive for a review", reviews.REVIEW_INCENTIVE)


def rule_review_change(c: Checked) -> Iterator[Violation]:
    """content.review_change: asking to change, update or remove a review or feedback."""
    yield from _phrases(c, "content.review_change", "request to change a review", reviews.REVIEW_CHANGE)


_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?\s*>|<!--.*?-->", re.DOTALL)
_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,10}|#\d{1,7}|#x[0-9a-fA-F]{1,6});")


def rule_html(c: Checked) -> Iterator[Violation]:
    """format.html: HTML tags, comments and character entities."""
    for pattern, what, needs in ((_TAG, "HTML tag", "<"), (_ENTITY, "HTML entity", "&")):
        if needs not in c.norm.text:
            continue  # every tag, comment or entity holds it
        for m in pattern.finditer(c.norm.text):
            yield c.violation("format.html", what, m.start(), m.end())


_EMOJI_RANGES = (
    (0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2B05, 0x2B07), (0x2B1B, 0x2B1C), (0x2B50, 0x2B55),
    (0x231A, 0x231B), (0x23E9, 0x23FA), (0x25FB, 0x25FE), (0xFE0F, 0xFE0F), (0x3030, 0x3030),
    (0x303D, 0x303D), (0x3297, 0x3299), (0xE0020, 0xE007F),
)  # fmt: skip
_EMOTICON = re.compile(r"(?<![\w:])(?::-?\)|:-?\(|;-?\)|:-?D\b|:-?P\b|\^_?\^|<3(?!\d))")
_EMOTICON_HINT = re.compile(r"[:;]-?[()DP]|\^_?\^|<3")  # implied by every emoticon; scanned in C


_EMOJI_CHAR = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _EMOJI_RANGES) + "]")


def _is_emoji(ch: str) -> bool:
    return _EMOJI_CHAR.match(ch) is not None


def rule_emoji(c: Checked) -> Iterator[Violation]:
    """format.emoji: emoji and pictographs (checked on the original text) and ASCII emoticons."""
    i, text = 0, c.raw
    if _EMOJI_CHAR.search(text) is None:
        i = len(text)  # nothing to walk: the common case
    while i < len(text):
        if _is_emoji(text[i]):
            j = i + 1
            while j < len(text) and (_is_emoji(text[j]) or text[j] == "\u200d"):
                j += 1
            yield c.violation("format.emoji", "emoji", i, j, normalized=False)
            i = j
        else:
            i += 1
    if _EMOTICON_HINT.search(c.norm.text) is None:
        return
    for m in _EMOTICON.finditer(c.norm.text):
        yield c.violation("format.emoji", "emoticon", m.start(), m.end())


_GIF = re.compile(r"\.gif\b|\bgifs?\b|image/gif", re.IGNORECASE)


def rule_gif(c: Checked) -> Iterator[Violation]:
    """format.gif: GIF files or animations."""
    if c._low is not None and "gif" not in c._low:
        return
    for m in _GIF.finditer(c.norm.text):
        yield c.violation("format.gif", "GIF", m.start(), m.end())


def rule_length(c: Checked) -> Iterator[Violation]:
    """text.length: longer than the channel allows (characters, as the Messaging API counts)."""
    limit = c.policy.max_length
    if len(c.raw) > limit:
        yield c.violation(
            "text.length", f"{len(c.raw)} characters, {c.policy.channel} allows {limit}", limit, len(c.raw),
            normalized=False,
        )  # fmt: skip


def rule_language(c: Checked) -> Iterator[Violation]:
    """text.language: the text is confidently in another language than the buyer's locale."""
    expected = language_of_locale(c.locale)
    if expected is None:
        return
    guess = guess_language(ORDER_ID.sub(" ", c.raw))
    if guess.language is not None and guess.language != expected:
        yield c.violation(
            "text.language", f"text looks {guess.language}, buyer locale is {c.locale}", 0, len(c.raw),
            normalized=False,
        )  # fmt: skip


def rule_foreign_order_id(c: Checked) -> Iterator[Violation]:
    """order_id.foreign: another order's id (it would leak one buyer's order to another)."""
    if c.order_id is None:
        return
    for m in ORDER_ID.finditer(c.norm.text):
        if m.group() != c.order_id:
            yield c.violation("order_id.foreign", "another order's id", m.start(), m.end())


def rule_order_id_missing(c: Checked) -> Iterator[Violation]:
    """order_id.missing: messaging text must quote the order id; e-mail must in the text or the subject."""
    if not c.policy.order_id_required:
        return
    if c.order_id is None:
        if c.policy.proactive and not ORDER_ID.search(c.norm.text):
            yield c.violation("order_id.missing", "no order id quoted", 0, 0, normalized=False)
        return
    in_subject = c.subject is not None and c.order_id in normalize(c.subject).text
    if c.order_id not in c.norm.text and (c.policy.proactive or not in_subject):
        yield c.violation("order_id.missing", f"order id {c.order_id} not quoted", 0, 0, normalized=False)


_SENTENCE = re.compile(r"[.!?。！？\n]+")
_LATIN_WORD = re.compile(r"[^\W\d_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def rule_thanks_only(c: Checked) -> Iterator[Violation]:
    """content.thanks_only: a proactive message that only thanks or says "shipped"."""
    if not c.policy.proactive:
        return
    thanks = False
    for sentence in _SENTENCE.split(ORDER_ID.sub(" ", c.norm.text)):
        s = sentence.strip()
        if not s:
            continue
        if lexicon.CLOSING.search(s):
            break  # the sign-off and signature follow
        words = len(_LATIN_WORD.findall(s)) if not _CJK.search(s) else len(_CJK.findall(s)) // 3
        if lexicon.GREETING.search(s) and words <= 4:
            continue
        if lexicon.THANKS.search(s) or lexicon.SHIPPED.search(s) or lexicon.ENJOY.search(s):
            thanks = True
            continue
        if words <= 2:
            continue
        return
    if thanks:
        yield c.violation(
            "content.thanks_only", "only thanks or a shipping notice", 0, len(c.raw), normalized=False
        )


# Rules on any checked field (text and subject).
FIELD_RULES: tuple[Rule, ...] = (
    rule_links, rule_emails, rule_phones, rule_off_amazon, rule_html, rule_emoji, rule_gif, rule_marketing,
    rule_review_request, rule_review_incentive, rule_review_change, rule_foreign_order_id,
)  # fmt: skip
# Rules on the body text only.
TEXT_RULES: tuple[Rule, ...] = (rule_length, rule_language, rule_order_id_missing, rule_thanks_only)
