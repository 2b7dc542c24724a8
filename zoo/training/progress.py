"""Training progress lines: a self-updating line on a terminal, plain lines elsewhere.

Keras's Progbar writes ANSI colours and backspaces even into a log file or a pipe and
prints figures to four decimals (`tok/s: 1731.2615`). This writes one line per update
with rounded figures; on a terminal the line is redrawn in place with a carriage return,
elsewhere each update is its own line (no control characters at all).

Example:
>>> import io
>>> out = io.StringIO()
>>> bar = Progress(100, stream=out)
>>> bar.update(50, {"loss": 2.345678, "tok/s": 14423.4})
>>> out.getvalue()
'step 50/100 (50%) - loss 2.346 - tok/s 14,423\\n'
"""
import sys
import time

# Figures that are rates or counts: shown as whole numbers with thousands separators.
_WHOLE = ("tok/s", "ex/s", "tokens", "examples")


def format_value(name, value):
    """One figure as shown on the progress line: rates and counts whole, the rest to 3 decimals.

    Args:
        name: the figure's name (e.g. "loss", "tok/s").
        value: a number.
    """
    value = float(value)
    if name in _WHOLE or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"


def _duration(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Progress:
    """Progress of a run of `total` steps, written to `stream` (default stdout).

    Args:
        total: the last step.
        stream: a text stream; a terminal gets one redrawn line, anything else plain lines.
    """

    def __init__(self, total, stream=None):
        self.total = total
        self.stream = stream or sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.perf_counter()
        self.first_step = None
        self.width = 0

    def line(self, step, values):
        """The text of one update (no line ending).

        Args:
            step: the current step.
            values: {name: value} shown after the step count.
        """
        parts = [f"step {step}/{self.total} ({100 * step // max(1, self.total)}%)"]
        parts += [f"{k} {format_value(k, v)}" for k, v in values.items()]
        elapsed = time.perf_counter() - self.t0
        if self.first_step is not None and step > self.first_step and step < self.total:
            rate = (step - self.first_step) / max(1e-9, elapsed)
            parts.append(f"eta {_duration((self.total - step) / rate)}")
        return " - ".join(parts)

    def update(self, step, values, finalize=False):
        """Show step `step` with `values` ({name: number}); finalize ends a terminal line.

        Args:
            step: the current step.
            values: the figures to show, in order.
            finalize: the last update (a terminal line is ended with a newline).
        """
        if self.first_step is None:
            self.first_step, self.t0 = step, time.perf_counter()
        text = self.line(step, values)
        if self.tty:
            pad = max(0, self.width - len(text))
            self.width = len(text)
            self.stream.write("\r" + text + " " * pad + ("\n" if finalize else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
