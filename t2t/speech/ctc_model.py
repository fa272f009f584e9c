"""The base of models trained with CTC: logits per frame, the CTC loss, CTC decoding.

A subclass builds the network (`__call__`: features → logits [batch, T', vocab]) and says how
many of its output frames are valid (`output_lengths`); the base gives it

  - `loss`: CTC over the target characters (ids > EOS_ID before EOS), class 0 (PAD) the blank;
  - `infer`: a CTC search from `t2t.speech.ctc_search`, chosen by `CtcDecodeParams`;
  - `example_adapter`: test-time adaptation to each utterance (`adapt_steps`).

An utterance with fewer output frames than CTC needs for its transcript (characters + repeated
neighbours), or with an empty transcript, cannot be aligned: it is left out of both of the loss's
sums instead of making the loss infinite. The loss uses TF's CTC kernel (sparse labels), faster on
CPU than the dense pure-TF path (docs/benchmarks.md), but without an XLA kernel: with --xla_compile a CTC model does not compile.
"""
from __future__ import annotations

import tensorflow as tf

from t2t.ids import EOS_ID, PAD_ID
from t2t.layers.shapes import check_shape
from t2t.model import ExampleAdapter, Model
from t2t.speech.adaptation import UtteranceAdapter
from t2t.speech.ctc_search import CtcDecodeParams, ctc_search_for
from t2t.speech.transcripts import BLANK_ID

# What decoding_logits gives EOS, which is no CTC label: transcripts end where the frames end.
_NEVER = -1e9


class CtcModel(Model):
    """A model whose logits are per frame and whose targets are characters aligned by CTC."""

    DECODE_PARAMS = CtcDecodeParams

    def output_lengths(self, features: dict[str, tf.Tensor]) -> tf.Tensor:
        """int32 [batch]: the valid logit frames of each example."""
        raise NotImplementedError

    def loss(self, logits: tf.Tensor, features: dict[str, tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
        """(sum of per-utterance CTC losses, number of target characters), over the utterances
        CTC can align (see the module docstring)."""
        targets = features["targets"]
        check_shape(targets, "[batch, target_length]", self.name)
        logit_lengths = self.output_lengths(features)
        is_label = targets > EOS_ID
        label_lengths = tf.reduce_sum(tf.cast(is_label, tf.int32), axis=1)
        usable = ((label_lengths > 0) &
                  (logit_lengths >= label_lengths + _repeats(targets, is_label)))
        # TF's CTC kernel rejects empty label rows: the unusable rows get a one-label stand-in
        # over at least one frame, and their losses are dropped below.
        stand_in = tf.one_hot(0, tf.shape(targets)[1], on_value=EOS_ID + 1, off_value=BLANK_ID)
        labels = tf.where(usable[:, None], tf.where(is_label, targets, BLANK_ID), stand_in[None])
        logit_lengths = tf.where(usable, logit_lengths, tf.maximum(logit_lengths, 1))
        losses = tf.nn.ctc_loss(labels=tf.sparse.from_dense(labels), logits=logits,
                                label_length=None, logit_length=logit_lengths,
                                logits_time_major=False, blank_index=BLANK_ID)
        loss_sum = tf.reduce_sum(tf.where(usable, losses, 0.0))
        weight_sum = tf.reduce_sum(tf.cast(tf.where(usable, label_lengths, 0), tf.float32))
        return loss_sum, weight_sum

    def correct_predictions(self, logits: tf.Tensor,
                            features: dict[str, tf.Tensor]) -> tf.Tensor | None:
        """None: CTC frames are not aligned with target characters."""
        return None

    def decoding_logits(self, features: dict[str, tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
        """What every CTC search reads: (logits float32 [batch, T', vocab] with EOS at -1e9,
        lengths int32 [batch] of the valid frames)."""
        logits = self(features, training=False)
        is_eos = tf.equal(tf.range(tf.shape(logits)[-1]), EOS_ID)
        logits = tf.where(is_eos, tf.constant(_NEVER, logits.dtype), logits)
        return logits, self.output_lengths(features)

    def infer(self, features: dict[str, tf.Tensor],
              params: CtcDecodeParams) -> dict[str, tf.Tensor]:
        """Decodes features["inputs"] with the CTC search `params` asks for.

        Returns {"outputs": int32 [batch, length]: class ids, then EOS, then 0s; "scores": float32
        [batch], as the search defines them (`t2t.speech.ctc_search`)}.
        """
        logits, lengths = self.decoding_logits(features)
        search = ctc_search_for(params, self.problem_info.target_vocab_size)
        labels, scores = search(logits, lengths)
        eos = tf.RaggedTensor.from_tensor(tf.fill([tf.shape(logits)[0], 1], EOS_ID))
        return {"outputs": tf.concat([labels, eos], axis=1).to_tensor(PAD_ID), "scores": scores}

    def example_adapter(self, params: CtcDecodeParams) -> ExampleAdapter | None:
        """With `adapt_steps`, each utterance is decoded by the model adapted to it alone."""
        if not params.adapt_steps:
            return None
        return UtteranceAdapter(self, params.adapt_steps, params.adapt_learning_rate)


def _repeats(targets: tf.Tensor, is_label: tf.Tensor) -> tf.Tensor:
    """int32 [batch]: labels equal to the label before them (CTC needs a blank between them)."""
    same = tf.equal(targets[:, 1:], targets[:, :-1]) & is_label[:, 1:]
    return tf.reduce_sum(tf.cast(same, tf.int32), axis=1)
