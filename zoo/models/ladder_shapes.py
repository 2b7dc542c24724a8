"""The scaling ladder's model shapes, shared by the families that register rungs of it.

Each decoder family registers `<family>-ladder-<i>` for every shape here in its own
`sizes.py` (zoo.scaling.ladder trains them; the IsoFLOP design there picks which).
(layers, width, heads): head width 16..32, depth grows slowly, as in Kaplan's ladders.
Llama non-embedding parameters: 3.0k, 6.0k, 12.8k, 21.7k, 32.5k, 50.9k, 74k, 134k, 208k,
296k, 714k, 1.6M, 4.3M (consecutive rungs 1.4-2.4x apart).

Example:
>>> from zoo.models.ladder_shapes import LADDER_SHAPES, ladder_name
>>> ladder_name("llama", 1), LADDER_SHAPES[0]
('llama-ladder-1', (1, 16, 1))
"""

LADDER_SHAPES = [(1, 16, 1), (2, 16, 1), (2, 24, 2), (2, 32, 2), (3, 32, 2), (2, 48, 2), (3, 48, 3), (3, 64, 4),
                 (3, 80, 4), (3, 96, 3), (4, 128, 4), (4, 192, 6), (6, 256, 8)]
LADDER_CONTEXT = 128


def ladder_name(family, rung):
    """The registered name of a ladder rung.

    Args:
        family: a decoder family, e.g. "llama".
        rung: 1-based index into LADDER_SHAPES.
    """
    return f"{family}-ladder-{rung}"
