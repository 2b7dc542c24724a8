"""One check shared by the measuring scripts in tools/: can --out be written?

Example:
>>> import pathlib, tempfile
>>> unwritable_reason(pathlib.Path(tempfile.gettempdir()) / "new-dir" / "record.json") is None
True
"""


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
