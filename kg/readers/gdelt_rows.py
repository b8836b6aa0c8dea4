"""GDELT event files -> kg statements: rows, filters, the mapping to N-Quads, and a report.

Three file forms are read, one row at a time (memory stays flat however large the file):

- the GDELT 2.0 event export: tab-separated, no header, 61 columns (``*.export.CSV[.zip]``);
- the GDELT 1.0 daily files: tab-separated, no header, 57 columns (58 with SOURCEURL);
- CSV exports with a header row (BigQuery form; extra columns such as CAMEOCodeDescription are
  ignored), comma- or tab-separated.

Each kept row becomes one kg:Event (IRI from its GLOBALEVENTID, so importing twice adds nothing)
whose statements sit in a named graph of their own; that graph's record in kgg:provenance is a
kg:MachineCodedEvidence naming the source article (SOURCEURL) and holding no quote.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import hashlib
import io
import itertools
import math
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from kg.errors import InputFileError
from kg.namespaces import INFERRED_GRAPH, KG, KGC, KGR, PROVENANCE_GRAPH, RDF, RDFS, XSD
from kg.readers.cameo import ROOT_CODES, actor_description, actor_key, country_of_place, event_codes, hierarchy

SCHEMA = "https://schema.org/"
GDELT_EVIDENCE = "https://w3id.org/kg-diplomacy/evidence/gdelt/"
CAMEO_SOURCE = f"<{KGR}source-cameo-codebook>"
GDELT_SOURCE = f"<{KGR}source-gdelt>"

_ACTOR = [
    "Code",
    "Name",
    "CountryCode",
    "KnownGroupCode",
    "EthnicCode",
    "Religion1Code",
    "Religion2Code",
    "Type1Code",
    "Type2Code",
    "Type3Code",
]
_GEO2 = ["Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID"]
_GEO1 = [c for c in _GEO2 if c != "ADM2Code"]
_EVENT = [
    "IsRootEvent",
    "EventCode",
    "EventBaseCode",
    "EventRootCode",
    "QuadClass",
    "GoldsteinScale",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "AvgTone",
]


def _columns(geo: list[str]) -> list[str]:
    return [
        "GLOBALEVENTID",
        "SQLDATE",
        "MonthYear",
        "Year",
        "FractionDate",
        *(f"Actor1{c}" for c in _ACTOR),
        *(f"Actor2{c}" for c in _ACTOR),
        *_EVENT,
        *(f"Actor1Geo_{c}" for c in geo),
        *(f"Actor2Geo_{c}" for c in geo),
        *(f"ActionGeo_{c}" for c in geo),
        "DATEADDED",
    ]


# Column layouts of the header-less forms, by column count.
LAYOUTS: dict[int, list[str]] = {
    61: [*_columns(_GEO2), "SOURCEURL"],  # GDELT 2.0 export
    58: [*_columns(_GEO1), "SOURCEURL"],  # GDELT 1.0 daily, April 2013 on
    57: _columns(_GEO1),  # GDELT 1.0 daily, before April 2013
}
FORM_NAMES = {61: "GDELT 2.0 export", 58: "GDELT 1.0 daily", 57: "GDELT 1.0 daily (no SOURCEURL)"}

# The columns the mapping reads.
USED = [
    "GLOBALEVENTID",
    "SQLDATE",
    "Actor1Code",
    "Actor1Name",
    "Actor1CountryCode",
    "Actor1Type1Code",
    "Actor2Code",
    "Actor2Name",
    "Actor2CountryCode",
    "Actor2Type1Code",
    "EventCode",
    "EventRootCode",
    "QuadClass",
    "GoldsteinScale",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "AvgTone",
    "ActionGeo_Type",
    "ActionGeo_FullName",
    "ActionGeo_CountryCode",
    "ActionGeo_Lat",
    "ActionGeo_Long",
    "ActionGeo_FeatureID",
    "SOURCEURL",
]
REQUIRED = [c for c in USED if c != "SOURCEURL"]


@dataclass(slots=True)
class GdeltEvent:
    """One parsed, checked event row."""

    event_id: str
    date: datetime.date
    code: str
    root: str
    quad_class: int
    goldstein: str
    mentions: int
    sources: int
    articles: int
    tone: float
    actor1: tuple[str, str, str, str]  # code, name, country, type1
    actor2: tuple[str, str, str, str]
    geo: tuple[str, str, str, str, str, str]  # type, name, country, lat, long, feature id
    url: str


@dataclass(frozen=True)
class Skipped:
    """A row that was not imported because it is malformed."""

    file: str
    line: int
    reason: str

    def text(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class ImportReport:
    """What an import read, kept, filtered out and skipped (with reasons)."""

    files: list[str] = field(default_factory=list)
    forms: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0
    kept: int = 0
    filtered: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    quads_added: int = 0
    events_added: int = 0
    seconds: float = 0.0

    @property
    def skip_reasons(self) -> dict[str, int]:
        return dict(Counter(s.reason.split(":")[0] for s in self.skipped))


@dataclass(frozen=True)
class EventFilter:
    """Which events to keep; an empty setting keeps everything. Dyads match in either direction."""

    actor_countries: frozenset[str] = frozenset()
    dyads: frozenset[tuple[str, str]] = frozenset()
    since: datetime.date | None = None
    until: datetime.date | None = None
    root_codes: frozenset[str] = frozenset()

    def keeps(self, event: GdeltEvent) -> bool:
        if self.since is not None and event.date < self.since:
            return False
        if self.until is not None and event.date > self.until:
            return False
        if self.root_codes and event.root not in self.root_codes:
            return False
        first, second = event.actor1[2], event.actor2[2]
        if self.actor_countries and first not in self.actor_countries and second not in self.actor_countries:
            return False
        return not self.dyads or (first, second) in self.dyads or (second, first) in self.dyads


def parse_filter(
    actor_countries: str | None = None,
    dyads: Iterable[str] = (),
    since: str | None = None,
    until: str | None = None,
    root_codes: str | None = None,
) -> EventFilter:
    """Build a filter from the command-line forms ("JPN,KOR", "JPN:KOR", "2017-06-01", "03,04,14")."""
    from kg.errors import KgError

    def countries(text: str, option: str) -> list[str]:
        codes = [c.strip().upper() for c in text.split(",") if c.strip()]
        for code in codes:
            if not re.fullmatch(r"[A-Z]{3}", code):
                raise KgError(f"{option}: {code!r} is not a CAMEO country code (three letters, e.g. JPN)")
        return codes

    pairs = set()
    for dyad in dyads:
        first, sep, second = dyad.partition(":")
        if not sep:
            raise KgError(f"--dyad: {dyad!r} is not A:B (e.g. JPN:KOR)")
        (a,), (b,) = countries(first, "--dyad"), countries(second, "--dyad")
        pairs.add((a, b))
    roots = [c.strip() for c in (root_codes or "").split(",") if c.strip()]
    for code in roots:
        if code not in ROOT_CODES:
            raise KgError(f"--root-codes: {code!r} is not a CAMEO root code (two digits, 01 to 20)")
    return EventFilter(
        actor_countries=frozenset(countries(actor_countries or "", "--actor-country")),
        dyads=frozenset(pairs),
        since=_user_date(since, "--since"),
        until=_user_date(until, "--until", end=True),
        root_codes=frozenset(roots),
    )


def _user_date(text: str | None, option: str, end: bool = False) -> datetime.date | None:
    """YYYY, YYYY-MM or YYYY-MM-DD; a year or month stands for its first (or, with `end`, last) day."""
    if not text:
        return None
    from kg.errors import KgError

    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text.strip())
    try:
        if match is None:
            raise ValueError
        year, month, day = int(match[1]), int(match[2] or (12 if end else 1)), match[3]
        if day is not None:
            return datetime.date(year, month, int(day))
        if not end:
            return datetime.date(year, month, 1)
        following = datetime.date(year + month // 12, month % 12 + 1, 1)
        return following - datetime.timedelta(days=1)
    except ValueError:
        raise KgError(f"{option}: {text!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)") from None


# ---------------------------------------------------------------------------------------------
# Reading rows


class Progress:
    """Bytes read so far out of the total, for a progress bar (the CLI shows it on a terminal)."""

    def __init__(self, total: int, callback: Callable[[int], None] | None) -> None:
        self.total, self.done, self.callback = total, 0, callback

    def advance(self, count: int) -> None:
        self.done += count
        if self.callback is not None:
            self.callback(count)


@contextlib.contextmanager
def _open_text(path: Path) -> Iterator[tuple[IO[str], IO[bytes]]]:
    """The text of a file, or of the only CSV member of a .zip; also the raw byte stream."""
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist() if not m.endswith("/")]
                if len(members) != 1:
                    raise InputFileError(str(path), f"a GDELT .zip holds one file; this one holds {len(members)}")
                with archive.open(members[0]) as raw:
                    yield io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=""), raw
        else:
            with path.open("rb") as raw:
                yield io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=""), raw
    except zipfile.BadZipFile:
        raise InputFileError(str(path), "not a valid .zip file") from None
    except FileNotFoundError:
        raise InputFileError(str(path), "no such file") from None
    except IsADirectoryError:
        raise InputFileError(str(path), "is a folder, not a file") from None
    except PermissionError:
        raise InputFileError(str(path), "permission denied") from None


def input_size(path: Path) -> int:
    """Bytes a progress bar counts for the file (uncompressed size for a .zip)."""
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                return sum(info.file_size for info in archive.infolist())
        return path.stat().st_size
    except (OSError, zipfile.BadZipFile):
        return 0


def read_rows(
    path: Path, report: ImportReport, progress: Progress | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """(1-based line number, the used columns by name) for each row with the right column count.

    Rows with a wrong column count (or longer than MAX_LINE characters) are added to
    `report.skipped`; blank lines are ignored. Progress advances by the bytes consumed.
    """
    name = str(path)
    with _open_text(path) as (text, raw):
        lines = _lines(name, text, report)
        first = next(lines, (0, ""))[1]
        if not first.strip():
            report.forms[name] = "empty"
            return
        if first.lstrip("\ufeff").upper().startswith("GLOBALEVENTID"):
            rows = _header_rows(name, first, lines, report)
        else:
            rows = _raw_rows(name, first, lines, report)
        done = 0
        for count, row in enumerate(rows):
            if progress is not None and count % 4096 == 0:
                position = raw.tell()
                progress.advance(position - done)
                done = position
            yield row
        if progress is not None:
            progress.advance(input_size(path) - done)


MAX_LINE = 1 << 20  # characters; a GDELT row is well under 4,000


def _lines(name: str, text: IO[str], report: ImportReport) -> Iterator[tuple[int, str]]:
    """(line number, line) of the file, never holding more than MAX_LINE characters of one line."""
    number = 0
    while True:
        line = text.readline(MAX_LINE)
        if not line:
            return
        number += 1
        if len(line) == MAX_LINE and not line.endswith("\n"):
            while line and not line.endswith("\n"):
                line = text.readline(MAX_LINE)
            report.rows_read += 1
            report.skipped.append(Skipped(name, number, f"line longer than {MAX_LINE} characters"))
            continue
        yield number, line


def _header_rows(
    name: str, first: str, lines: Iterator[tuple[int, str]], report: ImportReport
) -> Iterator[tuple[int, dict[str, str]]]:
    delimiter = "\t" if "\t" in first else ","
    header = next(csv.reader([first], delimiter=delimiter))
    header = [h.strip().lstrip("\ufeff") for h in header]
    index = {h.upper(): i for i, h in enumerate(header)}
    missing = [c for c in REQUIRED if c.upper() not in index]
    if missing:
        raise InputFileError(name, "header row lacks the GDELT column(s) " + ", ".join(missing), 1)
    positions = [(c, index.get(c.upper())) for c in USED]
    width = len(header)
    report.forms[name] = f"CSV with a header row ({width} columns)"
    first_line = [0]  # number of the first line of the record being read

    def feed() -> Iterator[str]:
        for number, line in lines:
            if not first_line[0]:
                first_line[0] = number
            yield line

    reader = csv.reader(feed(), delimiter=delimiter)
    while True:
        first_line[0] = 0
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # a field over csv.field_size_limit(), a NUL byte
            raise InputFileError(name, f"unreadable CSV row: {error}", first_line[0] or None) from None
        if not fields or fields == [""]:
            continue
        report.rows_read += 1
        if len(fields) != width:
            report.skipped.append(Skipped(name, first_line[0], f"wrong column count: {len(fields)}, expected {width}"))
            continue
        yield first_line[0], {c: (fields[i] if i is not None else "") for c, i in positions}


def _raw_rows(
    name: str, first: str, lines: Iterator[tuple[int, str]], report: ImportReport
) -> Iterator[tuple[int, dict[str, str]]]:
    expected: int | None = None
    positions: list[tuple[str, int | None]] = []
    for number, raw_line in itertools.chain([(1, first)], lines):
        line = raw_line.rstrip("\r\n")
        if not line:
            continue
        fields = line.split("\t")
        report.rows_read += 1
        if expected is None and len(fields) in LAYOUTS:
            expected = len(fields)
            layout = {c: i for i, c in enumerate(LAYOUTS[expected])}
            positions = [(c, layout.get(c)) for c in USED]
            report.forms[name] = FORM_NAMES[expected]
        if len(fields) != expected:
            wanted = expected if expected is not None else "61 (GDELT 2.0), 57 or 58 (GDELT 1.0)"
            report.skipped.append(Skipped(name, number, f"wrong column count: {len(fields)}, expected {wanted}"))
            continue
        yield number, {c: (fields[i] if i is not None else "") for c, i in positions}
    report.forms.setdefault(name, "unrecognised (no row has 57, 58 or 61 tab-separated columns)")


_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
_CODE = re.compile(r"[A-Z0-9]{0,15}")


def parse_event(row: dict[str, str]) -> GdeltEvent:
    """Check and convert one row's used columns; raises ValueError naming the faulty column."""
    event_id = row["GLOBALEVENTID"].strip()
    if not event_id.isdigit() or not event_id.isascii():
        raise ValueError(f"GLOBALEVENTID {event_id!r} is not a number")
    sqldate = row["SQLDATE"].strip()
    try:
        if len(sqldate) != 8 or not sqldate.isdigit():
            raise ValueError
        date = datetime.date(int(sqldate[:4]), int(sqldate[4:6]), int(sqldate[6:]))
    except ValueError:
        raise ValueError(f"impossible date: SQLDATE {sqldate!r}") from None
    code = row["EventCode"].strip()
    if code not in event_codes():
        raise ValueError(f"unknown CAMEO event code: EventCode {code!r}")
    quad = row["QuadClass"].strip()
    if quad not in ("1", "2", "3", "4"):
        raise ValueError(f"non-numeric or unknown QuadClass {quad!r} (1 to 4)")
    goldstein = row["GoldsteinScale"].strip()
    if not _DECIMAL.fullmatch(goldstein) or not -10 <= float(goldstein) <= 10:
        raise ValueError(f"non-numeric Goldstein value {goldstein!r} (a number from -10 to 10)")
    counts = []
    for column in ("NumMentions", "NumSources", "NumArticles"):
        value = row[column].strip()
        if not _INTEGER.fullmatch(value) or value.startswith("-"):
            raise ValueError(f"non-numeric count: {column} {value!r}")
        counts.append(int(value))
    try:
        tone = float(row["AvgTone"])
        if not math.isfinite(tone):
            raise ValueError
    except ValueError:
        raise ValueError(f"non-numeric AvgTone {row['AvgTone']!r}") from None
    actors = []
    for n in ("1", "2"):
        codes = [row[f"Actor{n}{c}"].strip().upper() for c in ("Code", "CountryCode", "Type1Code")]
        if not all(_CODE.fullmatch(c) for c in codes):
            raise ValueError(f"malformed actor code in Actor{n}Code/CountryCode/Type1Code: {codes!r}")
        actors.append((codes[0], row[f"Actor{n}Name"].strip(), codes[1], codes[2]))
    if not actors[0][0] and not actors[1][0]:
        raise ValueError("no actor: Actor1Code and Actor2Code are both empty")
    geo = tuple(row[f"ActionGeo_{c}"].strip() for c in ("Type", "FullName", "CountryCode", "Lat", "Long", "FeatureID"))
    return GdeltEvent(
        event_id=event_id,
        date=date,
        code=code,
        root=code[:2],
        quad_class=int(quad),
        goldstein=goldstein,
        mentions=counts[0],
        sources=counts[1],
        articles=counts[2],
        tone=tone,
        actor1=actors[0],
        actor2=actors[1],
        geo=geo,  # type: ignore[arg-type]
        url=row["SOURCEURL"].strip(),
    )


