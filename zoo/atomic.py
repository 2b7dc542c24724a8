"""Atomic writes: temp file in the same directory + fsync + rename, so readers never
see a half-written file and a failed write leaves the previous version intact.

>>> from zoo.atomic import write_json
>>> write_json("/tmp/zoo-example.json", {"ok": True})
"""
import json
import os
import pathlib
import shutil
import tempfile

from zoo.errors import ZooError


def check_writable_dir(path, option):
    """Refuse, before any work, a directory that cannot be created or written to: one under a
    file, or in a directory this user cannot write.

    Args:
        path: the directory (it may not exist yet).
        option: how the user gave it, for the message, e.g. "--out".

    >>> check_writable_dir("/tmp/zoo-example-dir/sub", "--out")
    """
    wanted = pathlib.Path(path)
    for existing in (wanted, *wanted.parents):
        if not existing.exists():
            continue
        if not existing.is_dir():
            raise ZooError(f"{option} '{path}': '{existing}' is a file, not a directory; choose another {option}")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise ZooError(f"{option} '{path}': cannot write in '{existing}'; choose another {option}")
        return


def write_bytes(path, data):
    """Write bytes to a file atomically (temp file in the same directory, fsync, rename).

    Args:
        path: the destination file (str or path-like); missing parent directories are created.
        data: the bytes to write.
    """
    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_text(path, text):
    """Write a string to a file atomically, UTF-8 encoded.

    Args:
        path: the destination file (str or path-like).
        text: the string to write.
    """
    write_bytes(path, text.encode("utf-8"))


def write_json(path, obj):
    """Write an object as JSON atomically (indented, sorted keys, trailing newline).

    Args:
        path: the destination file (str or path-like).
        obj: a JSON-serialisable object.
    """
    write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def write_figure(fig, path, **savefig_kwargs):
    """Save a matplotlib Figure as PNG atomically: rendered in memory, then write_bytes.

    Args:
        fig: the matplotlib Figure.
        path: the destination PNG file (str or path-like).
        **savefig_kwargs: passed to `fig.savefig` (e.g. dpi, bbox_inches).

    Returns:
        The destination path as a string.
    """
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", **savefig_kwargs)
    write_bytes(path, buf.getvalue())
    return os.fspath(path)


def replace_dir(tmp_dir, final_dir):
    """Move a fully written directory into place, replacing any previous one.

    Args:
        tmp_dir: the fully written directory (on the same filesystem as `final_dir`).
        final_dir: where it should end up; an existing directory there is moved to
            `<final_dir>.old` first and removed once the new one is in place.
    """
    final_dir = os.fspath(final_dir)
    old = final_dir + ".old"
    if os.path.exists(old):
        shutil.rmtree(old)
    if os.path.exists(final_dir):
        os.replace(final_dir, old)
    os.replace(tmp_dir, final_dir)
    if os.path.exists(old):
        shutil.rmtree(old)
