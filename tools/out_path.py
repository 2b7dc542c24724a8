"""One check shared by the measuring scripts in tools/: can --out be written?

Example:
>>> import pathlib, tempfile
>>> unwritable_reason(pathlib.Path(tempfile.gettempdir()) / "new-dir" / "record.json") is None
True
>>> checked_out(None)
(None, None)
"""
import pathlib
import sys


def unwritable_reason(out):
    """Why `out` cannot be written (a file where a directory must be), or None; creates nothing,
    so a script can check its --out before minutes of measuring.

    Args:
        out: a pathlib.Path, or None (nothing to write).
    """
    if out is None:
        return None
    existing = next((p for p in (out.parent, *out.parent.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        return f"cannot write {out}: {existing} is a file, not a directory; choose another --out"
    return None


def checked_out(text):
    """--out as a path, checked before minutes of measuring: (path or None, None), or (None, 2) after
    one error line on stderr when it cannot be written (the exit status a script's main returns).

    Args:
        text: the --out argument, or None when it was not given.
    """
    out = pathlib.Path(text) if text else None
    reason = unwritable_reason(out)
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return None, 2
    return out, None
