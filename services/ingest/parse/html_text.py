"""HTML mail bodies to plain text, keeping ``<pre>`` blocks apart (Amazon puts the buyer's text in one)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["HtmlText", "html_to_text"]

_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol",
    "p", "pre", "section", "table", "tbody", "tfoot", "thead", "tr", "ul",
})  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})
_CELL_TAGS = frozenset({"td", "th"})


@dataclass(frozen=True, slots=True)
class HtmlText:
    """The readable text of an HTML document and the text of each ``<pre>`` block in order."""

    text: str
    pre_blocks: tuple[str, ...]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pre_blocks: list[str] = []
        self._pre: list[str] | None = None
        self._pre_depth = 0
        self._skip_depth = 0
        self._quote_depth = 0

    def _emit(self, text: str) -> None:
        if self._quote_depth:
            # Blockquotes hold quoted older mail; mark them the way plain-text clients do.
            text = text.replace("\n", "\n> ")
        self.parts.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag == "pre":
            self._pre_depth += 1
            if self._pre_depth == 1:
                self._pre = []
        if tag == "blockquote":
            self._quote_depth += 1
            self.parts.append("\n> ")
        elif tag in _BLOCK_TAGS:
            self._emit("\n")
        elif tag in _CELL_TAGS:
            self.parts.append(" ")
        if tag == "br" and self._pre is not None:
            self._pre.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in {"br", "hr", "img", "meta", "link", "input"}:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "pre" and self._pre_depth:
            self._pre_depth -= 1
            if self._pre_depth == 0 and self._pre is not None:
                self.pre_blocks.append("".join(self._pre))
                self._pre = None
        if tag == "blockquote" and self._quote_depth:
            self._quote_depth -= 1
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self._emit("\n")

    def finish(self) -> None:
        """Flush the parser; an unclosed ``<pre>`` still counts as a block."""
        self.close()
        if self._pre is not None:
            self.pre_blocks.append("".join(self._pre))
            self._pre = None

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._pre is not None:
            self._pre.append(data)
            self._emit(data)
        else:
            self._emit(re.sub(r"\s+", " ", data))


def _tidy(text: str) -> str:
    text = text.replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> HtmlText:
    """Readable text of an HTML body; block elements become line breaks, blockquotes become ``>`` lines."""
    collector = _Collector()
    collector.feed(html)
    collector.finish()
    pre = tuple(
        block.replace("\r\n", "\n").replace("\xa0", " ").strip("\n") for block in collector.pre_blocks
    )
    return HtmlText(_tidy("".join(collector.parts)), pre)
