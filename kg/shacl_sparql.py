"""SHACL shapes compiled to SPARQL queries, run by Oxigraph over the store itself.

pySHACL (kg.validate's reference engine) walks an rdflib copy of the data focus node by focus
node; here each constraint of each shape becomes one SELECT that returns only the focus nodes
(and value nodes) that break it, so validation costs a few scans of the store.

Supported: targets (class with rdfs:subClassOf*, node, subjectsOf, objectsOf), property paths
(predicate, inverse, sequence, alternative, zero-or-more, one-or-more, zero-or-one),
sh:class, sh:datatype, sh:nodeKind, sh:minCount/maxCount, sh:min/maxInclusive/Exclusive,
sh:min/maxLength, sh:pattern, sh:languageIn, sh:in, sh:hasValue, sh:node, sh:or/and/not/xone,
sh:qualifiedValueShape with sh:qualifiedMinCount/MaxCount, and SPARQL-based constraints
(sh:sparql with sh:select, pre-bound $this and $PATH). A shape using anything else raises
kg.errors.ShapeNotCompiled (the caller then falls back to pySHACL).

Results carry the same focus node, path, message, severity and value as pySHACL's report for
the same data (tests/test_validation_engines.py checks it on every shape and broken fixture).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from itertools import count
from pathlib import Path
from typing import Any, NamedTuple

import pyoxigraph as ox

from kg.errors import ShapeNotCompiled
from kg.namespaces import PREFIXES, RDF, RDFS, XSD, shorten

SH = "http://www.w3.org/ns/shacl#"
_TYPE = RDF + "type"

# Shapes-graph predicates that describe rather than constrain.
_DESCRIPTIVE = {
    _TYPE,
    RDFS + "label",
    RDFS + "comment",
    RDFS + "seeAlso",
    RDFS + "isDefinedBy",
    *(
        SH + name
        for name in (
            "message",
            "severity",
            "name",
            "description",
            "order",
            "group",
            "defaultValue",
            "path",
            "property",
            "deactivated",
            "declare",
            "prefixes",
            "targetClass",
            "targetNode",
            "targetSubjectsOf",
            "targetObjectsOf",
            "qualifiedMinCount",
            "qualifiedMaxCount",
            "qualifiedValueShapesDisjoint",
            "flags",
            "sparql",
        )
    ),
}
_NODE_KINDS = {
    "IRI": "isIRI({v})",
    "BlankNode": "isBlank({v})",
    "Literal": "isLiteral({v})",
    "BlankNodeOrIRI": "(isBlank({v}) || isIRI({v}))",
    "BlankNodeOrLiteral": "(isBlank({v}) || isLiteral({v}))",
    "IRIOrLiteral": "(isIRI({v}) || isLiteral({v}))",
}
# Datatypes whose lexical form Oxigraph can check with a cast (an ill-formed literal fails).
_CASTABLE = {XSD + t for t in ("integer", "decimal", "double", "float", "boolean", "date", "dateTime", "time")}
_ONLY_NOT_EXISTS = re.compile(r"\s*FILTER\s+NOT\s+EXISTS\s*\{(.*)\}\s*\}(\s*)$", re.IGNORECASE | re.DOTALL)
_CLASS_MARK = "\0class"  # ends the default message of sh:class conditions (checked by MINUS)
_COMPARISONS = {"minInclusive": ">=", "maxInclusive": "<=", "minExclusive": ">", "maxExclusive": "<"}


@dataclass(frozen=True)
class Result:
    """One validation result, as pySHACL would report it."""

    focus: Any  # an ox.NamedNode, ox.BlankNode or ox.Literal
    path: str  # "-" when the result has no sh:resultPath
    message: str
    severity: str
    value: Any = None


@dataclass(frozen=True)
class Check:
    """One compiled constraint: a SELECT whose rows (?this, optionally ?value/?path) are results."""

    sparql: str
    path: str
    message: str
    severity: str
    value_is_focus: bool = False
    # (variable, message): the query binds each variable to whether one condition holds; a row
    # gives a result for each condition that does not (several conditions, one pass).
    flags: tuple[tuple[str, str], ...] = ()


class _ShapesGraph:
    """The shapes as an index of (subject, predicate IRI) → objects."""

    def __init__(self, triples: Iterator[Any]) -> None:
        self.index: dict[tuple[Any, str], list[Any]] = defaultdict(list)
        self.subjects: dict[Any, list[str]] = defaultdict(list)
        for triple in triples:
            self.index[(triple.subject, triple.predicate.value)].append(triple.object)
            self.subjects[triple.subject].append(triple.predicate.value)

    def values(self, node: Any, predicate: str) -> list[Any]:
        return self.index.get((node, predicate), [])

    def value(self, node: Any, predicate: str) -> Any:
        found = self.values(node, predicate)
        return found[0] if found else None

    def items(self, head: Any) -> list[Any]:
        """The members of an RDF list."""
        members = []
        while head is not None and not (isinstance(head, ox.NamedNode) and head.value == RDF + "nil"):
            members.append(self.value(head, RDF + "first"))
            head = self.value(head, RDF + "rest")
        return members


def term(node: Any) -> str:
    """A term in SPARQL syntax."""
    if isinstance(node, ox.BlankNode):
        raise ShapeNotCompiled(f"a blank node {node} used as a constant")
    return str(node)


class Compiler:
    """Compiles every active shape with a target into Checks."""

    def __init__(self, shapes: _ShapesGraph, virtual: dict[str, str] | None = None) -> None:
        self.g = shapes
        self._names = count()
        # Predicates defined by a graph pattern rather than stored: IRI -> template with {s}, {o}
        # and {u} (a suffix that keeps the template's own variables apart).
        self.virtual = {f"<{iri}>": template for iri, template in (virtual or {}).items()}

    def tp(self, s: str, path: str, o: str) -> str:
        """The triple pattern `s path o .`, with a virtual predicate replaced by its definition."""
        if path in self.virtual:
            return self.virtual[path].format(s=s, o=o, u=next(self._names))
        if any(iri in path for iri in self.virtual):
            raise ShapeNotCompiled(f"a derived property inside the path {path}")
        return f"{s} {path} {o} ."

    def _var(self) -> str:
        return f"?_v{next(self._names)}"

    # --- paths -----------------------------------------------------------------------------
    def path(self, node: Any) -> str:
        """The SHACL path `node` as a SPARQL property path."""
        if isinstance(node, ox.NamedNode):
            return term(node)
        g = self.g
        if g.value(node, RDF + "first") is not None:
            return "(" + "/".join(self.path(p) for p in g.items(node)) + ")"
        for predicate, template in (
            ("alternativePath", None),
            ("inversePath", "^{}"),
            ("zeroOrMorePath", "{}*"),
            ("oneOrMorePath", "{}+"),
            ("zeroOrOnePath", "{}?"),
        ):
            inner = g.value(node, SH + predicate)
            if inner is None:
                continue
            if template is None:
                return "(" + "|".join(self.path(p) for p in g.items(inner)) + ")"
            return "(" + template.format(self.path(inner)) + ")"
        raise ShapeNotCompiled(f"unsupported path {node}")

    def path_text(self, node: Any) -> str:
        """The path as kg.validate prints it (prefixed names; alternatives joined by ' | ')."""
        if isinstance(node, ox.NamedNode):
            return shorten(node.value)
        alternatives = self.g.value(node, SH + "alternativePath")
        if alternatives is not None:
            return " | ".join(self.path_text(p) for p in self.g.items(alternatives))
        return re.sub(r"<([^>]+)>", lambda m: shorten(m.group(1)), self.path(node))

    # --- targets ---------------------------------------------------------------------------
    def target(self, shape: Any) -> str | None:
        """A group pattern binding ?this to every focus node of `shape`, or None without targets."""
        g = self.g
        parts = [f"?this rdf:type/rdfs:subClassOf* {term(c)} ." for c in g.values(shape, SH + "targetClass")]
        if {t.value for t in g.values(shape, _TYPE) if isinstance(t, ox.NamedNode)} & {
            RDFS + "Class",
            "http://www.w3.org/2002/07/owl#Class",
        }:
            parts.append(f"?this rdf:type/rdfs:subClassOf* {term(shape)} .")
        nodes = g.values(shape, SH + "targetNode")
        if nodes:
            parts.append("VALUES ?this { " + " ".join(term(n) for n in nodes) + " }")
        parts += [self.tp("?this", term(p), self._var()) for p in g.values(shape, SH + "targetSubjectsOf")]
        parts += [self.tp(self._var(), term(p), "?this") for p in g.values(shape, SH + "targetObjectsOf")]
        if not parts:
            return None
        return " UNION ".join("{ " + p + " }" for p in parts)

    # --- boolean conditions on one node --------------------------------------------------------
    def value_conditions(self, shape: Any, v: str) -> list[tuple[str, str]]:
        """(condition that `v` satisfies, default message) for each value-node component of `shape`."""
        g = self.g
        found: list[tuple[str, str]] = []
        self._check_known(shape)
        classes = g.values(shape, SH + "class")
        if classes:
            cond = " && ".join(f"EXISTS {{ {v} rdf:type/rdfs:subClassOf* {term(c)} }}" for c in classes)
            found.append((cond, f"Value does not have class {_show(classes[0])}" + _CLASS_MARK))
        for datatype in g.values(shape, SH + "datatype"):
            cond = f"(isLiteral({v}) && sameTerm(datatype({v}), {term(datatype)}))"
            if datatype.value in _CASTABLE:
                cond = f"({cond} && !isBlank(COALESCE({term(datatype)}(STR({v})), BNODE())))"
            if datatype.value == RDF + "langString":
                cond = f'(isLiteral({v}) && lang({v}) != "")'
            found.append((cond, f"Value is not Literal with datatype {_show(datatype)}"))
        for kind in g.values(shape, SH + "nodeKind"):
            local = kind.value.removeprefix(SH)
            if local not in _NODE_KINDS:
                raise ShapeNotCompiled(f"unknown sh:nodeKind {kind}")
            found.append((_NODE_KINDS[local].format(v=v), f"Value is not of Node Kind {_show(kind)}"))
        for name, operator in _COMPARISONS.items():
            for bound in g.values(shape, SH + name):
                cond = f"COALESCE({v} {operator} {term(bound)}, false)"
                found.append((cond, f"Value is not {operator} {_show(bound)}"))
        for name, operator in (("minLength", ">="), ("maxLength", "<=")):
            for length in g.values(shape, SH + name):
                cond = f"(!isBlank({v}) && STRLEN(STR({v})) {operator} {int(length.value)})"
                found.append((cond, f"String length not {operator} {_show(length)}"))
        for pattern in g.values(shape, SH + "pattern"):
            flags = g.value(shape, SH + "flags")
            args = f"{term(ox.Literal(pattern.value))}" + (f", {term(ox.Literal(flags.value))}" if flags else "")
            found.append(
                (f"(!isBlank({v}) && REGEX(STR({v}), {args}))", f"Value does not match pattern '{pattern.value}'")
            )
        for languages in g.values(shape, SH + "languageIn"):
            tags = [t.value for t in g.items(languages)]
            cond = " || ".join(f"langMatches(lang({v}), {term(ox.Literal(t))})" for t in tags) or "false"
            found.append((f"(isLiteral({v}) && COALESCE({cond}, false))", f"String language is not in {tags}"))
        for members in g.values(shape, SH + "in"):
            items = g.items(members)
            cond = " || ".join(f"sameTerm({v}, {term(i)})" for i in items) or "false"
            found.append((f"({cond})", f"Value {v} not in list {[str(i) for i in items]}"))
        for node_shape in g.values(shape, SH + "node"):
            found.append((self.conforms(node_shape, v), f"Value does not conform to Shape {_show(node_shape)}"))
        for name, combine in (("or", "||"), ("and", "&&"), ("xone", None), ("not", None)):
            for value in g.values(shape, SH + name):
                if name == "not":
                    found.append(
                        (f"!({self.conforms(value, v)})", f"Node {v} must not conform to shape {_show(value)}")
                    )
                    continue
                members = [self.conforms(m, v) for m in g.items(value)]
                if combine is None:  # exactly one
                    sums = " + ".join(f"IF({m}, 1, 0)" for m in members) or "0"
                    cond = f"(({sums}) = 1)"
                else:
                    cond = (
                        "("
                        + (f" {combine} ".join(f"({m})" for m in members) or ("false" if name == "or" else "true"))
                        + ")"
                    )
                word = {"or": "one or more shapes in", "and": "all shapes in", "xone": "exactly one shape in"}[name]
                found.append((cond, f"Node {v} must conform to {word} {[_show(m) for m in g.items(value)]}"))
        return found

    def conforms(self, shape: Any, v: str, top: bool = False) -> str:
        """A SPARQL expression: true when the node in `v` conforms to `shape`.

        `top`: the shape's own SPARQL constraints are left out (they run as queries of their own).
        """
        g = self.g
        if g.values(shape, SH + "sparql") and not top:
            raise ShapeNotCompiled("SPARQL constraints inside sh:node/sh:or/sh:qualifiedValueShape")
        path = g.value(shape, SH + "path")
        parts: list[str] = []
        if path is None:
            parts += [cond for cond, _ in self.value_conditions(shape, v)]
            parts += [f"sameTerm({v}, {term(c)})" for c in g.values(shape, SH + "hasValue")]
        else:
            parts += self.property_conditions(shape, v)
        for member in g.values(shape, SH + "property"):
            if not _deactivated(g, member):
                parts += self.property_conditions(member, v)
        return " && ".join(f"({p})" for p in parts) or "true"

    def property_conditions(self, shape: Any, v: str) -> list[str]:
        """Conditions on the focus node in `v` for the property shape `shape`."""
        g = self.g
        path = self.path(g.value(shape, SH + "path"))
        parts = []
        for minimum in g.values(shape, SH + "minCount"):
            parts.append(self._at_least(v, path, int(minimum.value)))
        for maximum in g.values(shape, SH + "maxCount"):
            parts.append("!" + self._at_least(v, path, int(maximum.value) + 1))
        for constant in g.values(shape, SH + "hasValue"):
            parts.append(f"EXISTS {{ {self.tp(v, path, term(constant))} }}")
        x = self._var()
        conditions = [cond for cond, _ in self.value_conditions(shape, x)]
        if conditions:  # one look-up of the values for all their conditions
            parts.append(f"NOT EXISTS {{ {self.tp(v, path, x)} FILTER(!({' && '.join(conditions)})) }}")
        for qualified in g.values(shape, SH + "qualifiedValueShape"):
            for name, negate, extra in (("qualifiedMinCount", "", 0), ("qualifiedMaxCount", "!", 1)):
                for number in g.values(shape, SH + name):
                    parts.append(negate + self._at_least(v, path, int(number.value) + extra, qualified))
        for member in g.values(shape, SH + "property"):
            y = self._var()
            parts.append(f"NOT EXISTS {{ {self.tp(v, path, y)} FILTER(!({self.conforms(member, y)})) }}")
        return parts

    def _at_least(self, v: str, path: str, n: int, shape: Any = None) -> str:
        """An expression: `v` has at least n distinct values on `path` (conforming to `shape`)."""
        if n <= 0:
            return "true"
        names = [self._var() for _ in range(n)]
        body = " ".join(self.tp(v, path, x) for x in names)
        conditions = [f"!sameTerm({a}, {b})" for i, a in enumerate(names) for b in names[i + 1 :]]
        if shape is not None:
            conditions += [self.conforms(shape, x) for x in names]
        where = f" FILTER({' && '.join(conditions)})" if conditions else ""
        return f"EXISTS {{ {body}{where} }}"

    def _check_known(self, shape: Any) -> None:
        for predicate in self.g.subjects.get(shape, []):
            if (
                predicate.startswith(SH)
                and predicate not in _DESCRIPTIVE
                and predicate.removeprefix(SH) not in _SUPPORTED
            ):
                raise ShapeNotCompiled(f"sh:{predicate.removeprefix(SH)} is not compiled")

    # --- top-level checks ----------------------------------------------------------------------
    def checks(self) -> list[Check]:
        """The checks of every active shape with a target."""
        g = self.g
        found: list[Check] = []
        shapes = {s for (s, p) in g.index if p.startswith(SH + "target")}
        node_shapes = {s for s in g.subjects if ox.NamedNode(SH + "NodeShape") in g.values(s, _TYPE)}
        shapes |= {s for s in node_shapes if self.target(s) is not None}
        for shape in sorted(shapes, key=str):
            if _deactivated(g, shape):
                continue
            target = self.target(shape)
            if target is not None:
                found += self.shape_checks(shape, target)
        return found

    def shape_checks(self, shape: Any, target: str) -> list[Check]:
        g = self.g
        severity = _severity(g, shape)
        message = _message(g, shape)
        path_node = g.value(shape, SH + "path")
        found: list[Check] = []
        if path_node is None:
            found += self._value_checks(shape, target, "", "-", message, severity)
            for constant in g.values(shape, SH + "hasValue"):
                query = f"SELECT DISTINCT ?this WHERE {{ {target} FILTER(!sameTerm(?this, {term(constant)})) }}"
                found.append(Check(query, "-", message or f"Value is not {_show(constant)}", severity, True))
        else:
            found += self._property_checks(shape, target, message, severity)
        for constraint in g.values(shape, SH + "sparql"):
            found.append(self._sparql_check(shape, constraint, target, message, severity))
        for member in g.values(shape, SH + "property"):
            if not _deactivated(g, member):
                found += self.shape_checks(member, target)
        return found

    def _value_checks(
        self, shape: Any, target: str, values: str, path: str, message: str | None, severity: str
    ) -> list[Check]:
        """Checks of the value-node conditions; `values` binds ?value from ?this ("" = the focus)."""
        v = "?value" if values else "?this"
        found: list[Check] = []
        flags: list[tuple[str, str]] = []
        binds: list[str] = []
        for cond, default in self.value_conditions(shape, v):
            if default.endswith(_CLASS_MARK):
                # Set-based: an anti-join against all instances (a look-up per value node is
                # several times slower on the on-disk store).
                classes = self.g.values(shape, SH + "class")
                minus = " UNION ".join(
                    f"{{ {{ {target} {values} }} MINUS {{ {v} rdf:type/rdfs:subClassOf* {term(c)} }} }}"
                    for c in classes
                )
                query = f"SELECT DISTINCT ?this {v if values else ''} WHERE {{ {minus} }}"
                text = message or default.removesuffix(_CLASS_MARK)
                found.append(Check(query, path, text, severity, not values))
                continue
            flag = f"?_ok{len(flags)}"
            binds.append(f"BIND(COALESCE({cond}, false) AS {flag})")
            flags.append((flag[1:], message or default))
        if flags:
            failing = " || ".join(f"!{flag}" for flag, _ in (("?" + f, m) for f, m in flags))
            names = " ".join("?" + f for f, _ in flags)
            query = (
                f"SELECT DISTINCT ?this {v if values else ''} {names} WHERE {{ {target} {values} "
                f"{' '.join(binds)} FILTER({failing}) }}"
            )
            found.append(Check(query, path, "", severity, not values, tuple(flags)))
        return found

    def _property_checks(self, shape: Any, target: str, message: str | None, severity: str) -> list[Check]:
        g = self.g
        path_node = g.value(shape, SH + "path")
        path, text = self.path(path_node), self.path_text(path_node)
        found = []
        for minimum in g.values(shape, SH + "minCount"):
            n = int(minimum.value)
            if n == 1:
                query = (
                    f"SELECT DISTINCT ?this WHERE {{ {{ {target} }} MINUS {{ {self.tp('?this', path, '?value')} }} }}"
                )
            else:
                query = (
                    f"SELECT ?this WHERE {{ {target} OPTIONAL {{ {self.tp('?this', path, '?value')} }} }} "
                    f"GROUP BY ?this HAVING(COUNT(DISTINCT ?value) < {n})"
                )
            found.append(Check(query, text, message or f"Less than {n} values on {{this}}->{text}", severity))
        for maximum in g.values(shape, SH + "maxCount"):
            n = int(maximum.value)
            query = (
                f"SELECT ?this WHERE {{ {target} {self.tp('?this', path, '?value')} }} "
                f"GROUP BY ?this HAVING(COUNT(DISTINCT ?value) > {n})"
            )
            found.append(Check(query, text, message or f"More than {n} values on {{this}}->{text}", severity))
        for constant in g.values(shape, SH + "hasValue"):
            query = (
                f"SELECT DISTINCT ?this WHERE {{ {{ {target} }} MINUS {{ {self.tp('?this', path, term(constant))} }} }}"
            )
            default = f"Node {{this}}->{text} does not contain a value in the set: ['{_show(constant)}']"
            found.append(Check(query, text, message or default, severity))
        found += self._value_checks(shape, target, self.tp("?this", path, "?value"), text, message, severity)
        for qualified in g.values(shape, SH + "qualifiedValueShape"):
            for name, negate, extra, word in (
                ("qualifiedMinCount", "!", 0, "less"),
                ("qualifiedMaxCount", "", 1, "more"),
            ):
                for number in g.values(shape, SH + name):
                    n = int(number.value) + extra
                    if name == "qualifiedMinCount" and n == 1:
                        x = self._var()
                        conforming = f"{self.tp('?this', path, x)} FILTER({self.conforms(qualified, x)})"
                        query = f"SELECT DISTINCT ?this WHERE {{ {{ {target} }} MINUS {{ {conforming} }} }}"
                    else:
                        cond = self._at_least("?this", path, n, qualified)
                        query = f"SELECT DISTINCT ?this WHERE {{ {target} FILTER({negate}{cond}) }}"
                    default = (
                        f"Focus node does not conform to shape {_show(qualified)}: {word} than "
                        f"{number.value} conforming values"
                    )
                    found.append(Check(query, text, message or default, severity))
        return found

    def _sparql_check(self, shape: Any, constraint: Any, target: str, message: str | None, severity: str) -> Check:
        g = self.g
        select = g.value(constraint, SH + "select")
        if select is None or _deactivated(g, constraint):
            raise ShapeNotCompiled("sh:sparql without sh:select (or deactivated)")
        text = select.value
        if re.search(r"[$?](currentShape|shapesGraph)\b", text):
            raise ShapeNotCompiled("$currentShape/$shapesGraph in a SPARQL constraint")
        path_node = g.value(shape, SH + "path")
        path_text = "-"
        if path_node is not None:
            text = re.sub(r"\$PATH\b", self.path(path_node), text)
            path_text = self.path_text(path_node)
        where = re.search(r"\bWHERE\s*\{", text, re.IGNORECASE) or re.search(r"\{", text)
        if where is None:
            raise ShapeNotCompiled("SPARQL constraint without a WHERE clause")
        body = text[where.end() :]
        negated = _ONLY_NOT_EXISTS.match(body)
        if negated and _balanced(negated.group(1)) and re.search(r"[$?]this\b", negated.group(1)):
            # `WHERE { FILTER NOT EXISTS { P } }` with $this in P: the same answers as
            # `{ target } MINUS { P }`, which Oxigraph runs as one anti-join instead of a look-up
            # per focus node (15x faster for the event participant check at 100k).
            query = text[: where.end()] + f" {{ {target} }} MINUS {{ {negated.group(1)} }} }}" + negated.group(2)
        else:
            query = text[: where.end()] + f" {{ {target} }} " + body
        prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in self._declared_prefixes(constraint).items())
        own = _message(g, constraint)
        return Check(prefixes + query, path_text, own or message or "SPARQL constraint violated", severity, True)

    def _declared_prefixes(self, constraint: Any) -> dict[str, str]:
        g = self.g
        declared = {}
        for ontology in g.values(constraint, SH + "prefixes"):
            for declaration in g.values(ontology, SH + "declare"):
                prefix, namespace = g.value(declaration, SH + "prefix"), g.value(declaration, SH + "namespace")
                if prefix is not None and namespace is not None:
                    declared[prefix.value] = namespace.value
        return declared


_SUPPORTED = {
    "class",
    "datatype",
    "nodeKind",
    "minCount",
    "maxCount",
    "minInclusive",
    "maxInclusive",
    "minExclusive",
    "maxExclusive",
    "minLength",
    "maxLength",
    "pattern",
    "languageIn",
    "in",
    "hasValue",
    "node",
    "or",
    "and",
    "xone",
    "not",
    "qualifiedValueShape",
    "select",
}


def _balanced(text: str) -> bool:
    """True if the braces of `text` (outside strings and IRIs, roughly) never close more than open."""
    depth = 0
    for char in re.sub(r'"[^"]*"|<[^>\s]*>', "", text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _deactivated(g: _ShapesGraph, node: Any) -> bool:
    flag = g.value(node, SH + "deactivated")
    return flag is not None and flag.value == "true"


def _severity(g: _ShapesGraph, shape: Any) -> str:
    severity = g.value(shape, SH + "severity")
    return severity.value.removeprefix(SH) if severity is not None else "Violation"


def _message(g: _ShapesGraph, shape: Any) -> str | None:
    messages = g.values(shape, SH + "message")
    english = [m.value for m in messages if getattr(m, "language", None) in (None, "en")]
    found = english or [m.value for m in messages]
    return str(found[0]) if found else None


def _show(node: Any) -> str:
    if isinstance(node, ox.NamedNode):
        return "sh:" + node.value.removeprefix(SH) if node.value.startswith(SH) else shorten(node.value)
    if isinstance(node, ox.Literal):
        return node.value
    return str(node)


def compile_shapes(path: Path, virtual: dict[str, str] | None = None) -> list[Check]:
    """The checks of the shapes file at `path`; ShapeNotCompiled for what is not supported."""
    triples = ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
    return Compiler(_ShapesGraph(iter(triples)), virtual).checks()


def run_checks(oxigraph: ox.Store, checks: list[Check]) -> list[Result]:
    """Run the checks on the union of all graphs of `oxigraph`; the results, unsorted."""
    from kg import progress

    results = []
    with progress.task("Validating", total=len(checks), unit="check") as bar:
        for check in checks:
            results += _run_check(oxigraph, check)
            bar.advance()
    return results


def _run_check(oxigraph: ox.Store, check: Check) -> list[Result]:
    results = []
    rows: Any = oxigraph.query(check.sparql, use_default_graph_as_union=True, prefixes=PREFIXES)
    for row in rows:
        focus = row["this"]
        if focus is None:
            continue
        value = focus if check.value_is_focus else _binding(row, "value")
        path = check.path
        if check.value_is_focus:
            bound_path, bound_value = _binding(row, "path"), _binding(row, "value")
            if isinstance(bound_path, ox.NamedNode):
                path = shorten(bound_path.value)
            if bound_value is not None:
                value = bound_value
        failed = [m for flag, m in check.flags if _binding(row, flag) != _TRUE]
        messages = failed if check.flags else [check.message]
        for template in messages:
            message = template.replace("{this}", _show(focus))
            message = re.sub(r"\{[?$](\w+)\}", partial(_substitute, row), message)
            results.append(Result(focus, path, message, check.severity, value))
    return results


def _substitute(row: Any, match: re.Match[str]) -> str:
    """A {?var} of a message template: the row's value of var."""
    return _show(_binding(row, match.group(1)))


