"""How much of a source's body text the evidence records quote, sentence by sentence.

The sentence splitter is deterministic and deliberately simple, so that the figure it yields can be
recomputed by hand:

* The text is cut into paragraphs at blank lines. The first paragraph (the title), headings and
  keyword lines (one line, at most 12 words and no full stop), and a closing note wholly in
  parentheses (``(Originally published in Japanese. …)``) are not body text.
* A body paragraph is cut into sentences after ``.``, ``?`` or ``!`` (with any closing quotes or
  brackets that follow) when whitespace and then an upper-case letter, a digit or an opening quote
  come next. The essay has no abbreviations with full stops, so none are special-cased.
* A sentence's coverage is the share of its non-whitespace characters that lie inside the span
  ``[kg:startOffset, kg:endOffset)`` of at least one evidence record of the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kg.namespaces import PROVENANCE_GRAPH
from kg.resources import graph_dir
from kg.storage.protocol import GraphStore

DEFAULT_THRESHOLD = 0.8

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(r"[.?!][”’\"')\]]*(?=\s+[A-Z0-9“‘\"(])")
_HEADING_WORDS = 12


@dataclass(frozen=True)
class Sentence:
    """One body sentence: its text and its code-point offsets in the source."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class SentenceCoverage:
    """A body sentence and the share (0..1) of its non-whitespace characters quoted by evidence."""

    sentence: Sentence
    covered: float


@dataclass(frozen=True)
class CoverageReport:
    """Per-sentence coverage of one source and the share of sentences covered to the threshold."""

    source: str
    threshold: float
    sentences: tuple[SentenceCoverage, ...]

    @property
    def covered_sentences(self) -> int:
        return sum(1 for s in self.sentences if s.covered >= self.threshold)

    @property
    def share(self) -> float:
        return self.covered_sentences / len(self.sentences) if self.sentences else 1.0

    def uncovered(self) -> list[SentenceCoverage]:
        return [s for s in self.sentences if s.covered < self.threshold]


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans, position = [], 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        spans.append((position, match.start()))
        position = match.end()
    spans.append((position, len(text)))
    result = []
    for start, end in spans:
        chunk = text[start:end]
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            result.append((start + lead, start + lead + len(stripped)))
    return result


def _is_body(paragraph: str, first: bool) -> bool:
    if first:
        return False  # the title
    if "\n" not in paragraph and len(paragraph.split()) <= _HEADING_WORDS and "." not in paragraph:
        return False  # a heading or keyword line
    return not (paragraph.startswith("(") and paragraph.endswith(")"))  # a closing note


def body_sentences(text: str) -> list[Sentence]:
    """The body sentences of `text`, in order, with their offsets (see the module docstring)."""
    sentences = []
    for index, (start, end) in enumerate(_paragraphs(text)):
        paragraph = text[start:end]
        if not _is_body(paragraph, index == 0):
            continue
        cut = start
        for match in _SENTENCE_END.finditer(paragraph):
            stop = start + match.end()
            sentences.append(Sentence(cut, stop, text[cut:stop]))
            cut = stop + (len(text[stop:end]) - len(text[stop:end].lstrip()))
        if cut < end:
            sentences.append(Sentence(cut, end, text[cut:end]))
    return sentences


def sentence_coverage(text: str, spans: list[tuple[int, int]]) -> list[SentenceCoverage]:
    """Coverage of every body sentence of `text` by the half-open character spans."""
    quoted = bytearray(len(text))
    for start, end in spans:
        for i in range(max(start, 0), min(end, len(text))):
            quoted[i] = 1
    result = []
    for sentence in body_sentences(text):
        positions = [i for i in range(sentence.start, sentence.end) if not text[i].isspace()]
        share = sum(quoted[i] for i in positions) / len(positions) if positions else 1.0
        result.append(SentenceCoverage(sentence, share))
    return result


_EVIDENCE_SPANS = f"""
SELECT ?source ?copy ?start ?end WHERE {{
  GRAPH <{PROVENANCE_GRAPH}> {{
    ?e a kg:Evidence ; kg:source ?source ; kg:startOffset ?start ; kg:endOffset ?end .
  }}
  ?source kg:localCopy ?copy .
}}"""


def evidence_spans(store: GraphStore) -> dict[str, tuple[str, list[tuple[int, int]]]]:
    """Evidence spans by source IRI: (local copy path, [(start, end), ...])."""
    spans: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    for row in store.query(_EVIDENCE_SPANS):
        copy = row["copy"].value
        entry = spans.setdefault(row["source"].value, (copy, []))
        entry[1].append((int(row["start"].value), int(row["end"].value)))
    return spans


def coverage(
    store: GraphStore, source: str, *, threshold: float = DEFAULT_THRESHOLD, root: Path | None = None
) -> CoverageReport:
    """Per-sentence coverage of the source `source` (an IRI with a kg:localCopy) by its evidence."""
    copy, spans = evidence_spans(store).get(source, ("", []))
    if not copy:
        from kg.errors import UnknownEntityError

        raise UnknownEntityError(f"no evidence with offsets quotes a local copy of <{source}>", [])
    text = ((root or graph_dir()) / copy).read_text(encoding="utf-8")
    return CoverageReport(source, threshold, tuple(sentence_coverage(text, spans)))
