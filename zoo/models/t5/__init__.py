"""T5 encoder-decoders: keras-hub's T5 stacks (relative attention) with optional sinusoidal positions."""
