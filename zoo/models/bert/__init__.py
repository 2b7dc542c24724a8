"""BERT-style encoders on keras-hub's BertBackbone / BertMaskedLM / BertTextClassifier."""
