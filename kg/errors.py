"""Exceptions raised by the kg library; the CLI turns each into a one-line message and exit code."""

from __future__ import annotations


class KgError(Exception):
    """Base class of kg errors; exit code 2 (bad input or usage)."""

    exit_code = 2


class InputFileError(KgError):
    """An input file is missing, unreadable, of an unknown format or not valid RDF."""

    def __init__(self, path: str, message: str, line: int | None = None, column: int | None = None):
        self.path, self.line, self.column, self.detail = path, line, column, message
        where = path
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}")


class QueryError(KgError):
    """A SPARQL query is malformed or failed, with the line and column when known."""


class ForbiddenQueryError(QueryError):
    """A query asks for something kg never does: SERVICE, LOAD or FROM a graph not in the store."""


class QueryLimitError(QueryError):
    """A query or update is longer, or its brackets nested deeper, than kg accepts."""


class ParameterError(KgError):
    """A query parameter is malformed, unknown or of the wrong type."""


class ProtocolError(KgError):
    """An HTTP request breaks the SPARQL 1.1 Protocol or Graph Store Protocol; carries its status code."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


class UnknownQueryError(KgError):
    """No canned query has the given name."""


class UnknownEntityError(KgError):
    """No entity, or more than one, matches a name; carries suggestions."""

    def __init__(self, message: str, suggestions: list[str] | None = None):
        self.suggestions = suggestions or []
        if self.suggestions:
            message += "; did you mean: " + ", ".join(self.suggestions) + "?"
        super().__init__(message)


class StoreError(KgError):
    """The store is missing, locked or unusable."""


class ServeError(KgError):
    """The endpoint cannot start: its address is in use or cannot be bound; exit code 3."""

    exit_code = 3


class ValidationFailed(KgError):
    """Data does not conform to the SHACL shapes; exit code 1."""

    exit_code = 1

    def __init__(self, message: str, violations: list[object] | None = None):
        self.violations = violations or []
        super().__init__(message)


class SourceError(KgError):
    """A source text is missing, unreadable, of an unsupported type, or not registered."""


class SheetError(KgError):
    """A fact sheet entry is invalid; the message names the sheet (and line), entry and field."""

    def __init__(
        self, sheet: str, message: str, entry: str | None = None, field: str | None = None, line: int | None = None
    ):
        self.sheet, self.entry, self.field, self.line, self.detail = sheet, entry, field, line, message
        where = sheet + (f":{line}" if line is not None else "")
        parts = [where]
        if entry is not None:
            parts.append(f"entry {entry}")
        if field is not None:
            parts.append(field)
        super().__init__(": ".join([*parts, message]))


class SiteFolderError(KgError):
    """The folder given to `kg site` exists and is neither empty nor a site kg wrote; nothing is written."""


class SearchError(KgError):
    """The search index is missing or cannot answer (for example on a remote store)."""


class ShapeNotCompiled(KgError):
    """A SHACL shape uses a feature the SPARQL validation engine does not compile."""


class NotInGraphError(UnknownEntityError):
    """An entity exists but is not in the graph asked for (e.g. not yet as of a date)."""
