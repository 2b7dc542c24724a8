"""The BART family: keras-hub BartBackbone + BartSeq2SeqLM with zoo's byte tokenizer."""