def read_events(
    paths: Iterable[Path],
    event_filter: EventFilter | None = None,
    report: ImportReport | None = None,
    progress: Progress | None = None,
) -> Iterator[GdeltEvent]:
    """The kept events of the files, in file order; counts and malformed rows go to `report`."""
    report = report if report is not None else ImportReport()
    event_filter = event_filter or EventFilter()
    for path in paths:
        report.files.append(str(path))
        for line, row in read_rows(path, report, progress):
            try:
                event = parse_event(row)
            except ValueError as error:
                report.skipped.append(Skipped(str(path), line, str(error)))
                continue
            if event_filter.keeps(event):
                report.kept += 1
                yield event
            else:
                report.filtered += 1


# ---------------------------------------------------------------------------------------------
# Mapping to N-Quads


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


_SAFE = re.compile(r"[A-Za-z0-9-]{1,40}")


class EventMapper:
    """Turns events into N-Quads text; resolves actors to existing entities by CAMEO code.

    `known_actors` maps CAMEO actor codes ("JPN", "JPNGOV") to IRIs of entities already in the
    graph (annotated with kg:cameoActorCode); any other actor is created once, with an IRI from its
    code, and reused by every later event. Created actors and places are described once per import,
    each in a machine-coded evidence graph of its own (the CAMEO codebook, GDELT's gazetteer).
    """

    def __init__(self, known_actors: dict[str, str] | None = None) -> None:
        self.known = dict(known_actors or {})
        self._actors: dict[str, str] = {}
        self._places: dict[str, str] = {}
        self._sources_described = False
        codes = event_codes()
        self._code_labels = {code: c.label for code, c in codes.items()}
        p = {
            name: f"<{KG}{name}>"
            for name in (
                "date",
                "eventCode",
                "quadClass",
                "goldstein",
                "numMentions",
                "numSources",
                "numArticles",
                "avgTone",
                "gdeltEventId",
                "agent",
                "recipient",
                "place",
                "cameoActorCode",
                "cameoCountry",
                "source",
            )
        }
        self._p = p
        self._type = f"<{RDF}type>"
        self._label = f"<{RDFS}label>"
        self._provenance = f"<{PROVENANCE_GRAPH}>"
        self._inferred = f"<{INFERRED_GRAPH}>"
        supers, super_properties = hierarchy()
        # The statements a build derives into kgg:inferred for what the import writes: superclass
        # types (a kg:State is a kg:Actor) and kg super-properties (a kg:agent is a kg:participant).
        self._supers = {
            cls: "".join(f"\x00 {self._type} <{s}> {self._inferred} .\n" for s in sorted(found - {KG + "Evidence"}))
            for cls, found in supers.items()
        }
        self._super_properties = {
            prop: "".join(f"\x00 <{s}> \x01 {self._inferred} .\n" for s in sorted(found))
            for prop, found in super_properties.items()
        }

    def _types(self, iri: str, cls: str) -> str:
        """`iri a cls`'s derived superclass types, in kgg:inferred."""
        return self._supers.get(cls, "").replace("\x00", iri)

    def _role(self, subject: str, prop: str, obj: str, graph: str) -> str:
        """`subject prop obj` in `graph`, and its kg super-properties in kgg:inferred."""
        derived = self._super_properties.get(prop, "")
        return f"{subject} <{prop}> {obj} {graph} .\n" + derived.replace("\x00", subject).replace("\x01", obj)

    def _record(self, graph: str, source: str) -> str:
        return (
            f"{graph} {self._type} <{KG}Evidence> {self._provenance} .\n"
            f"{graph} {self._type} <{KG}MachineCodedEvidence> {self._provenance} .\n"
            f"{graph} {self._p['source']} {source} {self._provenance} .\n"
            + self._types(graph, KG + "MachineCodedEvidence")
        )

    def _sources(self) -> str:
        """The two sources of the descriptions of created actors and places, described once."""
        if self._sources_described:
            return ""
        self._sources_described = True
        out = []
        for source, label, url in (
            (
                CAMEO_SOURCE,
                "CAMEO codebook (Event Data project): actor country and type codes",
                "https://parusanalytics.com/eventdata/data.dir/cameo.html",
            ),
            (GDELT_SOURCE, "GDELT event database: action geography", "https://www.gdeltproject.org/"),
        ):
            out.append(
                f"{source} {self._type} <{KG}Source> {self._provenance} .\n"
                f"{source} {self._label} {_literal(label)}@en {self._provenance} .\n"
                f'{source} <{SCHEMA}url> "{url}"^^<{XSD}anyURI> {self._provenance} .\n'
                + self._types(source, KG + "Source")
            )
        out.append(  # what kgg:inferred is (as the build records it)
            f"{self._inferred} {self._type} <{KG}InferredStatements> {self._provenance} .\n"
            f'{self._inferred} {self._label} "Inferred statements"@en {self._provenance} .\n'
            + self._types(self._inferred, KG + "InferredStatements")
        )
        return "".join(out)

    def actor(self, actor: tuple[str, str, str, str]) -> tuple[str, str]:
        """(IRI, statements to add the first time) of an event's actor."""
        code, _name, country, type_code = actor
        key = actor_key(country, type_code, code)
        iri = self._actors.get(key)
        if iri is not None:
            return iri, ""
        known = self.known.get(key)
        if known is not None:
            self._actors[key] = known
            return known, ""
        local = key.lower() if _SAFE.fullmatch(key) else hashlib.sha1(key.encode()).hexdigest()[:16]
        iri = f"<{KGR}cameo-actor-{local}>"
        graph = f"<{GDELT_EVIDENCE}actor/{local}>"
        label, kind = actor_description(country, type_code, code)
        statements = (
            f"{iri} {self._type} <{KG}{kind}> {graph} .\n"
            f"{iri} {self._label} {_literal(label)}@en {graph} .\n"
            f"{iri} {self._p['cameoActorCode']} {_literal(key)} {graph} .\n" + self._types(iri, KG + kind)
        )
        if country:
            statements += f"{iri} {self._p['cameoCountry']} {_literal(country)} {graph} .\n"
        self._actors[key] = iri
        return iri, self._sources() + statements + self._record(graph, CAMEO_SOURCE)

    def place(self, geo: tuple[str, str, str, str, str, str]) -> tuple[str, str]:
        """(IRI, statements to add the first time) of an event's action place; ("", "") if none.

        The place lies in (kg:locatedIn) the state its name ends with; a place whose country is not
        recognised is left out rather than left dangling.
        """
        kind, name, _country, lat, long, feature = geo
        if kind in ("", "0") or not (name or feature):
            return "", ""
        local = feature if _SAFE.fullmatch(feature) else hashlib.sha1((feature or name).encode()).hexdigest()[:16]
        iri = self._places.get(local)
        if iri is not None:
            return iri, ""
        country = country_of_place(name)
        if country is None:
            self._places[local] = ""
            return "", ""
        state, state_statements = self.actor((country, "", country, ""))
        iri = f"<{KGR}gdelt-place-{local}>"
        graph = f"<{GDELT_EVIDENCE}place/{local}>"
        text = (
            f"{iri} {self._type} <{KG}Place> {graph} .\n"
            f"{iri} {self._label} {_literal(name or feature)}@en {graph} .\n"
            + self._role(iri, KG + "locatedIn", state, graph)
            + self._types(iri, KG + "Place")
        )
        if _DECIMAL.fullmatch(lat) and _DECIMAL.fullmatch(long):
            text += (
                f'{iri} <{SCHEMA}latitude> "{lat}"^^<{XSD}decimal> {graph} .\n'
                f'{iri} <{SCHEMA}longitude> "{long}"^^<{XSD}decimal> {graph} .\n'
            )
        self._places[local] = iri
        return iri, state_statements + self._sources() + text + self._record(graph, GDELT_SOURCE)

    def nquads(self, event: GdeltEvent) -> str:
        """The N-Quads of one event: its graph of statements and its evidence record."""
        p = self._p
        graph = f"<{GDELT_EVIDENCE}{event.event_id}>"
        e = f"<{KGR}gdelt-event-{event.event_id}>"
        names = [a[1] or a[0] for a in (event.actor1, event.actor2) if a[0]]
        label = f"{self._code_labels[event.code]}: {' → '.join(names)} ({event.date.isoformat()})"
        out = [
            f"{e} {self._type} <{KG}Event> {graph} .\n",
            self._types(e, KG + "Event"),
            f"{e} {self._label} {_literal(label)}@en {graph} .\n",
            f'{e} {p["date"]} "{event.date.isoformat()}"^^<{XSD}date> {graph} .\n',
            f"{e} {p['eventCode']} <{KGC}cameo-{event.code}> {graph} .\n",
            f"{e} {p['quadClass']} <{KGC}quad-class-{event.quad_class}> {graph} .\n",
            f'{e} {p["goldstein"]} "{event.goldstein}"^^<{XSD}decimal> {graph} .\n',
            f'{e} {p["numMentions"]} "{event.mentions}"^^<{XSD}integer> {graph} .\n',
            f'{e} {p["numSources"]} "{event.sources}"^^<{XSD}integer> {graph} .\n',
            f'{e} {p["numArticles"]} "{event.articles}"^^<{XSD}integer> {graph} .\n',
            f'{e} {p["avgTone"]} "{event.tone!r}"^^<{XSD}double> {graph} .\n',
            f'{e} {p["gdeltEventId"]} "{event.event_id}" {graph} .\n',
        ]
        for actor, role in ((event.actor1, "agent"), (event.actor2, "recipient")):
            if actor[0]:
                iri, statements = self.actor(actor)
                out.append(self._role(e, KG + role, iri, graph))
                out.append(statements)
        place, statements = self.place(event.geo)
        if place:
            out.append(self._role(e, KG + "place", place, graph))
            out.append(statements)
        out.append(
            f"{graph} {self._type} <{KG}Evidence> {self._provenance} .\n"
            f"{graph} {self._type} <{KG}MachineCodedEvidence> {self._provenance} .\n"
            + self._types(graph, KG + "MachineCodedEvidence")
        )
        if event.url:
            source = f"<{KGR}gdelt-source-{hashlib.sha1(event.url.encode()).hexdigest()[:20]}>"
            out.append(
                f"{graph} {p['source']} {source} {self._provenance} .\n"
                f"{source} {self._type} <{KG}Source> {self._provenance} .\n"
                f"{source} <{SCHEMA}url> {_literal(event.url)}^^<{XSD}anyURI> {self._provenance} .\n"
                + self._types(source, KG + "Source")
            )
        return "".join(out)


