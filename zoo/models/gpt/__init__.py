"""GPT-style decoders on keras-hub's GPT2Backbone / GPT2CausalLM."""
