"""Import event files (GDELT) into the store: streamed, idempotent and atomic.

The import writes a copy of the live store generation, streams the events' N-Quads into it with
Oxigraph's bulk loader, and swaps it in only when every file has been read; any error leaves the
previous store exactly as it was. Malformed rows are skipped and listed in the report (the CLI
then exits 1); they do not stop the import.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from kg.errors import InputFileError
from kg.readers.gdelt import EventFilter, ImportReport, load_events
from kg.storage.location import Location, writable

__all__ = ["event_files", "import_gdelt", "load_events"]

EVENT_SUFFIXES = (".csv", ".zip", ".tsv", ".txt")


def event_files(paths: list[Path]) -> list[Path]:
    """Files as given, and the event files (.CSV, .CSV.zip, ...) inside given folders."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in EVENT_SUFFIXES)
            if not found:
                raise InputFileError(str(path), "folder holds no event files (.CSV, .CSV.zip)")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            raise InputFileError(str(path), "not a regular file")
        else:
            raise InputFileError(str(path), "no such file or folder")
    return files


def import_gdelt(
    store_path: Location | Path | str,
    paths: list[Path],
    event_filter: EventFilter | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    validate: bool = False,
) -> ImportReport:
    """Import GDELT event files into the built store at `store_path`, atomically.

    The same GLOBALEVENTID always gives the same statements, so importing a file twice adds nothing.
    The mapping only writes statements the shapes accept (tests check it); `validate` also runs the
    SHACL validation of the whole store and refuses the import (store unchanged) on a violation.
    """
    files = event_files(paths)
    report = ImportReport()
    with writable(store_path, copy_current=True) as (store, generation):
        load_events(store, files, event_filter, report, progress)
        if validate:
            from kg.errors import ValidationFailed
            from kg.validate import validate_store

            violations: list[object] = [v for v in validate_store(store) if v.severity == "Violation"]
            if violations:
                raise ValidationFailed(
                    f"import refused: {len(violations)} SHACL violation(s); the store is unchanged", violations
                )
        _log_import(generation, report)
    return report


def _log_import(generation: Path, report: ImportReport) -> None:
    """Add the import to the generation's build.json, so `what is in this store` stays answerable."""
    info_file = generation / "build.json"
    try:
        info = json.loads(info_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = {}
    info.setdefault("imports", []).append(
        {
            "kind": "gdelt",
            "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "files": report.files,
            "kept": report.kept,
            "skipped": len(report.skipped),
            "quads_added": report.quads_added,
        }
    )
    info["quads"] = info.get("quads", 0) + report.quads_added
    info_file.write_text(json.dumps(info, indent=2), encoding="utf-8")
