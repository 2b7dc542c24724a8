"""Llama-style decoders (RoPE, RMSNorm, SwiGLU, grouped-query attention) on keras-hub."""
from zoo.models.llama import sizes  # noqa: F401  (registers the sizes)
