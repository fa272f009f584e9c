"""DeepSpeech2 (Amodei et al. 2016): convolutions over a spectrogram, bidirectional GRUs, CTC.

    inputs [batch, frames, F]           log-mel features (F = 80, or 240 with deltas), 0-padded
    ─► [batch, frames, 80, F/80]        mel bins × channels (static | delta | delta-delta)
    ─► frequency warp, SpecAugment      training only: vocal-tract-length perturbation, masks
    ─► N × (Conv2D ─► FrameLayerNorm ─► clipped ReLU)   strides shrink time and frequency
    ─► [batch, T', freq' · channels]    T' = frames / (product of the time strides), rounded up
    ─► M × (LayerNorm ─► BidirectionalGRU (directions summed) ─► dropout)
    ─► Dense ─► clipped ReLU ─► dropout ─► Dense
    ─► logits [batch, T', target_vocab]   CTC over characters; class 0 (PAD) is the blank

Clipped ReLU is min(max(x, 0), 20), as in the paper. Normalization is layer norm, not the paper's
batch norm: it has no batch statistics, so an utterance gives the same outputs in any batch and with
any padding, on any number of replicas, and in training and inference alike.

Lengths: `features["inputs_length"]` (int32 [batch], frames) when given, else derived from the
zero padding: 1 + the last frame that is not all zeros (`t2t.layers.sequence.frame_lengths`). The
problem's per-utterance normalization makes every real frame non-zero, and an all-zero (silent)
utterance gets length 0 and decodes to nothing. Padding never changes a valid frame's output:
convolutions pad their edges themselves and padding frames are zeroed between layers.

Targets are int32 [batch, target_length]: character ids (≥ 2), then EOS (1), then 0-padding; CTC
labels are the ids before EOS. `loss` returns (sum of CTC losses, number of target characters), so
the trainer's division gives a loss per character. An utterance with fewer output frames than CTC
needs for its transcript (characters + repeated neighbours), or with an empty transcript, cannot be
aligned: it is left out of both sums instead of making the loss infinite. The loss uses TF's CTC
kernel (sparse labels), ~10x faster on CPU than the dense pure-TF path, but without an XLA kernel:
with --xla_compile the model does not compile.

`infer` decodes each utterance's T' frames, never emitting EOS (no CTC label), with CTC greedy
search (beam_size 1: best class per frame, repeats merged, blanks dropped),
`tf.nn.ctc_beam_search_decoder` (beam_size > 1), or, with `DecodeParams.lm_path`, a prefix beam
search fused with a character n-gram LM (`t2t.ctc_lm_decoding`: log p_ctc + lm_weight · log p_lm +
lm_bonus · characters), and with `DecodeParams.word_lm_path` also a word n-gram LM (interpolated
with `DecodeParams.backoff_lm_path`'s backoff LM if given, `t2t.word_lm_mixture`), run on the host
through `tf.numpy_function`. The character LM's alphabet must be the model's characters in id
order (ids 2, 3, ... as in problems/speech.py); LMs are loaded once per model and path. `infer`
returns {"outputs": int32 [batch, length] ids, then EOS, then 0s; "scores": float32 [batch] the
log-probability of the best frame path (greedy), of the beam's best transcript (beam), or the fused
score of the best transcript (LM)}.
"""
from __future__ import annotations

import math
from typing import Sequence

import gin
import numpy as np
import tensorflow as tf

from t2t.backoff_lm import BackoffLM
from t2t.char_lm import CharNgramLM
from t2t.ctc_lm_decoding import WordLM, ctc_prefix_beam_search
from t2t.decoding import DecodeParams
from t2t.layers.conv import Conv2D, FrameLayerNorm
from t2t.layers.core import Dense, LayerNorm, dropout
from t2t.layers.frequency_warp import frequency_warp
from t2t.layers.gru import BidirectionalGRU
from t2t.layers.precision import compute_dtype_by_name
from t2t.layers.random import SeedStream
from t2t.layers.sequence import frame_lengths, mask_padding, strided_lengths
from t2t.layers.shapes import check_shape
from t2t.layers.spec_augment import spec_augment
from t2t.model import EOS_ID, PAD_ID, Model, ProblemInfo
from t2t.registry import register_model
from t2t.word_lm import WordNgramLM
from t2t.word_lm_mixture import InterpolatedWordLM