_TRUE = ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))


def _binding(row: Any, name: str) -> Any:
    try:
        return row[name]
    except (KeyError, IndexError):
        return None


DERIVED_GRAPH = "https://w3id.org/kg-diplomacy/shapes#derived"


def validate_oxigraph(
    store: Any,
    derived: list[tuple[Any, str, Any]],
    virtual: dict[str, str] | None = None,
    shapes: Path | None = None,
) -> list[Finding]:
    """Violations of the kg shapes in `store`, plus the `derived` statements (kg.validate makes them
    Violations; this module does not import it).

    `virtual`: derived properties given as a graph pattern (see Compiler.tp) instead of statements.

    The derived statements go into a scratch graph of the store for the time of the checks and are
    removed afterwards. A read-only store is validated on a checkpoint copy (hard links, cheap);
    a remote store on an in-memory copy.
    """
    import gc
    import shutil
    import tempfile

    from kg.resources import shapes_file

    checks = compile_shapes(shapes or shapes_file(), virtual)
    graph = ox.NamedNode(DERIVED_GRAPH)
    quads = [ox.Quad(s, ox.NamedNode(p), o, graph) for s, p, o in derived]
    own: Any = getattr(store, "oxigraph", None)
    scratch = None
    oxigraph: Any = own
    if own is None:  # a remote store: copy it into memory
        oxigraph = ox.Store()
        oxigraph.extend(store.quads())
    if getattr(store, "location", None) == ":memory:" or own is None:
        oxigraph.extend(quads)
    else:
        try:  # the fresh generation of a build is writable; a store opened by a command is not
            oxigraph.bulk_extend(quads)
        except RuntimeError:
            scratch = Path(tempfile.mkdtemp(prefix="kg-validate-"))
            oxigraph.backup(str(scratch / "copy"))
            oxigraph = ox.Store(str(scratch / "copy"))
            oxigraph.bulk_extend(quads)
    try:
        return _violations(oxigraph, run_checks(oxigraph, checks))
    finally:
        if scratch is not None:
            del oxigraph
            gc.collect()  # RocksDB closes when the last reference goes
            shutil.rmtree(scratch, ignore_errors=True)
        elif quads:
            oxigraph.remove_graph(graph)


