"""Llama-style decoders (RoPE, RMSNorm, SwiGLU, grouped-query attention) on keras-hub."""
