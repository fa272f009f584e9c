"""The Transformer encoder-decoder (Vaswani et al. 2017) with Tensor2Tensor's choices.

    inputs [batch, input_length] ─► embed·√d + positions ─► N × EncoderLayer ─► layer norm
    targets shifted right (0 first) ─► embed·√d + positions ─► N × DecoderLayer ─► layer norm
    ─► logits [batch, target_length, vocab] = x · softmax_tableᵀ

Pre-norm residual blocks (T2T's layer_preprocess "n", layer_postprocess "da"); padding (id 0) is
masked in encoder self-attention and encoder-decoder attention, decoder self-attention is causal.
Embeddings of id 0 are zero, as in T2T's symbol modality, so the start symbol of the shifted
targets is a zero vector plus its position signal.

The inputs enter through the input encoder that their modality builds (`t2t.modality`): an
embedding table for symbols; for audio (`t2t.speech.modality.AudioModality`, features [batch,
frames, F]) a convolutional front end (two 3×3 stride-2 convolutions, then a projection to d_model,
as in T2T's transformer_librispeech). Positions and dropout are added to what the encoder gives,
and its padding (id 0, or the frames after each utterance) is masked. Targets are always symbols.

Inference encodes once and then decodes one position at a time with per-layer key/value caches
(`t2t.decode.search` runs greedy, sampling or beam search over them).
"""
from __future__ import annotations

import gin
import tensorflow as tf

from t2t.decode import search
from t2t.decode.params import DecodeParams
from t2t.decode.search import Cache, SymbolsToLogitsFn
from t2t.ids import PAD_ID
from t2t.layers.attention import MASKED, future_bias
from t2t.layers.core import Embedding, LayerNorm, dropout
from t2t.layers.losses import smoothed_cross_entropy
from t2t.layers.positional import add_timing_signal
from t2t.layers.random import SeedStream
from t2t.layers.shapes import check_shape, dim
from t2t.layers.transformer_layers import DecoderLayer, EncoderLayer
from t2t.modality import embed_symbols
from t2t.model import Model, ProblemInfo
from t2t.registry import register_model


def shift_right(targets: tf.Tensor) -> tf.Tensor:
    """targets [batch, length] -> decoder inputs [batch, length]: 0 first, then targets[:, :-1]."""
    return tf.pad(targets[:, :-1], [[0, 0], [1, 0]], constant_values=PAD_ID)


