"""A toy model: tags each input position with one output symbol (outputs as long as inputs)."""
import gin
import tensorflow as tf

from t2t.decode.params import DecodeParams
from t2t.layers.core import Dense
from t2t.layers.losses import smoothed_cross_entropy
from t2t.layers.random import SeedStream
from t2t.model import Model, ProblemInfo
from t2t.registry import register_model


@register_model                                # registered as "tagger"
@gin.configurable
class Tagger(Model):
    """inputs [batch, length] ─► input encoder ─► ReLU layer ─► logits [batch, length, vocab]."""

    def __init__(self, problem_info: ProblemInfo, hidden_size: int = 32, name: str = "tagger"):
        super().__init__(problem_info, name=name)
        vocab_size = problem_info.target_vocab_size
        with self.name_scope:
            self.input_encoder = problem_info.inputs.input_encoder(hidden_size)
            self.hidden = Dense("bld,dh->blh", [hidden_size, hidden_size], ("d_model", "d_ff"),
                                use_bias=True, name="hidden")
            self.output_layer = Dense("blh,hv->blv", [hidden_size, vocab_size],
                                      ("d_ff", "vocab"), use_bias=True, name="output")

    def __call__(self, features: dict[str, tf.Tensor], training: bool,
                 seeds: SeedStream | None = None) -> tf.Tensor:
        x, _ = self.input_encoder(features["inputs"], training, seeds)
        return self.output_layer(tf.nn.relu(self.hidden(x)))

    def loss(self, logits: tf.Tensor,
             features: dict[str, tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
        return smoothed_cross_entropy(logits, features["targets"], label_smoothing=0.0)

    def infer(self, features: dict[str, tf.Tensor], params: DecodeParams) -> dict[str, tf.Tensor]:
        log_probs = tf.nn.log_softmax(self(features, training=False))
        return {"outputs": tf.argmax(log_probs, axis=-1, output_type=tf.int32),
                "scores": tf.reduce_sum(tf.reduce_max(log_probs, axis=-1), axis=1)}