def event_quads(event: GdeltEvent, mapper: EventMapper | None = None) -> list[object]:
    """The pyoxigraph quads of one event (for notebooks and tests; imports stream N-Quads text)."""
    import pyoxigraph as ox

    text = (mapper or EventMapper()).nquads(event)
    return list(ox.parse(input=text.encode("utf-8"), format=ox.RdfFormat.N_QUADS))


class NQuadsStream(io.RawIOBase):
    """A read-only byte stream of the N-Quads of `events`, produced as the store's loader reads it."""

    def __init__(self, events: Iterable[GdeltEvent], mapper: EventMapper, batch: int = 2000) -> None:
        self._events = iter(events)
        self.error: BaseException | None = None  # what stopped the stream, re-raised by the importer
        self._mapper = mapper
        self._batch = batch
        self._buffer = b""
        self._position = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._position >= len(self._buffer) and not self._done:
            chunk = []
            try:
                for _ in range(self._batch):
                    event = next(self._events, None)
                    if event is None:
                        self._done = True
                        break
                    chunk.append(self._mapper.nquads(event))
            except BaseException as error:
                self.error = error
                raise
            self._buffer, self._position = "".join(chunk).encode("utf-8"), 0
        size = min(len(target), len(self._buffer) - self._position)
        target[:size] = self._buffer[self._position : self._position + size]
        self._position += size
        return size