@register_model("transformer")
@gin.configurable("Transformer")
class Transformer(Model):
    """Encoder-decoder Transformer over inputs of any modality and symbol targets.

    Embeddings: with `shared_embedding_and_softmax_weights`, the target embedding is also the
    softmax weight, and when the inputs' modality can share it (symbols of the same vocabulary
    size), the inputs use that same table too (one ("vocab", "d_model") table in all). Otherwise
    only the target embedding and the softmax are shared. Without sharing, symbol inputs make a
    third table.

    Args:
      problem_info: the inputs' modality and the target vocabulary size.
      hidden_size: d_model. filter_size: d_ff of the feed-forward blocks.
      num_heads: attention heads (d_kv = hidden_size / num_heads).
      dropout: residual and embedding dropout (T2T's layer_prepostprocess_dropout).
      attention_dropout: dropout on attention weights. relu_dropout: on feed-forward hidden units.
      label_smoothing: see `loss`.
    """

    def __init__(self, problem_info: ProblemInfo, hidden_size: int = 512, filter_size: int = 2048,
                 num_heads: int = 8, num_encoder_layers: int = 6, num_decoder_layers: int = 6,
                 dropout: float = 0.1, attention_dropout: float = 0.1, relu_dropout: float = 0.1,
                 label_smoothing: float = 0.1, shared_embedding_and_softmax_weights: bool = True,
                 name: str = "transformer"):
        super().__init__(problem_info, name=name)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"Transformer: label_smoothing={label_smoothing} is not in [0, 1)")
        self.hidden_size = hidden_size
        self.dropout_rate = dropout
        self.label_smoothing = label_smoothing
        layer_args = dict(d_model=hidden_size, d_ff=filter_size, num_heads=num_heads,
                          dropout_rate=dropout, attention_dropout=attention_dropout,
                          relu_dropout=relu_dropout)
        share_all = (shared_embedding_and_softmax_weights and
                     problem_info.inputs.can_share_embedding(problem_info.target_vocab_size))
        with self.name_scope:
            self.target_embedding = Embedding(problem_info.target_vocab_size, hidden_size,
                                              name="embedding" if share_all else "target_embedding")
            self.input_encoder = problem_info.inputs.input_encoder(
                hidden_size, self.target_embedding if share_all else None)
            self.softmax = (self.target_embedding if shared_embedding_and_softmax_weights else
                            Embedding(problem_info.target_vocab_size, hidden_size, name="softmax"))
            self.encoder_layers = [EncoderLayer(**layer_args, name=f"encoder_layer_{i}")
                                   for i in range(num_encoder_layers)]
            self.encoder_norm = LayerNorm(hidden_size, name="encoder_norm")
            self.decoder_layers = [DecoderLayer(**layer_args, name=f"decoder_layer_{i}")
                                   for i in range(num_decoder_layers)]
            self.decoder_norm = LayerNorm(hidden_size, name="decoder_norm")

    def __call__(self, features: dict[str, tf.Tensor], training: bool,
                 seeds: SeedStream | None = None) -> tf.Tensor:
        """features {"inputs" [batch, input_length, ...] (as the input modality reads them),
        "targets" [batch, target_length]}
        -> float32 logits [batch, target_length, target_vocab] (teacher forcing)."""
        encoder_output, encoder_bias = self.encode(features["inputs"], training, seeds)
        return self.decode(shift_right(features["targets"]), encoder_output, encoder_bias,
                           training, seeds)

    def encode(self, inputs: tf.Tensor, training: bool,
               seeds: SeedStream | None = None) -> tuple[tf.Tensor, tf.Tensor]:
        """inputs [batch, input_length, ...] -> (encoder output [batch, length', d_model],
        padding bias [batch, 1, 1, length'] for attention to it), length' =
        `encoder_length(input_length)`."""
        x, padding = self.input_encoder(inputs, training, seeds)
        bias = (padding * MASKED)[:, None, None, :]
        x = dropout(add_timing_signal(x), self.dropout_rate, training, seeds)
        for layer in self.encoder_layers:
            x = layer(x, bias, training, seeds)
        return self.encoder_norm(x), bias

    def decode(self, decoder_inputs: tf.Tensor, encoder_output: tf.Tensor,
               encoder_bias: tf.Tensor, training: bool,
               seeds: SeedStream | None = None) -> tf.Tensor:
        """Shifted targets [batch, length] -> logits [batch, length, vocab], all positions at once."""
        check_shape(decoder_inputs, "[batch, length]", self.name)
        length = dim(decoder_inputs, 1)
        self_bias = future_bias(tf.range(length), length)
        x = self._embed(self.target_embedding, decoder_inputs, training, seeds)
        for layer in self.decoder_layers:
            x = layer(x, encoder_output, self_bias, encoder_bias, training, seeds)
        return self.softmax.logits(self.decoder_norm(x))

    def loss(self, logits: tf.Tensor, features: dict[str, tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
        """(loss_sum, weight_sum) of label-smoothed cross entropy over non-padding targets.

        T2T's convention: the smoothed distribution puts 1 - label_smoothing on the true symbol
        and label_smoothing / (vocab - 1) on every other one, and its entropy (the minimum
        achievable loss) is subtracted, so a perfect model has loss ≈ 0. weight_sum is the number
        of non-padding target tokens (float32).
        """
        return smoothed_cross_entropy(logits, features["targets"], self.label_smoothing)

    def infer(self, features: dict[str, tf.Tensor], params: DecodeParams,
              use_cache: bool = True) -> dict[str, tf.Tensor]:
        """Decodes features["inputs"] [batch, input_length] without teacher forcing.

        Up to `params.decode_length(encoder_length(input_length))` symbols: for audio, one
        character per encoder frame (40 ms with two stride-2 convolutions) is more than speech
        has, and extra_length adds a margin. `use_cache=False` recomputes the whole decoder on the
        prefix at every step instead of using key/value caches (same results, quadratic cost; for
        testing the cache).

        Returns {"outputs": int32 [batch, length], "scores": float32 [batch]}
        (see t2t.decode.search).
        """
        inputs = features["inputs"]
        max_length = params.decode_length(self.encoder_length(dim(inputs, 1)))
        symbols_to_logits_fn, cache = self.prepare_decoding(inputs, max_length, use_cache)
        return search.decode(symbols_to_logits_fn, dim(inputs, 0), max_length, cache, params)

    def encoder_length(self, input_length: int | tf.Tensor) -> int | tf.Tensor:
        """Encoder positions of `input_length` inputs (symbols, audio frames, ...)."""
        return self.input_encoder.output_length(input_length)

    def prepare_decoding(self, inputs: tf.Tensor, max_length: int | tf.Tensor,
                         use_cache: bool = True) -> tuple[SymbolsToLogitsFn, Cache]:
        """Encodes inputs [batch, input_length] (or audio frames) once; returns the decoding step
        and its cache.

        With `use_cache`, the cache holds per decoder layer the self-attention keys/values
        preallocated to [batch, heads, max_length, d_kv] and the encoder-decoder keys/values
        [batch, heads, encoder_length, d_kv]. Without it, the cache holds the decoder input ids so
        far [batch, max_length] and the encoder output, and every step reruns the full decoder.
        """
        encoder_output, encoder_bias = self.encode(inputs, training=False)
        if not use_cache:
            cache = {"ids": tf.zeros([dim(inputs, 0), max_length], tf.int32),
                     "encoder_output": encoder_output, "encoder_bias": encoder_bias}
            return self._uncached_step, cache
        cache = {"layers": [layer.init_cache(encoder_output, max_length)
                            for layer in self.decoder_layers],
                 "encoder_bias": encoder_bias}

        def cached_step(ids: tf.Tensor, step: tf.Tensor, cache: Cache) -> tuple[tf.Tensor, Cache]:
            """ids [batch] at position `step` -> logits [batch, vocab], updated caches."""
            x = self._embed(self.target_embedding, ids[:, None], training=False, start=step)
            self_bias = future_bias(step[None], max_length)
            new_layer_caches = []
            for layer, layer_cache in zip(self.decoder_layers, cache["layers"]):
                x, layer_cache = layer.decode_step(x, layer_cache, step, self_bias,
                                                   cache["encoder_bias"])
                new_layer_caches.append(layer_cache)
            logits = self.softmax.logits(self.decoder_norm(x))[:, 0]
            return logits, {"layers": new_layer_caches, "encoder_bias": cache["encoder_bias"]}

        return cached_step, cache

    def _uncached_step(self, ids: tf.Tensor, step: tf.Tensor,
                       cache: Cache) -> tuple[tf.Tensor, Cache]:
        """Writes ids [batch] at `step` of the decoder inputs and reruns the decoder on them all;
        the causal mask makes the unwritten positions after `step` irrelevant."""
        at_step = tf.equal(tf.range(dim(cache["ids"], 1)), step)[None, :]
        decoder_inputs = tf.where(at_step, ids[:, None], cache["ids"])
        logits = self.decode(decoder_inputs, cache["encoder_output"], cache["encoder_bias"],
                             training=False)
        return tf.gather(logits, step, axis=1), {**cache, "ids": decoder_inputs}

    def _embed(self, embedding: Embedding, ids: tf.Tensor, training: bool,
               seeds: SeedStream | None = None, start: int | tf.Tensor = 0) -> tf.Tensor:
        """ids [batch, length] -> `embed_symbols` + positions from `start`, then dropout:
        [batch, length, d_model]."""
        x = add_timing_signal(embed_symbols(embedding, ids), start)
        return dropout(x, self.dropout_rate, training, seeds)
