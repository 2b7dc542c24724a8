"""The ground floor: the error a user sees, and the did-you-mean lookup every registry uses.

Example:
>>> from zoo.errors import lookup
>>> lookup({"gpt": 1, "llama": 2}, "lama", "family")
Traceback (most recent call last):
...
zoo.errors.ZooError: unknown family 'lama'. Did you mean 'llama'? Known families: gpt, llama.
"""
import difflib


class ZooError(ValueError):
    """A user mistake: the message is one line saying what was wrong and how to fix it."""


def did_you_mean(name, choices):
    """" Did you mean 'x'?" for the closest of `choices` to `name`, or "" when none is close.

    Args:
        name: what the user typed.
        choices: the valid names.
    """
    close = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.5)
    return f" Did you mean '{close[0]}'?" if close else ""


def lookup(table, name, kind):
    """Return `table[name]`, or raise a ZooError with a did-you-mean and the valid names.

    Args:
        table: a dict keyed by name.
        name: the name to look up.
        kind: what the names are, for the message ("model", "suite", ...).
    """
    if name in table:
        return table[name]
    raise ZooError(
        f"unknown {kind} '{name}'.{did_you_mean(name, table)} "
        f"Known {kind[:-1] + 'ies' if kind.endswith('y') else kind + 's'}: {', '.join(sorted(table))}."
    )
