"""Write ontology/cameo.ttl, the CAMEO event taxonomy as a SKOS concept scheme.

The taxonomy is the CAMEO (Conflict and Mediation Event Observations) codebook of the Penn State /
Parus Analytics Event Data project (Schrodt, Gerner et al.; public domain), as used by GDELT, with
the Goldstein (1992) conflict-cooperation scale values GDELT attaches to each code.

Codes, labels and Goldstein values are read from a CAMEO code list in GDELT's layout (a
tab-separated file: code, description, Goldstein value), by default the shared reference list
`../shared/data/gdelt/cameo-codes.tsv`; that list is not copied into the project. Labels are
cleaned (spacing, capitals of the root codes, a few damaged entries fixed from the codebook), and
the codebook codes missing from the list are added (`SUPPLEMENT`) with the Goldstein value of
their parent code. Run it again only to regenerate the scheme:

    python scripts/make_cameo_scheme.py [CODES.tsv] > ontology/cameo.ttl
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

DEFAULT_LIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gdelt" / "cameo-codes.tsv"

# Labels of the list damaged or out of step with the CAMEO 1.1b3 codebook.
FIXES = {
    "0872": "Ease military blockade",
    "044": "Meet at a 'third' location",
    "1451": "Engage in violent protest for leadership change",
    "1452": "Engage in violent protest for policy change",
    "1453": "Engage in violent protest for rights",
    "1454": "Engage in violent protest for change in institutions, regime",
    "2041": "Use chemical, biological, or radiological weapons",
}

# CAMEO 1.1b3 codes absent from GDELT's list (GDELT does emit some, e.g. 0253, 116, 129).
SUPPLEMENT = {
    "0251": "Appeal for easing of administrative sanctions",
    "0252": "Appeal for easing of popular dissent",
    "0253": "Appeal for release of persons or property",
    "0254": "Appeal for easing of economic sanctions, boycott, or embargo",
    "0255": "Appeal for target to allow international involvement (non-mediation)",
    "0256": "Appeal for de-escalation of military engagement",
    "0313": "Express intent to cooperate on judicial matters",
    "0314": "Express intent to cooperate on intelligence",
    "1011": "Demand economic cooperation",
    "1012": "Demand military cooperation",
    "1013": "Demand judicial cooperation",
    "1014": "Demand intelligence cooperation",
    "1031": "Demand economic aid",
    "1032": "Demand military aid",
    "1033": "Demand humanitarian aid",
    "1034": "Demand military protection or peacekeeping",
    "1051": "Demand easing of administrative sanctions",
    "1052": "Demand easing of popular dissent",
    "1054": "Demand easing of economic sanctions, boycott, or embargo",
    "1055": "Demand that target allows international involvement (non-mediation)",
    "1056": "Demand de-escalation of military engagement",
    "116": "Find guilty or liable (legally)",
    "129": "Veto",
    "1221": "Reject request for economic aid",
    "1222": "Reject request for military aid",
    "1223": "Reject request for humanitarian aid",
    "1224": "Reject request for military protection or peacekeeping",
    "1241": "Refuse to ease administrative sanctions",
    "1242": "Refuse to ease popular dissent",
    "1243": "Refuse to release persons or property",
    "1244": "Refuse to ease economic sanctions, boycott, or embargo",
    "1245": "Refuse to allow international involvement (non-mediation)",
    "1246": "Refuse to de-escalate military engagement",
}

# GDELT's QuadClass of each root code: 1 verbal cooperation, 2 material cooperation,
# 3 verbal conflict, 4 material conflict.
QUAD_CLASS = {
    **dict.fromkeys(["01", "02", "03", "04", "05"], 1),
    **dict.fromkeys(["06", "07", "08"], 2),
    **dict.fromkeys(["09", "10", "11", "12", "13"], 3),
    **dict.fromkeys(["14", "15", "16", "17", "18", "19", "20"], 4),
}
QUAD_LABELS = {1: "verbal cooperation", 2: "material cooperation", 3: "verbal conflict", 4: "material conflict"}


def clean(label: str, code: str) -> str:
    label = FIXES.get(code, label)
    label = re.sub(r"\s+", " ", label.replace("\u201c", "'").replace("\u201d", "'")).strip()
    if label.isupper():
        label = label.capitalize()
    return label


def parent(code: str) -> str | None:
    return None if len(code) == 2 else code[:3] if len(code) == 4 else code[:2]


def read_list(path: Path) -> dict[str, tuple[str, str]]:
    codes: dict[str, tuple[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if not row or not row[0].strip().isdigit():
                continue  # header
            code = row[0].strip()
            codes[code] = (clean(row[1], code), f"{float(row[2]):.1f}")
    for code, label in SUPPLEMENT.items():
        if code not in codes:
            codes[code] = (label, codes[parent(code) or code][1])
    return codes


def literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def turtle(codes: dict[str, tuple[str, str]]) -> str:
    out = [
        "@prefix kg:      <https://w3id.org/kg-diplomacy/ontology#> .",
        "@prefix kgc:     <https://w3id.org/kg-diplomacy/concept/> .",
        "@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .",
        "",
        "# The CAMEO event taxonomy as a SKOS concept scheme, derived from the CAMEO codebook",
        "# (Conflict and Mediation Event Observations, Penn State / Parus Analytics Event Data project;",
        "# public domain) with GDELT's Goldstein scale values. Generated by scripts/make_cameo_scheme.py.",
        '# Codes are strings: kgc:cameo-010 (notation "010") is not kgc:cameo-10 ("10").',
        "",
        "kgc:cameo a skos:ConceptScheme ;",
        '    skos:prefLabel "CAMEO event codes"@en ;',
        '    skos:definition "The Conflict and Mediation Event Observations taxonomy of who-did-what-to-whom event'
        " types: 20 root codes (01 make public statement ... 20 use unconventional mass violence), their base"
        ' (3-digit) and sub (4-digit) codes, each with its Goldstein conflict-cooperation value."@en ;',
        '    dcterms:source "CAMEO codebook, Event Data project (Schrodt et al.), version 1.1b3; Goldstein (1992)'
        ' scale as published by GDELT" ;',
        "    dcterms:license <https://creativecommons.org/publicdomain/mark/1.0/> .",
        "",
        "kgc:quad-classes a skos:ConceptScheme ;",
        '    skos:prefLabel "GDELT quad classes"@en ;',
        '    skos:definition "The four coarse classes of CAMEO event types GDELT records as QuadClass."@en .',
        "",
    ]
    for number, label in QUAD_LABELS.items():
        out += [
            f"kgc:quad-class-{number} a skos:Concept ;",
            "    skos:inScheme kgc:quad-classes ; skos:topConceptOf kgc:quad-classes ;",
            f'    skos:notation "{number}" ;',
            f'    skos:prefLabel "{label}"@en ;',
            f'    rdfs:label "{label}"@en ;',
            f'    skos:definition "GDELT QuadClass {number}: CAMEO root codes classed as {label}."@en .',
            "",
        ]
    for code in sorted(codes):
        label, goldstein = codes[code]
        up = parent(code)
        lines = [f"kgc:cameo-{code} a skos:Concept ;", "    skos:inScheme kgc:cameo ;"]
        if up is None:
            lines.append("    skos:topConceptOf kgc:cameo ;")
            lines.append(f"    kg:quadClass kgc:quad-class-{QUAD_CLASS[code]} ;")
        else:
            lines.append(f"    skos:broader kgc:cameo-{up} ;")
        kind = "root code" if up is None else ("base code" if len(code) == 3 else "sub-code")
        lines += [
            f'    skos:notation "{code}" ;',
            f"    skos:prefLabel {literal(label)}@en ;",
            f"    rdfs:label {literal(label)}@en ;",
            f"    skos:definition {literal(f'CAMEO {kind} {code}: {label} (Goldstein value {goldstein}).')}@en ;",
            f'    kg:goldstein "{goldstein}"^^xsd:decimal .',
            "",
        ]
        out += lines
    return "\n".join(out)


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_LIST
    sys.stdout.write(turtle(read_list(source)))


if __name__ == "__main__":
    main()
