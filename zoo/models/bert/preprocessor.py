"""BERT's masked-LM preprocessor with zoo's <cls>/<sep> tokens (keras-hub packs with the
tokenizer's start/end tokens, which for our byte tokenizer are both `<|endoftext|>`).

>>> from zoo.data.tokenizers import ZooByteTokenizer
>>> pre = ZooBertMaskedLMPreprocessor(tokenizer=ZooByteTokenizer(), sequence_length=16)
"""
import keras
import keras_hub

from zoo.data import tokenizers as _tokenizers  # noqa: F401  (registers the tokenizers)
from zoo.data.objectives import boundary_ids


@keras.saving.register_keras_serializable(package="zoo")
class ZooBertMaskedLMPreprocessor(keras_hub.models.BertMaskedLMPreprocessor):
    """BertMaskedLMPreprocessor packing with the tokenizer's <cls>/<sep> tokens."""

    def build(self, input_shape):
        """Overrides `BertMaskedLMPreprocessor.build`: the packer uses the tokenizer's <cls>/<sep> ids.

        Args:
            input_shape: the input shape Keras passes to `build` (forwarded to the parent).
        """
        super().build(input_shape)
        cls, sep = boundary_ids(self.tokenizer)
        self.packer = keras_hub.layers.MultiSegmentPacker(
            start_value=cls, end_value=sep, pad_value=self.tokenizer.pad_token_id,
            truncate=self.truncate, sequence_length=self.sequence_length)
