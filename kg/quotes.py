"""Find a quote in a source text, tolerating only line breaks and curly/straight quote marks.

A fact sheet's quote is typed or pasted by a person: it may join lines the source breaks, or use
straight quotes where the source has curly ones (or the reverse). Nothing else is forgiven. The
match returns the exact substring of the source and its code-point offsets, which is what an
evidence record stores (``kg validate`` checks ``text[start:end] == quote``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_QUOTE_MARKS = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})
# A run of spaces and tabs that holds at least one line break, or a lone line break.
_BREAK = re.compile(r"[ \t]*(?:\r\n|\r|\n)[ \t\r\n]*")


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    text: str  # the source's own characters between start and end


class SourceText:
    """A source text prepared for repeated quote look-ups (one normalisation, many finds)."""

    def __init__(self, text: str):
        self.text = text
        self._normal, self._where = _normalise(text)
        self._cursor = 0

    def find(self, quote: str) -> Match | None:
        """The first place the quote occurs (searching on from the last match, then from the start)."""
        wanted, _ = _normalise(quote.strip())
        if not wanted:
            return None
        at = self._normal.find(wanted, self._cursor)
        if at < 0:
            at = self._normal.find(wanted)
        if at < 0:
            return None
        self._cursor = at + len(wanted)
        start = self._where[at]
        end = self._where[at + len(wanted) - 1] + 1
        return Match(start, end, self.text[start:end])

    def closest(self, quote: str) -> str:
        """The sentence of the source most like the quote (for the error message)."""
        import difflib

        wanted, _ = _normalise(quote.strip())
        best, best_ratio = "", 0.0
        for sentence in re.split(r"(?<=[.!?])\s+", self._normal):
            if abs(len(sentence) - len(wanted)) > max(40, len(wanted)):
                continue
            ratio = difflib.SequenceMatcher(None, wanted, sentence, autojunk=False).quick_ratio()
            if ratio > best_ratio:
                best, best_ratio = sentence, ratio
        return best if best_ratio >= 0.6 else ""


def _normalise(text: str) -> tuple[str, list[int]]:
    """Text with quote marks straightened and each line break (with its blanks) as one space.

    Returns the text and, for each of its characters, the index of the source character it came from.
    """
    out: list[str] = []
    where: list[int] = []
    position = 0
    for match in _BREAK.finditer(text):
        chunk = text[position : match.start()].translate(_QUOTE_MARKS)
        out.append(chunk)
        where.extend(range(position, match.start()))
        out.append(" ")
        where.append(match.start())
        position = match.end()
    out.append(text[position:].translate(_QUOTE_MARKS))
    where.extend(range(position, len(text)))
    return "".join(out), where
