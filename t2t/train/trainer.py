"""The training loop: one compiled train step on a mesh plan, checkpoints, eval, summaries.

    trainer = Trainer(problem, "transformer", plan, RunOptions(output_dir=..., data_dir=...))
    trainer.train()

What one step does (`Trainer._train_step`, a `tf.function`):
  1. takes the next global batch from a checkpointable tf.data iterator (so a resumed run sees
     exactly the batches an uninterrupted run would have seen);
  2. on every replica: slices its rows, computes loss sums and gradients (`_compute_gradients`,
     compiled by XLA when `xla_compile` is set);
  3. sums gradients and token counts over replicas, divides by the global token count (so the loss
     is per target token of the global batch, whatever the number of devices) and applies the
     optimizer update.
"""
from __future__ import annotations

import math
import os
import shutil
import tempfile
import time

import tensorflow as tf
from absl import logging

from t2t import registry

from t2t.data import batching

from t2t.decode import inference

from t2t.train import learning_rate, optimizers
from t2t.layers.random import SeedStream
from t2t.train.hparams import RunOptions, TrainHparams
from t2t.train.mesh import Plan
from t2t.ids import PAD_ID
from t2t.model import Model
from t2t.problem import Problem


# Training examples read at start-up to count (and log) those longer than max_length.
LENGTH_SAMPLE = 10_000