class Finding(NamedTuple):
    """A result as kg.validate.Violation takes it (same fields, same order)."""

    focus_label: str
    focus: str
    path: str
    message: str
    severity: str
    value: str


def _violations(oxigraph: ox.Store, results: list[Result]) -> list[Finding]:
    labels = _english_labels(oxigraph, {r.focus for r in results if isinstance(r.focus, ox.NamedNode)})
    violations = []
    for result in results:
        focus = result.focus.value
        value = result.value
        if isinstance(value, ox.NamedNode) and value != result.focus:
            value_text = shorten(value.value)
        elif isinstance(value, ox.Literal):
            value_text = repr(value.value) + ("" if value.language else f"^^{shorten(value.datatype.value)}")
        else:
            value_text = ""
        path = "evidence" if result.path == f"<{KGSH_SUPPORTED_BY}>" else result.path
        violations.append(
            Finding(
                focus_label=labels.get(result.focus) or shorten(focus),
                focus=focus,
                path=path,
                message=result.message,
                severity=result.severity,
                value=value_text,
            )
        )
    return violations


KGSH_SUPPORTED_BY = "https://w3id.org/kg-diplomacy/shapes#supportedBy"


def _english_labels(oxigraph: ox.Store, nodes: set[Any]) -> dict[Any, str]:
    found: dict[Any, list[str]] = defaultdict(list)
    nodes_list = sorted(nodes, key=str)
    for start in range(0, len(nodes_list), 500):
        values = " ".join(str(n) for n in nodes_list[start : start + 500])
        query = f'SELECT ?s ?l WHERE {{ VALUES ?s {{ {values} }} ?s rdfs:label ?l FILTER(lang(?l) IN ("en", "")) }}'
        rows: Any = oxigraph.query(query, use_default_graph_as_union=True, prefixes=PREFIXES)
        for row in rows:
            found[row["s"]].append(row["l"].value)
    return {node: sorted(labels)[0] for node, labels in found.items()}
