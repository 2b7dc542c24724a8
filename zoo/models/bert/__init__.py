"""BERT-style encoders on keras-hub's BertBackbone / BertMaskedLM / BertTextClassifier."""
from zoo.models.bert import sizes  # noqa: F401  (registers the sizes)
