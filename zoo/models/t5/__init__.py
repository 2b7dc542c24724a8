"""T5 encoder-decoders: keras-hub's T5 stacks (relative attention) with optional sinusoidal positions."""
from zoo.models.t5 import sizes  # noqa: F401  (registers the sizes)
