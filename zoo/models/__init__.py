"""Model families: one folder each (gpt/, llama/), sizes registered by name."""
