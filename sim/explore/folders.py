"""Output folders that appear whole or not at all.

A discovery or a report is built in a hidden temporary folder beside its destination and moved
into place only once every file is written; a failure on the way removes the temporary folder and
leaves any earlier output untouched. A folder is replaced only if it is empty or was written by
the same tool (it holds the tool's marker file), so a mistyped ``--out`` cannot delete a sweep.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from .adapter import UserError


def check_out(out: Path, marker: str, option: str = "--out") -> None:
    """Refuse, before any work, a destination that cannot be written or must not be replaced."""
    where = f"{option} {out}"
    if out.exists() and not out.is_dir():
        raise UserError("is a file, not a folder", source=where)
    if out.is_dir() and any(out.iterdir()) and not (out / marker).is_file():
        raise UserError(f"folder holds files that were not written here (no {marker}); choose a new or empty "
                        "folder", source=where)
    probe = out.parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise UserError(f"cannot write in '{probe}'", source=where)


def publish(out: Path, marker: str, build: Callable[[Path], None]) -> Path:
    """Run ``build(folder)`` in a temporary folder, then move that folder to ``out``.

    ``build`` must write ``marker``. An earlier folder at ``out`` is moved aside first and removed
    after the move, or put back if the move fails.
    """
    check_out(out, marker)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        build(work)
        if not (work / marker).is_file():
            raise RuntimeError(f"the output was built without its marker file {marker}")
        umask = os.umask(0)
        os.umask(umask)
        work.chmod(0o777 & ~umask)
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.{os.getpid()}.old")
            os.replace(out, old)
        try:
            os.replace(work, out)
        except BaseException:
            if old is not None:
                os.replace(old, out)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return out
