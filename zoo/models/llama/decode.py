"""What zoo's decode engine (zoo.generation.engine) needs to know of a keras-hub LlamaBackbone.

The engine re-implements the forward pass on the backbone's own variables; this adapter
names those variables and does the Llama parts of the math: RMS norm in float32, rotary
embeddings from the model's own `LlamaRotaryEmbedding` (its `rope_max_wavelength` and
any llama-3 frequency scaling included), grouped-query attention with the scores scaled
after the dot product (LlamaAttention), and a SwiGLU feed-forward block whose gate and
up kernels are fused into one matmul.

Example:
>>> from zoo.generation.engine import DecodeEngine
>>> import zoo
>>> engine = DecodeEngine(zoo.get("llama-nano"))   # picks LlamaDecodeAdapter for its backbone
>>> type(engine.adapter).__name__
'LlamaDecodeAdapter'
"""
import numpy as np
import tensorflow as tf

DEFAULT_MAX_LENGTH = 2048  # RoPE has no position table; the engine's default context limit


class LlamaDecodeAdapter:
    """The Llama side of the decode engine.

    Args:
        backbone: a keras_hub LlamaBackbone.
    """

    backbone_class = "LlamaBackbone"

    def __init__(self, backbone):
        self.backbone = backbone
        self.num_heads = int(backbone.num_query_heads)
        self.num_kv_heads = int(backbone.num_key_value_heads)
        self.hidden = int(backbone.hidden_dim)
        self.head_dim = self.hidden // self.num_heads
        self.final_norm = backbone.layer_norm
        self.layers = []
        for tl in backbone.transformer_layers:
            att = tl._self_attention_layer
            self.layers.append(dict(
                ln1=tl._self_attention_layernorm, ln2=tl._feedforward_layernorm,
                q=att._query_dense, k=att._key_dense, v=att._value_dense, o=att._output_dense,
                gate=tl._feedforward_gate_dense, up=tl._feedforward_intermediate_dense,
                down=tl._feedforward_output_dense, act=tl.activation))
        self._rope = backbone.transformer_layers[0]._self_attention_layer.rotary_embedding_layer

    def max_length(self, requested):
        """The context limit: RoPE has no position table, so any request is taken as is.

        Args:
            requested: the engine's `max_length` argument (None: DEFAULT_MAX_LENGTH, 2048).

        Returns:
            The context limit in tokens.
        """
        return int(requested) if requested is not None else DEFAULT_MAX_LENGTH

    # --- weights (read inside the compiled functions; `cast` casts to the compute dtype)
    def model_weights(self, cast):
        """Model-level weights beyond the token embedding: none for Llama.

        Args:
            cast: casts a variable to the engine's compute dtype (unused).

        Returns:
            An empty dict.
        """
        return {}

    def norm_params(self, layer, cast):
        """The parameters `norm` needs of one RMS norm layer (kept in the variable's dtype).

        Args:
            layer: a `LlamaLayerNorm` of the backbone.
            cast: casts a variable to the engine's compute dtype (unused: the norm runs in float32).

        Returns:
            (scale, epsilon).
        """
        return (tf.convert_to_tensor(layer.scale), float(layer.epsilon))

    def ffn_weights(self, layer, cast):
        """The feed-forward weights of one decoder layer, gate and up kernels fused.

        Args:
            layer: the layer's entry of `self.layers` (a dict of its sublayers).
            cast: casts a variable to the engine's compute dtype.

        Returns:
            {"wgu": [hidden, 2 * intermediate] gate|up kernel, "w2": the down kernel}.
        """
        return {"wgu": tf.concat([cast(layer["gate"].kernel), cast(layer["up"].kernel)], axis=1),
                "w2": cast(layer["down"].kernel)}

    # --- math (traced inside the compiled functions)
    def norm(self, x, params, dtype):
        """RMS norm of `x` over its last axis, computed in float32.

        Args:
            x: the hidden states [..., hidden].
            params: (scale, epsilon) from `norm_params`.
            dtype: the compute dtype of the result.
        """
        scale, eps = params  # LlamaLayerNorm: RMS norm in float32
        x32 = tf.cast(x, tf.float32)
        var = tf.reduce_mean(tf.square(x32), axis=-1, keepdims=True)
        x32 = x32 * tf.math.rsqrt(var + eps)
        return tf.cast(x32 * tf.cast(scale, tf.float32), dtype)

    def embed(self, W, tokens, positions):
        """Token embeddings (positions enter through the rotary terms).

        Args:
            W: the engine's weight dict (`emb`).
            tokens: int token ids [B, T].
            positions: int position ids [B, T] (unused).

        Returns:
            The embeddings [B, T, hidden].
        """
        return tf.gather(W["emb"], tokens)

    def rotary(self, positions, dtype):
        """cos/sin [B, T, 1, head_dim] from the model's own rotary embedding layer.

        Args:
            positions: int position ids [B, T] (pad-adjusted).
            dtype: the compute dtype.

        Returns:
            (cos, sin).
        """
        dummy = tf.zeros([1, 1, 1, self.head_dim], dtype)
        return self._rope._compute_cos_sin_embedding(dummy, positions=tf.cast(positions, tf.float32))

    def position_qk(self, q, k, rotary):
        """Apply the rotary embedding to queries and keys.

        Args:
            q: queries [B, T, query_heads, head_dim].
            k: keys [B, T, key_value_heads, head_dim].
            rotary: (cos, sin) from `rotary`.

        Returns:
            (q, k) rotated.
        """
        cos, sin = rotary
        return self._rope._apply_rotary_pos_emb(q, cos, sin), self._rope._apply_rotary_pos_emb(k, cos, sin)

    def scale_scores(self, scores):
        """Scale the attention scores by 1/sqrt(head_dim), after the dot product.

        Args:
            scores: attention scores (query · key).
        """
        # LlamaAttention scales the scores, not the query
        return scores * tf.cast(1.0 / float(np.sqrt(self.head_dim)), scores.dtype)

    def ffn(self, lw, h, dtype):
        """The SwiGLU feed-forward block: (up * act(gate)) W2, the activation in float32.

        Args:
            lw: the layer's fused weight dict (`ffn_weights` entries and `act`, the activation).
            h: the normalised hidden states [B*T, hidden].
            dtype: the compute dtype.

        Returns:
            The block's output [B*T, hidden] (before the residual).
        """
        gate, up = tf.split(tf.matmul(h, lw["wgu"]), 2, axis=1)
        gate = tf.cast(lw["act"](tf.cast(gate, tf.float32)), dtype)
        return tf.matmul(up * gate, lw["w2"])
