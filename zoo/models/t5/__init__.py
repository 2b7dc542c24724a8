"""T5 encoder-decoders on keras-hub's T5Backbone / T5Seq2SeqLM (relative attention)."""
from zoo.models.t5 import sizes  # noqa: F401  (registers the sizes)
