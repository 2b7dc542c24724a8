"""GPT-style decoders on keras-hub's GPT2Backbone / GPT2CausalLM."""
from zoo.models.gpt import sizes  # noqa: F401  (registers the sizes)
