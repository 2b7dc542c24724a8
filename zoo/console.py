"""A clean console: TensorFlow's C++ start-up lines stay off the user's screen.

TensorFlow writes to the process's stderr (file descriptor 2) from C++: absl's
"All log messages before absl::InitializeLog() ..." and "Could not find cuda drivers"
while `import tensorflow` runs (before absl reads any setting), then cuInit errors,
oneDNN notices and warnings at its own log level. zoo therefore

* sets `TF_CPP_MIN_LOG_LEVEL=3` (TensorFlow's C++ threshold: fatal only) and
  `GRPC_VERBOSITY=ERROR` (the multi-worker gRPC layer) in the environment when `zoo` is
  imported, only where the user has not set them, so every subprocess zoo starts
  inherits them (TensorFlow 2.21 reads no absl variable: the lines absl prints before
  it is initialised are caught as below);
* imports TensorFlow once with fd 2 pointed at a temporary file (`import_tensorflow`),
  and shows what it caught only if the import fails;
* undoes both on `--verbose` (`set_verbose`), which also reaches subprocesses through
  `ZOO_VERBOSE=1`.

Example:
>>> from zoo import console
>>> console.quiet_environment()          # done by `import zoo`
>>> tf = console.import_tensorflow()     # no start-up lines on stderr
"""
import contextlib
import os
import sys
import tempfile

QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "GRPC_VERBOSITY": "ERROR"}
VERBOSE_ENV = "ZOO_VERBOSE"
_SET_BY_ZOO = set()


def is_verbose(environ=None):
    """True when the user asked for TensorFlow's own logs (--verbose or ZOO_VERBOSE=1).

    Args:
        environ: the environment to read (default os.environ).
    """
    environ = os.environ if environ is None else environ
    return environ.get(VERBOSE_ENV, "") not in ("", "0")


def quiet_environment(environ=None):
    """Set the quiet log levels where the user has not set them; returns the names set.

    Args:
        environ: the environment to change (default os.environ, inherited by subprocesses).
    """
    environ = os.environ if environ is None else environ
    if is_verbose(environ):
        return set()
    added = {k for k in QUIET_ENV if k not in environ}
    for k in added:
        environ[k] = QUIET_ENV[k]
    if environ is os.environ:
        _SET_BY_ZOO.update(added)
    return added


def set_verbose(environ=None):
    """--verbose: drop the log levels zoo set (the user's own stay) and tell subprocesses.

    Args:
        environ: the environment to change (default os.environ).
    """
    environ = os.environ if environ is None else environ
    for k in list(_SET_BY_ZOO) if environ is os.environ else list(QUIET_ENV):
        if environ.get(k) == QUIET_ENV[k]:
            environ.pop(k)
    _SET_BY_ZOO.clear()
    environ[VERBOSE_ENV] = "1"


@contextlib.contextmanager
def stderr_to_file():
    """Point file descriptor 2 at a temporary file for the block; yields the file.

    C++ code writes to the descriptor, not to sys.stderr, so only a dup2 catches it.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield caught
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def import_tensorflow():
    """Import TensorFlow (once) without its C++ start-up lines; returns the module.

    If the import fails, the lines it wrote are shown before the error goes on.
    """
    if "tensorflow" in sys.modules or is_verbose():
        import tensorflow as tf

        return tf
    quiet_environment()
    try:
        with stderr_to_file() as caught:
            try:
                import tensorflow as tf
            except BaseException:
                caught.seek(0)
                sys.stderr.write(caught.read().decode("utf-8", "replace"))
                raise
    except OSError:  # no usable fd 2 (e.g. closed): import plainly
        import tensorflow as tf
    _quiet_python_loggers()
    return tf


def _quiet_python_loggers():
    """TensorFlow's and absl's Python loggers: errors only (their warnings are for developers)."""
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    with contextlib.suppress(ImportError):
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
