"""The folder `kg site` writes: a new site is written into a folder beside the target and swapped in
only when every page is there, so a failure (or a kill) half-way leaves the previous site exactly as
it was, and pages of an earlier, bigger site do not linger.

The target may be missing, an empty folder, or a site kg wrote before (marked by a `.kg-site` file);
anything else is refused (`SiteFolderError`), never deleted. The swap exchanges the two folders in
one step where the system can (Linux `renameat2` with RENAME_EXCHANGE), else with two renames, undone
if the second fails; the replaced site is then removed. Folders left by a killed run (named after
the target, with the run's process id) are removed by the next run, or put back when the kill came
between the two renames.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from kg.errors import SiteFolderError

MARKER = ".kg-site"
MARKER_TEXT = (
    "This folder was written by `kg site`. Writing the site again replaces the entries listed below; "
    "it is refused while the folder holds anything else.\n"
)
_WORK = "kg-site-new"  # the site being written
_OLD = "kg-site-old"  # the replaced site, between the two renames of the fallback swap


@contextlib.contextmanager
def replacing(outdir: Path) -> Iterator[Path]:
    """Yield a new, empty folder beside `outdir` to write the site into; when the block succeeds it
    becomes `outdir` (the previous site, if any, removed). On any exception it is removed and
    `outdir` is left untouched. Raises SiteFolderError when `outdir` is something else than a
    missing or empty folder or an earlier site, or when its parent folder cannot be written;
    OSError when writing fails later."""
    target = Path(os.path.realpath(outdir)) if outdir.is_symlink() else outdir.absolute()
    check(target, outdir)
    work = _sibling(target, _WORK)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _tidy(target)
        work.mkdir()
    except OSError as error:
        raise SiteFolderError(
            f"{outdir}: cannot write in {target.parent} ({error.strerror}); the site is written there "
            "first and takes the folder's place when complete"
        ) from None
    try:
        yield work
        check(target, outdir)  # it may have changed while the site was written
        if target.is_dir():
            shutil.copymode(target, work)
        _swap(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the new site if it failed, else the replaced one


def marker_text(folder: Path) -> str:
    """The `.kg-site` mark of a site written into `folder`: what it says, then its top-level entries."""
    return MARKER_TEXT + "".join(f"{entry}\n" for entry in sorted(os.listdir(folder)) if entry != MARKER)


def check(target: Path, shown: Path | None = None) -> None:
    """Raise SiteFolderError unless `target` is missing, an empty folder, or a marked kg site that
    holds nothing but the entries its mark lists (a store, a .git folder or a CNAME put in a site
    would otherwise go with it)."""
    name = shown if shown is not None else target
    if not target.exists() and not target.is_symlink():
        return
    if not target.is_dir():
        raise SiteFolderError(f"{name}: exists and is not a folder; give a folder for the site")
    marker = target / MARKER
    if marker.is_file():
        try:
            listed = set(marker.read_text(encoding="utf-8").splitlines()[1:])
        except (OSError, UnicodeDecodeError):
            listed = set()
        foreign = sorted(entry for entry in os.listdir(target) if entry != MARKER and entry not in listed)
        if foreign:
            shown_names = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise SiteFolderError(
                f"{name}: holds {shown_names}, which kg site did not write and would delete with the old "
                "site; nothing was written: move them out or give another folder"
            )
        return
    if not any(target.iterdir()):
        return
    raise SiteFolderError(
        f"{name}: exists and is not a kg site (no {MARKER} file) nor empty; "
        "nothing was written: remove it or give another folder"
    )


def _sibling(target: Path, kind: str) -> Path:
    return target.parent / f".{target.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def _leftovers(target: Path) -> Iterator[tuple[Path, str]]:
    """Folders beside `target` left by runs that are no longer alive: (folder, kind)."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.({_WORK}|{_OLD})-(\d+)-[0-9a-f]+")
    for entry in target.parent.iterdir():
        found = pattern.fullmatch(entry.name)
        if found and entry.is_dir() and not entry.is_symlink() and not _alive(int(found.group(2))):
            yield entry, found.group(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tidy(target: Path) -> None:
    """Put back a site a killed run had moved aside (no site at `target`), remove the rest."""
    for folder, kind in sorted(_leftovers(target)):
        if kind == _OLD and not target.exists() and (folder / MARKER).is_file():
            os.rename(folder, target)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _swap(work: Path, target: Path) -> None:
    """Make `work` the folder at `target`; afterwards `work` names the replaced site (or nothing)."""
    if not target.exists():
        os.rename(work, target)
        return
    if not any(target.iterdir()):
        os.rename(work, target)  # onto an empty folder: rename(2) replaces it
        return
    if _exchange(work, target):
        return
    old = _sibling(target, _OLD)
    os.rename(target, old)
    try:
        os.rename(work, target)
    except BaseException:
        os.rename(old, target)
        raise
    os.rename(old, work)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), ctypes.c_uint(rename_exchange))
    return bool(done == 0)