BLANK_ID = PAD_ID
FIRST_CHARACTER_ID = EOS_ID + 1  # the LM's alphabet[i] is class FIRST_CHARACTER_ID + i
CLIP = 20.0


def clipped_relu(x: tf.Tensor) -> tf.Tensor:
    """min(max(x, 0), 20)."""
    return tf.minimum(tf.nn.relu(x), CLIP)


@register_model("deepspeech2")
@gin.configurable("DeepSpeech2")
class DeepSpeech2(Model):
    """Convolutions + bidirectional GRUs + CTC over audio features (see the module docstring).

    Args:
      problem_info: input_modality "audio", input_feature_size a multiple of num_mel_bins.
      num_mel_bins: frequency bins per channel of the input features.
      conv_channels: output channels of each convolution (one entry per layer).
      conv_kernels: (time, freq) kernel of each convolution, in frames and bins.
      conv_strides: (time, freq) stride of each convolution.
      num_rnn_layers, rnn_hidden_size: bidirectional GRU layers and their width (per direction).
      fully_connected_size: width of the hidden fully connected layer before the softmax.
      dropout: on the outputs of every GRU layer and of the fully connected layer.
      time_masks, max_time_mask_frames, freq_masks, max_freq_mask_bins: SpecAugment in training
        (counts and maximum widths; 0 masks turn it off).
      max_freq_warp: in training, each utterance's mel axis is warped by a factor drawn from
        [1 − max_freq_warp, 1 + max_freq_warp] (`t2t.layers.frequency_warp`; 0 turns it off).
      compute_dtype: "float32" or "bfloat16": the arithmetic of the convolutions, the GRUs'
        matmuls and the fully connected layer (`t2t.layers.precision`; weights, normalization,
        the output layer and the loss stay float32).
    """

    def __init__(self, problem_info: ProblemInfo, num_mel_bins: int = 80,
                 conv_channels: Sequence[int] = (32, 32),
                 conv_kernels: Sequence[Sequence[int]] = ((11, 41), (11, 21)),
                 conv_strides: Sequence[Sequence[int]] = ((2, 2), (1, 2)),
                 num_rnn_layers: int = 3, rnn_hidden_size: int = 256,
                 fully_connected_size: int = 256, dropout: float = 0.1, time_masks: int = 2,
                 max_time_mask_frames: int = 40, freq_masks: int = 2, max_freq_mask_bins: int = 27,
                 max_freq_warp: float = 0.0, compute_dtype: str = "float32",
                 name: str = "deepspeech2"):
        super().__init__(problem_info, name=name)
        _check_config(problem_info, num_mel_bins, conv_channels, conv_kernels, conv_strides,
                      max_freq_warp)
        layer_dtype = compute_dtype_by_name(compute_dtype, "DeepSpeech2")
        self.num_mel_bins = num_mel_bins
        self.input_channels = problem_info.input_feature_size // num_mel_bins
        self.time_strides = [int(stride[0]) for stride in conv_strides]
        self.dropout_rate = dropout
        self.max_freq_warp = max_freq_warp
        self.augment = time_masks + freq_masks > 0 or max_freq_warp > 0
        self.spec_augment_args = dict(time_masks=time_masks, max_time_width=max_time_mask_frames,
                                      freq_masks=freq_masks, max_freq_width=max_freq_mask_bins)
        vocab_size = problem_info.target_vocab_size
        with self.name_scope:
            self.convs, self.conv_norms = [], []
            channels, bins = self.input_channels, num_mel_bins
            for index, (out_channels, kernel, stride) in enumerate(
                    zip(conv_channels, conv_kernels, conv_strides)):
                self.convs.append(Conv2D(channels, out_channels, kernel, stride, layer_dtype,
                                         name=f"conv_{index}"))
                self.conv_norms.append(FrameLayerNorm(out_channels, name=f"conv_norm_{index}"))
                channels, bins = out_channels, math.ceil(bins / stride[1])
            rnn_input_size = channels * bins
            self.rnn_norms, self.rnns = [], []
            for index in range(num_rnn_layers):
                size = rnn_input_size if index == 0 else rnn_hidden_size
                self.rnn_norms.append(LayerNorm(size, name=f"rnn_norm_{index}"))
                self.rnns.append(BidirectionalGRU(size, rnn_hidden_size, layer_dtype,
                                                  name=f"rnn_{index}"))
            self.fully_connected = Dense("btd,df->btf", [rnn_hidden_size, fully_connected_size],
                                         ("d_hidden", "d_ff"), use_bias=True,
                                         compute_dtype=layer_dtype, name="fully_connected")
            self.output_layer = Dense("btf,fv->btv", [fully_connected_size, vocab_size],
                                      ("d_ff", "vocab"), use_bias=True, name="output")
        self._language_models: dict[str, CharNgramLM | WordNgramLM | BackoffLM] = {}  # by path

    # -- lengths
    def input_lengths(self, features: dict[str, tf.Tensor]) -> tf.Tensor:
        """int32 [batch]: frames of each utterance (see the module docstring)."""
        if "inputs_length" in features:
            return tf.cast(features["inputs_length"], tf.int32)
        return frame_lengths(features["inputs"])

    def output_lengths(self, features: dict[str, tf.Tensor]) -> tf.Tensor:
        """int32 [batch]: logit frames of each utterance, after the convolutions' time strides."""
        lengths = self.input_lengths(features)
        for stride in self.time_strides:
            lengths = strided_lengths(lengths, stride)
        return lengths

    # -- the network
    def __call__(self, features: dict[str, tf.Tensor], training: bool,
                 seeds: SeedStream | None = None) -> tf.Tensor:
        """features {"inputs": float32 [batch, frames, F], ...} → logits float32
        [batch, T', target_vocab] (T' = output_lengths' padded size)."""
        inputs = features["inputs"]
        check_shape(inputs, "[batch, frames, features]", self.name,
                    features=self.problem_info.input_feature_size)
        lengths = self.input_lengths(features)
        batch, frames = tf.shape(inputs)[0], tf.shape(inputs)[1]
        x = tf.reshape(inputs, [batch, frames, self.input_channels, self.num_mel_bins])
        x = tf.transpose(x, [0, 1, 3, 2])                     # [batch, frames, mels, channels]
        if training and self.augment:
            if seeds is None:
                raise ValueError(f"{self.name}: SpecAugment in training needs `seeds`")
            if self.max_freq_warp:
                x = frequency_warp(x, seeds.next(), self.max_freq_warp)
            x = spec_augment(x, lengths, seeds.next(), **self.spec_augment_args)
        for conv, norm, stride in zip(self.convs, self.conv_norms, self.time_strides):
            lengths = strided_lengths(lengths, stride)
            x = mask_padding(clipped_relu(norm(conv(x))), lengths)
        x = tf.reshape(x, [batch, tf.shape(x)[1], x.shape[2] * x.shape[3]])
        for norm, rnn in zip(self.rnn_norms, self.rnns):
            x = dropout(rnn(norm(x), lengths), self.dropout_rate, training, seeds)
        x = dropout(clipped_relu(self.fully_connected(x)), self.dropout_rate, training, seeds)
        return self.output_layer(x)

    # -- training
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

    # -- decoding
    def decoding_logits(self, features: dict[str, tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
        """What every CTC search reads: (logits float32 [batch, T', vocab] with EOS — no CTC
        label, transcripts end where the frames end — at -1e9, lengths int32 [batch] of the valid
        frames)."""
        logits = self(features, training=False)
        is_eos = tf.equal(tf.range(tf.shape(logits)[-1]), EOS_ID)
        logits = tf.where(is_eos, tf.constant(-1e9, logits.dtype), logits)
        return logits, self.output_lengths(features)

    def infer(self, features: dict[str, tf.Tensor], params: DecodeParams) -> dict[str, tf.Tensor]:
        """CTC greedy (beam_size 1), beam search, or LM-fused beam search (params.lm_path)
        decoding of features["inputs"]."""
        logits, lengths = self.decoding_logits(features)
        if params.lm_path:
            lm = self._language_model(params.lm_path)
            word_lm = self._word_language_model(params.word_lm_path, params.backoff_lm_path,
                                                params.backoff_lm_weight)
            labels, scores = _ctc_lm_beam_search(logits, lengths, lm, word_lm, params)
        elif params.beam_size > 1:
            labels, scores = _ctc_beam_search(logits, lengths, params.beam_size)
        else:
            labels, scores = _ctc_greedy(logits, lengths)
        eos = tf.RaggedTensor.from_tensor(tf.fill([tf.shape(logits)[0], 1], EOS_ID))
        outputs = tf.concat([labels, eos], axis=1).to_tensor(PAD_ID)
        return {"outputs": outputs, "scores": scores}

    # Plain Python at trace time: AutoGraph would convert the LM's loading loops and run them ~10x
    # slower.
    @tf.autograph.experimental.do_not_convert
    def _language_model(self, path: str) -> CharNgramLM:
        """The LM at `path`, loaded on first use; its alphabet must match the model's characters."""
        if path not in self._language_models:
            lm = CharNgramLM.load(path)
            characters = self.problem_info.target_vocab_size - FIRST_CHARACTER_ID
            if len(lm.alphabet) != characters:
                raise ValueError(f"character LM {path}: its alphabet {lm.alphabet!r} has "
                                 f"{len(lm.alphabet)} characters, but {self.name} has {characters} "
                                 f"(ids {FIRST_CHARACTER_ID}.."
                                 f"{FIRST_CHARACTER_ID + characters - 1}); train the LM on this "
                                 f"problem's transcripts")
            self._language_models[path] = lm
        return self._language_models[path]

    @tf.autograph.experimental.do_not_convert
    def _word_language_model(self, path: str, backoff_path: str = "", backoff_weight: float = 0.0
                             ) -> WordLM | None:
        """The word LM at `path` (None for ""), interpolated with the backoff LM at `backoff_path`
        (if any) with weight `backoff_weight`; each file is loaded on first use."""
        if not path:
            return None
        if path not in self._language_models:
            self._language_models[path] = WordNgramLM.load(path)
        if not backoff_path:
            return self._language_models[path]
        if backoff_path not in self._language_models:
            self._language_models[backoff_path] = BackoffLM.load(backoff_path)
        return InterpolatedWordLM(self._language_models[path],
                                  self._language_models[backoff_path], backoff_weight)


def _check_config(problem_info: ProblemInfo, num_mel_bins: int, conv_channels: Sequence[int],
                  conv_kernels: Sequence[Sequence[int]],
                  conv_strides: Sequence[Sequence[int]], max_freq_warp: float) -> None:
    problems = []
    if problem_info.input_modality != "audio":
        problems.append(f"inputs must be audio features, got {problem_info.input_modality!r}")
    elif problem_info.input_feature_size % num_mel_bins:
        problems.append(f"input_feature_size {problem_info.input_feature_size} is not a multiple "
                        f"of num_mel_bins {num_mel_bins}")
    if not len(conv_channels) == len(conv_kernels) == len(conv_strides):
        problems.append(f"conv_channels {conv_channels}, conv_kernels {conv_kernels} and "
                        f"conv_strides {conv_strides} must have one entry per layer")
    if any(len(pair) != 2 for pair in [*conv_kernels, *conv_strides]):
        problems.append("conv kernels and strides are (time, freq) pairs")
    if not 0.0 <= max_freq_warp < 1.0:
        problems.append(f"max_freq_warp must be in [0, 1), got {max_freq_warp}")
    if problems:
        raise ValueError(f"DeepSpeech2: {'; '.join(problems)}")


def _repeats(targets: tf.Tensor, is_label: tf.Tensor) -> tf.Tensor:
    """int32 [batch]: labels equal to the label before them (CTC needs a blank between them)."""
    same = tf.equal(targets[:, 1:], targets[:, :-1]) & is_label[:, 1:]
    return tf.reduce_sum(tf.cast(same, tf.int32), axis=1)


def _ctc_greedy(logits: tf.Tensor, lengths: tf.Tensor) -> tuple[tf.RaggedTensor, tf.Tensor]:
    """Best class per frame, repeats merged, blanks dropped → (ragged ids, path log-prob)."""
    log_probs = tf.nn.log_softmax(logits)
    best = tf.argmax(logits, axis=-1, output_type=tf.int32)             # [batch, frames]
    valid = tf.sequence_mask(lengths, tf.shape(best)[1])
    previous = tf.pad(best[:, :-1], [[0, 0], [1, 0]], constant_values=BLANK_ID)
    keep = valid & tf.not_equal(best, BLANK_ID) & tf.not_equal(best, previous)
    scores = tf.reduce_sum(tf.where(valid, tf.reduce_max(log_probs, axis=-1), 0.0), axis=1)
    return tf.ragged.boolean_mask(best, keep), scores


def _ctc_beam_search(logits: tf.Tensor, lengths: tf.Tensor,
                     beam_size: int) -> tuple[tf.RaggedTensor, tf.Tensor]:
    """`tf.nn.ctc_beam_search_decoder`, which wants the blank last: class 0 is moved to the end
    and decoded ids are shifted back."""
    blank_last = tf.concat([logits[..., BLANK_ID + 1:], logits[..., :BLANK_ID + 1]], axis=-1)
    decoded, log_probs = tf.nn.ctc_beam_search_decoder(
        tf.transpose(tf.nn.log_softmax(blank_last), [1, 0, 2]), lengths, beam_width=beam_size,
        top_paths=1)
    best = decoded[0]
    ids = tf.RaggedTensor.from_value_rowids(
        tf.cast(best.values, tf.int32) + BLANK_ID + 1, best.indices[:, 0],
        nrows=tf.shape(logits, out_type=tf.int64)[0])
    return ids, log_probs[:, 0]


def lm_characters(lm: CharNgramLM) -> dict[int, str]:
    """Class id → LM character: the LM's alphabet[i] is class FIRST_CHARACTER_ID + i."""
    return {FIRST_CHARACTER_ID + i: char for i, char in enumerate(lm.alphabet)}


def _ctc_lm_beam_search(logits: tf.Tensor, lengths: tf.Tensor, lm: CharNgramLM,
                        word_lm: WordLM | None,
                        params: DecodeParams) -> tuple[tf.RaggedTensor, tf.Tensor]:
    """`ctc_prefix_beam_search` with the LMs, per utterance on the host → (ragged ids, fused
    score)."""
    id_to_char = lm_characters(lm)

    def search(log_probs: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, ...]:
        best = [ctc_prefix_beam_search(utterance[:length], BLANK_ID, id_to_char, lm,
                                       params.lm_weight, params.lm_bonus, params.beam_size,
                                       word_lm=word_lm)
                for utterance, length in zip(log_probs, lengths)]
        ids = np.zeros([len(best), max((len(h.ids) for h in best), default=0)], np.int32)
        for row, hypothesis in enumerate(best):
            ids[row, :len(hypothesis.ids)] = hypothesis.ids
        return (ids, np.array([len(h.ids) for h in best], np.int32),
                np.array([h.score for h in best], np.float32))

    ids, counts, scores = tf.numpy_function(search, [tf.nn.log_softmax(logits), lengths],
                                            [tf.int32, tf.int32, tf.float32], stateful=False)
    ids.set_shape([None, None])
    counts.set_shape([None])
    scores.set_shape([None])
    return tf.RaggedTensor.from_tensor(ids, lengths=counts), scores
