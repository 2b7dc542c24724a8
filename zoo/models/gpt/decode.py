"""What zoo's decode engine (zoo.generation.engine) needs to know of a keras-hub GPT2Backbone.

The engine re-implements the forward pass on the backbone's own variables; this adapter
names those variables and does the GPT-2 parts of the math: learned position
embeddings, LayerNorm, the query scaled before the dot product (keras
MultiHeadAttention), and a dense GELU feed-forward block.

Example:
>>> from zoo.generation.engine import DecodeEngine
>>> import zoo
>>> engine = DecodeEngine(zoo.get("gpt-nano"))   # picks GPT2DecodeAdapter for its backbone
>>> type(engine.adapter).__name__
'GPT2DecodeAdapter'
"""
import keras
import numpy as np
import tensorflow as tf


class GPT2DecodeAdapter:
    """The GPT-2 side of the decode engine.

    Args:
        backbone: a keras_hub GPT2Backbone with pre-norm decoder layers.
    """

    backbone_class = "GPT2Backbone"

    def __init__(self, backbone):
        self.backbone = backbone
        self.num_heads = self.num_kv_heads = int(backbone.num_heads)
        self.hidden = int(backbone.hidden_dim)
        self.head_dim = self.hidden // self.num_heads
        self.final_norm = backbone.layer_norm
        self._positions = backbone.position_embedding.position_embeddings
        self.layers = []
        for tl in backbone.transformer_layers:
            if not tl.normalize_first:
                raise ValueError("only pre-norm (normalize_first=True) GPT-2 decoders are supported")
            att = tl._self_attention_layer
            self.layers.append(dict(
                ln1=tl._self_attention_layer_norm, ln2=tl._feedforward_layer_norm,
                q=att._query_dense, k=att._key_dense, v=att._value_dense, o=att._output_dense,
                ff1=tl._feedforward_intermediate_dense, ff2=tl._feedforward_output_dense,
                act=tl._feedforward_intermediate_dense.activation))

    def max_length(self, requested):
        """The backbone's position table bounds the context; a smaller request lowers it.

        Args:
            requested: the engine's `max_length` argument (None: the backbone's
                `max_sequence_length`).

        Returns:
            The context limit in tokens.
        """
        limit = int(self.backbone.max_sequence_length)
        return limit if requested is None else min(limit, int(requested))

    # --- weights (read inside the compiled functions; `cast` casts to the compute dtype)
    def model_weights(self, cast):
        """Model-level weights beyond the token embedding: the position table.

        Args:
            cast: casts a variable to the engine's compute dtype.

        Returns:
            {"pos": [max_sequence_length, hidden] position embeddings}.
        """
        return {"pos": cast(self._positions)}

    def norm_params(self, layer, cast):
        """The parameters `norm` needs of one LayerNorm layer.

        Args:
            layer: a keras LayerNormalization layer of the backbone.
            cast: casts a variable to the engine's compute dtype.

        Returns:
            (gamma, beta, epsilon).
        """
        return (cast(layer.gamma), cast(layer.beta), float(layer.epsilon))

    def ffn_weights(self, layer, cast):
        """The feed-forward weights of one decoder layer.

        Args:
            layer: the layer's entry of `self.layers` (a dict of its sublayers).
            cast: casts a variable to the engine's compute dtype.

        Returns:
            {"w1", "b1", "w2", "b2"}: the intermediate and output kernels and biases.
        """
        return {"w1": cast(layer["ff1"].kernel), "b1": cast(layer["ff1"].bias),
                "w2": cast(layer["ff2"].kernel), "b2": cast(layer["ff2"].bias)}

    # --- math (traced inside the compiled functions)
    def norm(self, x, params, dtype):
        """LayerNorm of `x` over its last axis.

        Args:
            x: the hidden states [..., hidden].
            params: (gamma, beta, epsilon) from `norm_params`.
            dtype: the compute dtype (unused: LayerNorm keeps x's dtype).
        """
        gamma, beta, eps = params
        return keras.ops.layer_normalization(x, gamma, beta, epsilon=eps)

    def embed(self, W, tokens, positions):
        """Token plus learned position embeddings.

        Args:
            W: the engine's weight dict (`emb`, and `pos` from `model_weights`).
            tokens: int token ids [B, T].
            positions: int position ids [B, T] (pad-adjusted).

        Returns:
            The embeddings [B, T, hidden].
        """
        return tf.gather(W["emb"], tokens) + tf.gather(W["pos"], positions)

    def rotary(self, positions, dtype):
        """No rotary terms: GPT-2's positions enter through the embedding.

        Args:
            positions: int position ids [B, T] (unused).
            dtype: the compute dtype (unused).

        Returns:
            None.
        """
        return None  # positions enter through the embedding

    def position_qk(self, q, k, rotary):
        """Scale the query by 1/sqrt(head_dim) before the dot product, as keras MultiHeadAttention does.

        Args:
            q: queries [B, T, heads, head_dim].
            k: keys [B, T, heads, head_dim] (returned unchanged).
            rotary: the result of `rotary` (None, unused).

        Returns:
            (q scaled, k).
        """
        # keras MultiHeadAttention scales the query before the dot product
        return q * tf.cast(1.0 / float(np.sqrt(self.head_dim)), q.dtype), k

    def scale_scores(self, scores):
        """The attention scores unchanged (the query was scaled in `position_qk`).

        Args:
            scores: attention scores (query · key).
        """
        return scores

    def ffn(self, lw, h, dtype):
        """The dense feed-forward block: act(h W1 + b1) W2 + b2.

        Args:
            lw: the layer's fused weight dict (`ffn_weights` entries and `act`, the activation).
            h: the normalised hidden states [B*T, hidden].
            dtype: the compute dtype (unused).

        Returns:
            The block's output [B*T, hidden] (before the residual).
        """
        f = lw["act"](tf.matmul(h, lw["w1"]) + lw["b1"])
        return tf.matmul(f, lw["w2"]) + lw["b2"]
