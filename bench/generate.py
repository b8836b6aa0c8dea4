"""Deterministic synthetic diplomatic graphs with the shape of the curated graph, for benchmarks.

The output uses the kg vocabulary and the evidence design of ``graph/README.md``: every few
facts live in a named graph ``<https://example.org/bench/evidence/N>`` whose ``kg:Evidence``
record (quote, source, offsets) lives in ``kgg:provenance``. Entities are
``<https://example.org/bench/resource/…>`` so a synthetic file never collides with the bundled
graph.

What is generated (counts scale with ``--triples``; share of the quads at 1M in brackets):

* states, their offices (head of state, foreign minister), persons (leaders) with nationality,
  office terms (holder, office, start/end date), organisations (companies, governments,
  government bodies, international organisations, parties, groups …), one court per state,
  places located in states [11% together];
* agreements (kg:Treaty, kg:JointStatement, … with 2–3 kg:party) [6%], disputes with a
  kg:category and kg:outlook [3%], events (kg:Summit, kg:Visit, kg:Dialogue,
  kg:MilitaryExercise, kg:PressConference) with a kg:date typed xsd:date / xsd:gYearMonth /
  xsd:gYear (60/25/15%), 2–4 participants in roles (kg:host, kg:guest, kg:visitor, kg:member,
  kg:speaker), a kg:place and kg:concerns a dispute or agreement [34%], rulings (kg:court,
  kg:date, parties, ordered action) [3%], claims (kg:claimant, kg:content, kg:claimType,
  kg:concerns) [14%]; an rdfs:label @en on everything;
* evidence: 1–3 entities per named graph, 5 statements per kg:Evidence record [29%].

The output conforms to the kg SHACL shapes (``kg validate --only FILE``).
Participation is skewed (a few states and leaders take part in many events), like real data.
The same seed and size always give byte-identical output. The file is written while it is
generated, so memory stays flat at any size.

Usage::

    python bench/generate.py --triples 1000000 -o bench/data/synthetic-1m.trig
    python bench/generate.py --triples 100k -o bench/data/synthetic-100k.nq   # N-Quads

or from Python::

    from bench.generate import generate
    stats = generate("bench/data/synthetic-1m.trig", triples=1_000_000)
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

RESOURCE = "https://example.org/bench/resource/"
EVIDENCE = "https://example.org/bench/evidence/"
PROVENANCE_GRAPH = "https://w3id.org/kg-diplomacy/graph/provenance"

NAMESPACES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
    "kg": "https://w3id.org/kg-diplomacy/ontology#",
    "kgc": "https://w3id.org/kg-diplomacy/concept/",
    "kgg": "https://w3id.org/kg-diplomacy/graph/",
    "bkr": RESOURCE,
    "bke": EVIDENCE,
}

# Entities per million triples. The "fixed" kinds are emitted first (everything else refers to
# them); the others are interleaved at random, so any prefix of the file has the same mix.
PER_MILLION = {
    "state": 200,
    "office": 400,  # two per state
    "court": 200,  # one per state
    "place": 4_000,
    "person": 12_000,
    "organization": 8_000,
    "term": 6_000,
    "dispute": 4_500,
    "agreement": 9_500,
    "event": 46_000,
    "ruling": 3_500,
    "claim": 19_000,
}
MINIMUM = {
    "state": 8,
    "place": 10,
    "person": 20,
    "organization": 10,
    "term": 10,
    "dispute": 5,
    "agreement": 5,
    "event": 20,
    "ruling": 3,
    "claim": 10,
}
# Measured quads per million planned (data + evidence); used to scale the plan to --triples.
QUADS_PER_UNIT = 988_800
FIXED_KINDS = ("state", "office", "court", "place", "person", "organization")
MIXED_KINDS = ("term", "dispute", "agreement", "event", "ruling", "claim")

EVENT_TYPES = ("Summit", "Visit", "Dialogue", "MilitaryExercise", "PressConference")
EVENT_WEIGHTS = (3, 3, 4, 1, 2)
AGREEMENT_TYPES = ("Treaty", "JointStatement", "JointDeclaration", "Arrangement", "SecurityAgreement", "Fund")
AGREEMENT_WEIGHTS = (2, 5, 2, 3, 2, 1)
ORG_TYPES = (
    "Company",
    "Government",
    "GovernmentBody",
    "InternationalOrganization",
    "BusinessFederation",
    "PoliticalParty",
    "MilitaryUnit",
    "Group",
)
ORG_WEIGHTS = (5, 1, 3, 1, 1, 1, 1, 2)
CATEGORIES = ("historical", "trade", "security", "environmental", "heritage", "legal", "economic")
OUTLOOKS = ("active", "looming", "settled")
CLAIM_TYPES = ("assertion", "demand", "pledge", "rejection", "denunciation", "praise", "doubt", "complaint")

SYLLABLES = (
    "ka",
    "lo",
    "mer",
    "an",
    "dri",
    "vo",
    "sel",
    "ta",
    "ri",
    "no",
    "pa",
    "zu",
    "ven",
    "hal",
    "mi",
    "tor",
    "ea",
    "sun",
    "bel",
    "gra",
    "os",
    "li",
    "kur",
    "dan",
)
GIVEN = (
    "Arin",
    "Bora",
    "Chen",
    "Dalia",
    "Emil",
    "Farah",
    "Goran",
    "Hana",
    "Ivo",
    "Jun",
    "Kenji",
    "Lena",
    "Min",
    "Nadia",
    "Omar",
    "Petra",
    "Quan",
    "Rosa",
    "Sami",
    "Tomas",
    "Una",
    "Viktor",
    "Wen",
    "Yuki",
    "Zara",
)
WORDS = (
    "the",
    "government",
    "minister",
    "talks",
    "agreed",
    "to",
    "resume",
    "bilateral",
    "cooperation",
    "on",
    "security",
    "trade",
    "and",
    "historical",
    "issues",
    "after",
    "years",
    "of",
    "friction",
    "both",
    "sides",
    "pledged",
    "a",
    "new",
    "framework",
    "for",
    "dialogue",
    "summit",
    "leaders",
    "welcomed",
    "the",
    "ruling",
    "court",
    "ordered",
    "compensation",
    "export",
    "controls",
    "were",
    "lifted",
    "in",
    "exchange",
    "visit",
    "president",
    "prime",
    "announced",
    "plan",
    "fund",
    "victims",
    "relations",
    "improved",
    "sharply",
)
TOPICS = (
    "maritime boundaries",
    "export controls",
    "wartime labour",
    "fisheries",
    "energy supply",
    "semiconductor materials",
    "missile tests",
    "heritage listing",
    "treated water",
    "visa waivers",
    "intelligence sharing",
    "tariffs",
    "student exchanges",
    "air defence",
)


@dataclass
class GenerateStats:
    """What a call to `generate` wrote."""

    path: str
    format: str
    quads: int = 0
    graphs: int = 0
    evidence_records: int = 0
    entities: dict[str, int] = field(default_factory=dict)
    seed: int = 0
    target: int = 0
    seconds: float = 0.0
    bytes: int = 0


def plan(triples: int) -> dict[str, int]:
    """How many entities of each kind to generate for about `triples` quads."""
    factor = triples / QUADS_PER_UNIT
    counts = {}
    for kind, per_million in PER_MILLION.items():
        counts[kind] = max(MINIMUM.get(kind, 1), round(per_million * factor))
    counts["office"] = 2 * counts["state"]
    counts["court"] = counts["state"]
    return counts


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class _Writer:
    """Renders terms and writes one graph at a time, as TriG (prefixed names) or N-Quads."""

    def __init__(self, out: IO[str], fmt: str):
        self.out = out
        self.trig = fmt == "trig"
        self.quads = 0
        if self.trig:
            for prefix, namespace in NAMESPACES.items():
                out.write(f"@prefix {prefix}: <{namespace}> .\n")
            out.write("\n")

    def iri(self, prefix: str, local: str) -> str:
        return f"{prefix}:{local}" if self.trig else f"<{NAMESPACES[prefix]}{local}>"

    def text(self, value: str, lang: str | None = None) -> str:
        return f'"{_escape(value)}"' + (f"@{lang}" if lang else "")

    def typed(self, value: str, datatype: str) -> str:
        return f'"{value}"^^' + self.iri("xsd", datatype)

    def integer(self, value: int) -> str:
        return str(value) if self.trig else f'"{value}"^^<{NAMESPACES["xsd"]}integer>'

    def graph(self, name: str, subjects: list[tuple[str, list[tuple[str, str]]]]) -> int:
        """Write the statements of one named graph; returns how many."""
        count = 0
        if self.trig:
            parts = [f"{name} {{\n"]
            for subject, pairs in subjects:
                body = " ;\n        ".join(f"{p} {o}" for p, o in pairs)
                parts.append(f"    {subject} {body} .\n")
                count += len(pairs)
            parts.append("}\n")
            self.out.write("".join(parts))
        else:
            lines: list[str] = []
            for subject, pairs in subjects:
                lines.extend(f"{subject} {p} {o} {name} .\n" for p, o in pairs)
                count += len(pairs)
            self.out.write("".join(lines))
        self.quads += count
        return count


class _Generator:
    def __init__(self, writer: _Writer, counts: dict[str, int], seed: int):
        self.w = writer
        self.n = counts
        self.rng = random.Random(seed)
        self.graphs = 0
        self.sources = max(1, (counts["event"] + counts["claim"]) // 400)
        self.offsets = [0] * self.sources
        w = writer
        self.rdf_type = "a" if w.trig else w.iri("rdf", "type")
        self.label = w.iri("rdfs", "label")
        self.prov = w.iri("kgg", "provenance")
        self.p = {
            name: w.iri("kg", name)
            for name in (
                "party",
                "signatory",
                "date",
                "startDate",
                "endDate",
                "place",
                "concerns",
                "category",
                "outlook",
                "disputant",
                "court",
                "plaintiff",
                "defendant",
                "orderedParty",
                "orderedAction",
                "claimant",
                "addressee",
                "content",
                "claimType",
                "madeAt",
                "nationality",
                "governmentOf",
                "officeOf",
                "holder",
                "office",
                "locatedIn",
                "commitment",
                "aimsToResolve",
                "subject",
                "host",
                "guest",
                "visitor",
                "member",
                "speaker",
                "quote",
                "source",
                "startOffset",
                "endOffset",
                "memberOf",
            )
        }
        self.c = {
            name: w.iri("kg", name)
            for name in (
                *EVENT_TYPES,
                *AGREEMENT_TYPES,
                *ORG_TYPES,
                "State",
                "Person",
                "Office",
                "OfficeTerm",
                "Court",
                "Place",
                "Dispute",
                "Ruling",
                "Claim",
                "Evidence",
                "Source",
            )
        }

    # -- helpers -------------------------------------------------------------------------

    def res(self, kind: str, index: int) -> str:
        return self.w.iri("bkr", f"{kind}-{index}")

    def pick(self, kind: str, skew: float = 2.0) -> int:
        """An index of `kind`, skewed towards low indexes (hubs) when skew > 1."""
        return min(self.n[kind] - 1, int(self.n[kind] * self.rng.random() ** skew))

    def actor(self) -> str:
        roll = self.rng.random()
        if roll < 0.4:
            return self.res("state", self.pick("state"))
        if roll < 0.8:
            return self.res("person", self.pick("person"))
        return self.res("organization", self.pick("organization", 1.5))

    def party(self) -> str:
        """A state or an organisation: persons sign agreements but are never parties (graph/README.md)."""
        if self.rng.random() < 0.67:
            return self.res("state", self.pick("state"))
        return self.res("organization", self.pick("organization", 1.5))

    def parties(self, count: int) -> list[str]:
        chosen: list[str] = []
        while len(chosen) < count:
            candidate = self.party()
            if candidate not in chosen:
                chosen.append(candidate)
        return chosen

    def actors(self, count: int) -> list[str]:
        chosen: list[str] = []
        while len(chosen) < count:
            candidate = self.actor()
            if candidate not in chosen:
                chosen.append(candidate)
        return chosen

    def name(self, index: int, parts: int = 2) -> str:
        rng = random.Random(index * 7919 + parts)
        return "".join(rng.choice(SYLLABLES) for _ in range(parts + rng.randrange(2))).capitalize()

    def state_name(self, index: int) -> str:
        return f"Republic of {self.name(index, 2)}"

    def person_name(self, index: int) -> str:
        return f"{GIVEN[index % len(GIVEN)]} {self.name(index, 3)}"

    def date(self, start: int = 1990, end: int = 2024) -> tuple[str, str]:
        """A (lexical form, datatype) with the precision mix of the curated graph."""
        year = self.rng.randint(start, end)
        roll = self.rng.random()
        if roll < 0.15:
            return f"{year}", "gYear"
        month = self.rng.randint(1, 12)
        if roll < 0.40:
            return f"{year}-{month:02d}", "gYearMonth"
        return f"{year}-{month:02d}-{self.rng.randint(1, 28):02d}", "date"

    def typed_date(self, start: int = 1990, end: int = 2024) -> str:
        value, datatype = self.date(start, end)
        return self.w.typed(value, datatype)

    def sentence(self, low: int = 12, high: int = 30) -> str:
        words = [self.rng.choice(WORDS) for _ in range(self.rng.randint(low, high))]
        return " ".join(words).capitalize() + "."

    def en(self, text: str) -> str:
        return self.w.text(text, "en")

    # -- entities ------------------------------------------------------------------------

    def entity(self, kind: str, i: int) -> tuple[str, list[tuple[str, str]]]:
        build: Callable[[int], tuple[str, list[tuple[str, str]]]] = getattr(self, f"_{kind}")
        return build(i)

    def _state(self, i: int) -> tuple[str, list[tuple[str, str]]]:
        return self.res("state", i), [(self.rdf_type, self.c["State"]), (self.label, self.en(self.state_name(i)))]

    def _office(self, i: int) -> tuple[str, list[tuple[str, str]]]:
        state = i // 2
        title = "Head of state" if i % 2 == 0 else "Foreign minister"
        return self.res("office", i), [
            (self.rdf_type, self.c["Office"]),
            (self.label, self.en(f"{title} of the {self.state_name(state)}")),
            (self.p["officeOf"], self.res("state", state)),
        ]

    def _court(self, i: int) -> tuple[str, list[tuple[str, str]]]:
        return self.res("court", i), [
            (self.rdf_type, self.c["Court"]),
            (self.label, self.en(f"Supreme Court of the {self.state_name(i)}")),
            (self.p["governmentOf"], self.res("state", i)),
        ]

    def _place(self, i: int) -> tuple[str, list[tuple[str, str]]]:
        return self.res("place", i), [
            (self.rdf_type, self.c["Place"]),
            (self.label, self.en(f"{self.name(i + 100_000, 2)} City")),
            (self.p["locatedIn"], self.res("state", self.pick("state", 1.5))),
        ]

    def _person(self, i: int) -> tuple[str, list[tuple[str, str]]]:
        return self.res("person", i), [
            (self.rdf_type, self.c["Person"]),
            (self.label, self.en(self.person_name(i))),
            (self.p["nationality"], self.res("state", self.pick("state", 1.5))),
        ]

    def _organization(self, i: int) -> tuple[str, list[tuple[str, str]]]:
        kind = self.rng.choices(ORG_TYPES, ORG_WEIGHTS)[0]
        state = self.res("state", self.pick("state", 1.5))
        pairs = [(self.rdf_type, self.c[kind]), (self.label, self.en(f"{self.name(i + 200_000, 2)} {kind}"))]
        if kind in ("Government", "GovernmentBody"):
            pairs.append((self.p["governmentOf"], state))
        elif kind == "InternationalOrganization":
            pairs.append((self.p["memberOf"], state))  # not quite right, but a link of the shape
        else:
            pairs.append((self.p["nationality"], state))
        return self.res("organization", i), pairs

    def _term(self, i: int) -> tuple[str, list[tuple[str, str]]]:
        person = self.pick("person", 1.3)
        office = self.rng.randrange(self.n["office"])
        start = self.rng.randint(1990, 2022)
        pairs = [
            (self.rdf_type, self.c["OfficeTerm"]),
            (self.label, self.en(f"{self.person_name(person)} as office holder {office}")),
            (self.p["holder"], self.res("person", person)),
            (self.p["office"], self.res("office", office)),
            (self.p["startDate"], self.typed_date(start, start)),
        ]
        if self.rng.random() < 0.6:
            pairs.append((self.p["endDate"], self.typed_date(start + 1, min(2024, start + 6))))
        return self.res("term", i), pairs

    def _dispute(self, i: int) -> tuple[str, list[tuple[str, str]]]:
        first, second = self.rng.sample(range(self.n["state"]), 2)
        topic = self.rng.choice(TOPICS)
        pairs = [
            (self.rdf_type, self.c["Dispute"]),
            (self.label, self.en(f"Dispute over {topic} ({i})")),
            (self.p["category"], self.w.iri("kgc", self.rng.choice(CATEGORIES))),
            (self.p["outlook"], self.w.iri("kgc", self.rng.choice(OUTLOOKS))),
            (self.p["disputant"], self.res("state", first)),
            (self.p["disputant"], self.res("state", second)),
        ]
        if self.rng.random() < 0.3:
            pairs.append((self.p["concerns"], self.res("place", self.pick("place", 1))))
        return self.res("dispute", i), pairs

    def _agreement(self, i: int) -> tuple[str, list[tuple[str, str]]]:
        kind = self.rng.choices(AGREEMENT_TYPES, AGREEMENT_WEIGHTS)[0]
        parties = self.parties(self.rng.randint(2, 3))
        pairs = [(self.rdf_type, self.c[kind]), (self.label, self.en(f"{kind} on {self.rng.choice(TOPICS)} ({i})"))]
        pairs += [(self.p["party"], party) for party in parties]
        pairs.append((self.p["date"], self.typed_date()))
        if self.rng.random() < 0.5:
            pairs.append((self.p["commitment"], self.en(self.sentence(6, 14))))
        if self.rng.random() < 0.3:
            pairs.append((self.p["aimsToResolve"], self.res("dispute", self.pick("dispute", 1))))
        if self.rng.random() < 0.4:
            pairs.append((self.p["signatory"], self.res("person", self.pick("person"))))
        return self.res("agreement", i), pairs

    def _event(self, i: int) -> tuple[str, list[tuple[str, str]]]:
        kind = self.rng.choices(EVENT_TYPES, EVENT_WEIGHTS)[0]
        people = self.actors(self.rng.randint(2, 4))
        if kind == "Summit":
            roles = ["host"] + ["guest"] * (len(people) - 1)
        elif kind == "Visit":
            roles = ["visitor", "host"] + ["guest"] * (len(people) - 2)
        elif kind == "PressConference":
            roles = ["speaker"] * len(people)
        else:
            roles = ["member"] * len(people)
        value, datatype = self.date()
        pairs = [
            (self.rdf_type, self.c[kind]),
            (self.label, self.en(f"{kind} {i} of {value}")),
            (self.p["date"], self.w.typed(value, datatype)),
        ]
        pairs += [(self.p[role], person) for role, person in zip(roles, people, strict=True)]
        if self.rng.random() < 0.8:
            pairs.append((self.p["place"], self.res("place", self.pick("place", 1.5))))
        roll = self.rng.random()
        if roll < 0.35:
            pairs.append((self.p["concerns"], self.res("dispute", self.pick("dispute", 1.5))))
        elif roll < 0.6:
            pairs.append((self.p["concerns"], self.res("agreement", self.pick("agreement", 1))))
        return self.res("event", i), pairs

    def _ruling(self, i: int) -> tuple[str, list[tuple[str, str]]]:
        court = self.pick("court", 1.5)
        pairs = [
            (self.rdf_type, self.c["Ruling"]),
            (self.label, self.en(f"Ruling {i} of the Supreme Court of the {self.state_name(court)}")),
            (self.p["court"], self.res("court", court)),
            (self.p["date"], self.typed_date()),
            (self.p["plaintiff"], self.actor()),
            (self.p["defendant"], self.res("organization", self.pick("organization", 1))),
        ]
        if self.rng.random() < 0.7:
            pairs.append((self.p["orderedParty"], pairs[-1][1]))
            pairs.append((self.p["orderedAction"], self.en(self.sentence(5, 10))))
        if self.rng.random() < 0.5:
            pairs.append((self.p["concerns"], self.res("dispute", self.pick("dispute", 1))))
        return self.res("ruling", i), pairs

    def _claim(self, i: int) -> tuple[str, list[tuple[str, str]]]:
        claimant = self.actor()
        claim_type = self.rng.choice(CLAIM_TYPES)
        pairs = [
            (self.rdf_type, self.c["Claim"]),
            (self.label, self.en(f"Claim {i}: {claim_type} about {self.rng.choice(TOPICS)}")),
            (self.p["claimType"], self.w.iri("kgc", claim_type)),
            (self.p["claimant"], claimant),
            (self.p["content"], self.en(self.sentence(8, 20))),
        ]
        target = self.rng.choice(("event", "agreement", "dispute", "ruling"))
        pairs.append((self.p["concerns"], self.res(target, self.pick(target, 1.2))))
        if self.rng.random() < 0.6:
            pairs.append((self.p["date"], self.typed_date()))
        if self.rng.random() < 0.3:
            pairs.append((self.p["madeAt"], self.res("event", self.pick("event", 1))))
        if self.rng.random() < 0.3:
            pairs.append((self.p["addressee"], self.actor()))
        return self.res("claim", i), pairs

    # -- evidence --------------------------------------------------------------------------

    def write_sources(self) -> None:
        subjects = []
        for i in range(self.sources):
            subjects.append(
                (
                    self.res("source", i),
                    [
                        (self.rdf_type, self.c["Source"]),
                        (self.label, self.en(f"Synthetic source document {i}")),
                        (self.w.iri("dcterms", "title"), self.w.text(f"Synthetic source {i}")),
                    ],
                )
            )
        self.w.graph(self.prov, subjects)

    def write_evidence(self, subjects: list[tuple[str, list[tuple[str, str]]]]) -> None:
        number = self.graphs
        self.graphs += 1
        name = self.w.iri("bke", str(number))
        source = self.rng.randrange(self.sources)
        quote = self.sentence()
        start = self.offsets[source]
        end = start + len(quote)
        self.offsets[source] = end + 1
        self.w.graph(
            self.prov,
            [
                (
                    name,
                    [
                        (self.rdf_type, self.c["Evidence"]),
                        (self.p["source"], self.res("source", source)),
                        (self.p["quote"], self.w.text(quote)),
                        (self.p["startOffset"], self.w.integer(start)),
                        (self.p["endOffset"], self.w.integer(end)),
                    ],
                )
            ],
        )
        self.w.graph(name, subjects)

    def sequence(self) -> Iterator[tuple[str, int]]:
        """Every (kind, index) to generate: the fixed kinds in order, then the rest interleaved."""
        for kind in FIXED_KINDS:
            for i in range(self.n[kind]):
                yield kind, i
        remaining = {kind: self.n[kind] for kind in MIXED_KINDS}
        done = dict.fromkeys(MIXED_KINDS, 0)
        total = sum(remaining.values())
        order = random.Random(self.rng.random())
        while total:
            pick = order.randrange(total)
            for kind in MIXED_KINDS:
                if pick < remaining[kind]:
                    break
                pick -= remaining[kind]
            yield kind, done[kind]
            done[kind] += 1
            remaining[kind] -= 1
            total -= 1

    def run(self) -> None:
        self.write_sources()
        group: list[tuple[str, list[tuple[str, str]]]] = []
        size = self.rng.randint(1, 3)
        for kind, index in self.sequence():
            group.append(self.entity(kind, index))
            if len(group) >= size:
                self.write_evidence(group)
                group = []
                size = self.rng.randint(1, 3)
        if group:
            self.write_evidence(group)


def _format_of(path: str | Path | None, fmt: str | None) -> str:
    if fmt:
        return {"nq": "nquads", "n-quads": "nquads"}.get(fmt, fmt)
    if path is not None and str(path).endswith(".nq"):
        return "nquads"
    return "trig"


def generate(
    out: str | Path | IO[str],
    triples: int = 1_000_000,
    *,
    seed: int = 20230316,
    fmt: str | None = None,
) -> GenerateStats:
    """Write a synthetic graph of about `triples` quads to `out` (a path or a text stream).

    The format is TriG unless `fmt` is "nquads" or the path ends in ``.nq``. Returns counts of
    what was written (exact quads, named graphs, evidence records, entities by kind).
    """
    started = time.perf_counter()
    path = Path(out) if isinstance(out, (str, Path)) else None
    fmt = _format_of(path, fmt)
    if fmt not in ("trig", "nquads"):
        raise ValueError(f"unknown format {fmt!r} (trig or nquads)")
    counts = plan(triples)
    with contextlib.ExitStack() as stack:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            stream: IO[str] = stack.enter_context(open(path, "w", encoding="utf-8", newline="\n", buffering=1 << 20))
        else:
            assert not isinstance(out, (str, Path))
            stream = out
        writer = _Writer(stream, fmt)
        generator = _Generator(writer, counts, seed)
        generator.run()
    return GenerateStats(
        path=str(path) if path else "<stream>",
        format=fmt,
        quads=writer.quads,
        graphs=generator.graphs + 1,  # the evidence graphs and kgg:provenance
        evidence_records=generator.graphs,
        entities=counts,
        seed=seed,
        target=triples,
        seconds=time.perf_counter() - started,
        bytes=path.stat().st_size if path else 0,
    )


def parse_size(text: str) -> int:
    """'1000000', '1M', '100k', '1.5m' -> an integer."""
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    return round(float(number) * scale)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", default="1M", help="about how many quads (e.g. 10k, 100k, 1M, 10M)")
    parser.add_argument("-o", "--output", required=True, help="file to write (.trig or .nq)")
    parser.add_argument("--seed", type=int, default=20230316)
    parser.add_argument("--format", choices=["trig", "nquads"], help="default: from the file name")
    args = parser.parse_args(argv)
    stats = generate(args.output, parse_size(args.triples), seed=args.seed, fmt=args.format)
    print(
        f"{stats.path}: {stats.quads} quads in {stats.graphs} graphs "
        f"({stats.evidence_records} evidence records), {stats.bytes / 1e6:.1f} MB, "
        f"{stats.format}, seed {stats.seed}, {stats.seconds:.1f} s",
        file=sys.stderr,
    )
    print(stats.quads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