class Trainer:
    """Trains a registered model on a problem under a mesh plan."""

    def __init__(self, problem: Problem, model_name: str, plan: Plan, options: RunOptions,
                 hparams: TrainHparams | None = None):
        self.problem, self.plan, self.options = problem, plan, options
        self.hparams = hparams or TrainHparams()
        self.stop_requested = False  # set by request_stop
        tf.random.set_seed(options.random_seed)
        tf.config.experimental.enable_op_determinism()
        _ensure_data(problem, options)
        problem.load_vocabularies(options.data_dir)
        with plan.scope():
            self.model: Model = registry.models.get(model_name)(problem.info())
            self.optimizer = optimizers.make_optimizer(self.hparams.optimizer,
                                                       self.model.trainable_variables)
        self._train_iterator = iter(self._train_dataset())
        self.checkpoint = tf.train.Checkpoint(model=self.model, optimizer=self.optimizer,
                                              train_data=self._train_iterator)
        # Every host saves (saving is a collective step), but only the chief into output_dir;
        # the others write to a scratch dir of their own. All hosts resume from output_dir.
        self._save_dir = (options.output_dir if plan.is_chief else
                          tempfile.mkdtemp(prefix=f"t2t-worker{plan.worker_id}-"))
        self.checkpoints = tf.train.CheckpointManager(
            self.checkpoint, self._save_dir, max_to_keep=options.keep_checkpoints)
        if plan.is_chief:
            self._summaries = tf.summary.create_file_writer(options.output_dir)
            self._eval_summaries = tf.summary.create_file_writer(
                os.path.join(options.output_dir, "eval"))
        else:
            self._summaries = self._eval_summaries = tf.summary.create_noop_writer()
        self._compute_gradients = tf.function(self._gradients, jit_compile=options.xla_compile,
                                              reduce_retracing=True)
        self._train_step = tf.function(self._step, reduce_retracing=True)
        self._eval_step = tf.function(self._eval_sums, reduce_retracing=True)
        self.losses: list[float] = []  # training loss of every step this process ran

    @property
    def step(self) -> int:
        return int(self.optimizer.iterations.numpy())

    # -- data
    def _train_dataset(self) -> tf.data.Dataset:
        dataset = self.problem.dataset("train", self.options.data_dir, shuffle_files=True)
        # A sample keeps start-up short on big corpora (all of LibriSpeech would take minutes).
        too_long, total = batching.count_too_long(dataset.take(LENGTH_SAMPLE),
                                                  self.hparams.max_length)
        logging.info("train data: of the first %d examples, %d are longer than max_length=%d "
                     "and left out of training", total, too_long, self.hparams.max_length)
        dataset = dataset.shuffle(self.hparams.shuffle_buffer, seed=self.options.random_seed)
        return batching.batch_by_tokens(
            dataset.repeat(), self.hparams.batch_size, self.hparams.max_length,
            min_batch_multiple=self.plan.num_replicas,
            pad_to_bucket_boundary=self.options.xla_compile).prefetch(2)

    def _eval_dataset(self) -> tf.data.Dataset:
        dataset = batching.eval_batches(self.problem.dataset("dev", self.options.data_dir),
                                        self.hparams.eval_batch_size)
        if self.options.eval_steps:
            dataset = dataset.take(self.options.eval_steps)
        return dataset

    # -- the step
    def _gradients(self, batch: dict[str, tf.Tensor], seed: tf.Tensor):
        """One replica's forward and backward pass → (loss_sum, weight_sum, gradients)."""
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            logits = self.model(batch, training=True, seeds=SeedStream(seed))
            loss_sum, weight_sum = self.model.loss(logits, batch)
        gradients = tape.gradient(loss_sum, variables)
        # A weight the loss does not reach (e.g. an unused embedding) gets a zero gradient.
        gradients = [tf.zeros_like(variable) if gradient is None else gradient
                     for variable, gradient in zip(variables, gradients)]
        return loss_sum, weight_sum, gradients

    def _step(self, iterator) -> dict[str, tf.Tensor]:
        batch = next(iterator)
        base_seed = tf.stack([tf.constant(self.options.random_seed, tf.int64),
                              self.optimizer.iterations])

        def replica_step(local_batch):
            seed = tf.random.experimental.stateless_fold_in(base_seed, self.plan.replica_id())
            loss_sum, weight_sum, gradients = self._compute_gradients(local_batch, seed)
            loss_sum, weight_sum, gradients = self.plan.all_reduce_sum(
                (loss_sum, weight_sum, gradients))
            weight_sum = tf.maximum(weight_sum, 1.0)
            gradients = [gradient / weight_sum for gradient in gradients]
            if self.hparams.clip_gradient_norm > 0:
                gradients, _ = tf.clip_by_global_norm(gradients, self.hparams.clip_gradient_norm)
            rate = learning_rate.learning_rate_schedule(self.optimizer.iterations + 1)
            self.optimizer.apply_gradients(self.plan, gradients, rate)
            return loss_sum / weight_sum, rate

        loss, rate = self.plan.run(replica_step, batch)
        return {"loss": self.plan.reduce_sum(loss) / self.plan.num_replicas,
                "learning_rate": self.plan.reduce_sum(rate) / self.plan.num_replicas,
                "tokens": _count_tokens(batch)}

    def _eval_sums(self, batch: dict[str, tf.Tensor]) -> tf.Tensor:
        """Sums of (loss, target tokens, correctly predicted tokens) over one dev batch; the
        last is -1 for models whose logits do not align with targets."""
        def replica_sums(local_batch):
            logits = self.model(local_batch, training=False)
            loss_sum, weight_sum = self.model.loss(logits, local_batch)
            correct = self.model.correct_predictions(logits, local_batch)
            return tf.stack([loss_sum, weight_sum, tf.constant(-1.0) if correct is None
                             else correct])

        return self.plan.reduce_sum(self.plan.run(replica_sums, batch))

    # -- the loop
    def request_stop(self) -> None:
        """Makes `train` stop after the step it is in (and save a checkpoint); safe to call from a
        signal handler."""
        self.stop_requested = True

    def train(self) -> dict[str, float]:
        """Trains to `train_steps` (resuming from the latest checkpoint), or until `request_stop`;
        returns the last eval."""
        options = self.options
        latest = tf.train.latest_checkpoint(options.output_dir)
        if latest:
            self.checkpoint.restore(latest).assert_consumed()
            logging.info("resumed from %s at step %d", latest, self.step)
        self._log_setup()
        progress = _Progress(self.step, options.train_steps)
        metrics: dict[str, float] = {}
        try:
            while self.step < options.train_steps and not self.stop_requested:
                result = self._train_step(self._train_iterator)
                step = self.step
                loss = float(result["loss"])
                if not math.isfinite(loss):
                    raise FloatingPointError(f"loss became {loss} at step {step}")
                self.losses.append(loss)
                progress.add_tokens(int(result["tokens"]))
                if step % options.log_every == 0 or step == options.train_steps:
                    rates = progress.report(step, loss, float(result["learning_rate"]))
                    with self._summaries.as_default(step=step):
                        tf.summary.scalar("loss", loss)
                        tf.summary.scalar("learning_rate", float(result["learning_rate"]))
                        tf.summary.scalar("tokens_per_second", rates["tokens_per_second"])
                        tf.summary.scalar("steps_per_second", rates["steps_per_second"])
                if step % options.checkpoint_every == 0:
                    self.checkpoints.save(checkpoint_number=step)
                if step % options.eval_every == 0 or step == options.train_steps:
                    metrics = self.evaluate()
            if self.stop_requested:
                logging.info("stop requested: stopped after step %d of %d", self.step,
                             options.train_steps)
        finally:
            if self.step and self.checkpoints.latest_checkpoint != self._checkpoint_path():
                self.checkpoints.save(checkpoint_number=self.step)
            self._summaries.flush()
            self._eval_summaries.flush()
            if not self.plan.is_chief:
                shutil.rmtree(self._save_dir, ignore_errors=True)
        return metrics

    def _checkpoint_path(self) -> str:
        return os.path.join(self._save_dir, f"ckpt-{self.step}")

    def evaluate(self) -> dict[str, float]:
        """Loss on dev (plus teacher-forced token accuracy and perplexity where the model's logits
        score target tokens) and the problem's metrics on real decodes (exact match, BLEU, WER)."""
        totals = tf.zeros([3])
        for batch in self._eval_dataset():
            totals += self._eval_step(batch)
        loss_sum, tokens, correct = (float(value) for value in totals)
        tokens = max(tokens, 1.0)
        metrics = {"loss": loss_sum / tokens}
        if correct >= 0:  # only for models whose logits score each target token (not CTC)
            metrics["teacher_forced/accuracy"] = correct / tokens
            metrics["teacher_forced/perplexity"] = math.exp(min(loss_sum / tokens, 50.0))
        if self.options.eval_decode_examples:
            decoder = inference.Inference(self.problem, self.model,
                                          self.options.eval_decode_params)
            hypotheses, references = decoder.decode_split(
                self.options.data_dir, "dev", self.options.eval_decode_examples)
            metrics.update({f"decode/{name}": value for name, value
                            in self.problem.decode_metrics(hypotheses, references).items()})
        with self._eval_summaries.as_default(step=self.step):
            for name, value in metrics.items():
                tf.summary.scalar(name, value)
        logging.info("eval at step %d: %s", self.step,
                     "  ".join(f"{name} {value:.4f}" for name, value in metrics.items()))
        return metrics

    def _log_setup(self) -> None:
        parameters = sum(int(tf.size(variable)) for variable in self.model.trainable_variables)
        replicas = self.plan.num_replicas
        logging.info("mesh: %s", self.plan.describe())
        logging.info("model: %s, %s parameters", type(self.model).__name__, f"{parameters:,}")
        logging.info("batch: %d tokens per step over the mesh, ~%d per replica (%d replicas); "
                     "max_length %d; XLA %s", self.hparams.batch_size,
                     self.hparams.batch_size // replicas, replicas, self.hparams.max_length,
                     "on" if self.options.xla_compile else "off")


def _count_tokens(batch: dict[str, tf.Tensor]) -> tf.Tensor:
    """Non-padding symbols of a batch, inputs and targets; float inputs (audio frames) count as
    their non-padding frames."""
    count = tf.math.count_nonzero(batch["targets"] != PAD_ID)
    inputs = batch.get("inputs")
    if inputs is not None and inputs.dtype.is_integer:
        count += tf.math.count_nonzero(inputs != PAD_ID)
    elif inputs is not None:
        count += tf.math.count_nonzero(tf.reduce_any(inputs != 0, axis=-1))
    return count


def _ensure_data(problem: Problem, options: RunOptions) -> None:
    if not problem.has_data(options.data_dir):
        logging.info("no complete data for %s in %s: generating it", problem.name, options.data_dir)
        problem.generate_data(options.data_dir, options.tmp_dir or
                              os.path.join(options.data_dir, "tmp"))


class _Progress:
    """The progress line: step, loss, learning rate, steps/s, tokens/s, ETA."""

    def __init__(self, start_step: int, total_steps: int):
        self._total = total_steps
        self._last_step, self._last_time, self._tokens = start_step, time.perf_counter(), 0

    def add_tokens(self, tokens: int) -> None:
        self._tokens += tokens

    def report(self, step: int, loss: float, rate: float) -> dict[str, float]:
        now = time.perf_counter()
        seconds = max(now - self._last_time, 1e-9)
        steps_per_second = (step - self._last_step) / seconds
        tokens_per_second = self._tokens / seconds
        eta = (self._total - step) / steps_per_second if steps_per_second else 0.0
        logging.info("step %d/%d  loss %.4f  lr %.3g  %.2f steps/s  %s tokens/s  ETA %s",
                     step, self._total, loss, rate, steps_per_second,
                     f"{tokens_per_second:,.0f}", _hms(eta))
        self._last_step, self._last_time, self._tokens = step, now, 0
        return {"steps_per_second": steps_per_second, "tokens_per_second": tokens_per_second}


def _hms(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"

