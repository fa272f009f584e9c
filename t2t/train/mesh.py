"""`--mesh_shape` and `--layout` → one `Plan` the trainer talks to.

    --mesh_shape=""                 one device
    --mesh_shape="batch:4"          4-way data parallelism          → tf.distribute engine
    --mesh_shape="batch:2;model:4"  data + model parallelism        → DTensor engine (not yet built)
    --layout="batch:batch;vocab:model;d_ff:model;heads:model"   logical axis → mesh axis

Two engines, chosen by the mesh: a batch-only mesh runs under `tf.distribute` (OneDevice, Mirrored,
MultiWorkerMirrored, TPUStrategy); a mesh with a `model` axis needs DTensor. Why not DTensor for
everything: on TF 2.21 it cannot take gradients through `tf.while_loop`/`tf.scan` (so no RNNs), and
it is slower than plain TF on CPU where MirroredStrategy costs little (measured: docs/benchmarks.md,
"Facts moved from docstrings").

The plan's interface (all the trainer uses):
  scope()                 – weights created inside belong to the plan (see t2t.layers.weights)
  run(replica_fn, batch)  – runs `replica_fn(local_batch)` on every replica; the global batch is
                            split along dim 0, replica r takes rows [r*ceil(B/R), (r+1)*ceil(B/R))
  all_reduce_sum(values)  – inside replica_fn: sums a nest of tensors over replicas
  apply_updates(fn, variables, args) – inside replica_fn: runs fn(variable, *args) on every copy
                            of each variable (an optimizer's update)
  reduce_sum(per_replica) – outside: sums a per-replica result to one tensor
"""
from __future__ import annotations

import contextlib
import json
import os
from typing import Any, Callable, Iterator, Sequence

import tensorflow as tf

from t2t.layers import weights

BATCH_AXIS = "batch"
MODEL_AXIS = "model"
KNOWN_MESH_AXES = (BATCH_AXIS, MODEL_AXIS)


class MeshError(ValueError):
    """A malformed --mesh_shape/--layout, or a mesh that does not fit the devices."""


def parse_mesh_shape(text: str) -> dict[str, int]:
    """"batch:2;model:4" → {"batch": 2, "model": 4}; "" → {}."""
    shape: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        name, sep, size = item.partition(":")
        name = name.strip()
        if not sep or not size.strip().isdigit() or int(size) < 1:
            raise MeshError(f"--mesh_shape={text!r}: {item!r} is not NAME:SIZE with SIZE a positive "
                            "integer (example: --mesh_shape='batch:2;model:4')")
        if name not in KNOWN_MESH_AXES:
            raise MeshError(f"--mesh_shape={text!r}: unknown mesh axis {name!r}; "
                            f"mesh axes are {', '.join(KNOWN_MESH_AXES)}")
        if name in shape:
            raise MeshError(f"--mesh_shape={text!r}: axis {name!r} given twice")
        shape[name] = int(size)
    return shape


def parse_layout(text: str, mesh_shape: dict[str, int]) -> dict[str, str]:
    """"vocab:model;d_ff:model" → {"vocab": "model", "d_ff": "model"}: logical axis → mesh axis."""
    layout: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        logical, sep, mesh_axis = (piece.strip() for piece in item.partition(":"))
        if not sep or not logical or not mesh_axis:
            raise MeshError(f"--layout={text!r}: {item!r} is not LOGICAL_AXIS:MESH_AXIS "
                            "(example: --layout='batch:batch;vocab:model')")
        if mesh_axis not in mesh_shape:
            raise MeshError(f"--layout={text!r}: {item!r} maps to mesh axis {mesh_axis!r}, which "
                            f"--mesh_shape does not have (it has: {', '.join(mesh_shape) or 'none'})")
        if logical in layout:
            raise MeshError(f"--layout={text!r}: logical axis {logical!r} given twice")
        layout[logical] = mesh_axis
    return layout


def split_cpu(num_devices: int) -> None:
    """Splits the host CPU into `num_devices` logical devices (call before TensorFlow starts).

    Lets mesh layouts be run and tested on a laptop; costs nothing when num_devices <= 1.
    """
    if num_devices <= 1:
        return
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * num_devices)
    except RuntimeError as error:
        existing = len(tf.config.list_logical_devices("CPU"))
        if existing != num_devices:
            raise MeshError(f"cannot split the CPU into {num_devices} devices: TensorFlow already "
                            f"started with {existing} ({error})") from error


def make_plan(mesh_shape: str = "", layout: str = "", random_seed: int = 0,
              use_tpu: bool = False, tpu: str = "") -> "Plan":
    """Builds the plan for `--mesh_shape`/`--layout` on the devices this process can see."""
    shape = parse_mesh_shape(mesh_shape)
    parse_layout(layout, shape)  # validated now; the DTensor engine will consume it.
    if MODEL_AXIS in shape:
        raise MeshError(
            f"--mesh_shape={mesh_shape!r} has a '{MODEL_AXIS}' axis: model parallelism runs under "
            "the DTensor engine, which is not built yet. Use a batch-only mesh such as "
            "--mesh_shape='batch:4'.")
    return DistributePlan(_make_strategy(shape.get(BATCH_AXIS, 0), use_tpu, tpu), random_seed)


def _make_strategy(batch: int, use_tpu: bool, tpu: str) -> tf.distribute.Strategy:
    if use_tpu:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        strategy = tf.distribute.TPUStrategy(resolver)
        _check_replicas(batch, strategy, "TPU cores")
        return strategy
    if _num_workers() > 1:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        _check_replicas(batch, strategy, "replicas across the TF_CONFIG workers")
        return strategy
    devices = _local_devices()
    if batch == 0:
        return tf.distribute.OneDeviceStrategy(devices[0])
    if batch > len(devices):
        raise MeshError(
            f"--mesh_shape='batch:{batch}' needs {batch} devices but this process sees "
            f"{len(devices)} ({', '.join(devices)}). On a CPU-only machine, split the CPU with "
            f"--cpu_devices={batch}.")
    return tf.distribute.MirroredStrategy(devices[:batch])


def _check_replicas(batch: int, strategy: tf.distribute.Strategy, what: str) -> None:
    if batch and batch != strategy.num_replicas_in_sync:
        raise MeshError(f"--mesh_shape='batch:{batch}' but there are "
                        f"{strategy.num_replicas_in_sync} {what}")


def _num_workers() -> int:
    cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))


def _local_devices() -> list[str]:
    gpus = tf.config.list_logical_devices("GPU")
    return [device.name for device in (gpus or tf.config.list_logical_devices("CPU"))]


class Plan:
    """Interface of an engine; see the module docstring.

    Attributes:
      num_replicas: replicas over all hosts.
      worker_id: this host's task index in TF_CONFIG (0 on a single host).
      is_chief: whether this host writes checkpoints, summaries and config: the "chief" task, or
        worker 0 when there is none.
    """

    num_replicas: int
    worker_id: int = 0
    is_chief: bool = True

    def scope(self) -> contextlib.AbstractContextManager:
        raise NotImplementedError

    def run(self, replica_fn: Callable[..., Any], batch: dict[str, tf.Tensor]) -> Any:
        raise NotImplementedError

    def all_reduce_sum(self, values: Any) -> Any:
        raise NotImplementedError

    def apply_updates(self, update_fn: Callable[..., Any], variables: Sequence[tf.Variable],
                      per_variable_args: Sequence[tuple]) -> None:
        raise NotImplementedError

    def reduce_sum(self, per_replica: Any) -> Any:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


class DistributePlan(Plan):
    """A batch-only mesh on `tf.distribute`: OneDevice, Mirrored, MultiWorkerMirrored or TPU."""

    def __init__(self, strategy: tf.distribute.Strategy, random_seed: int = 0):
        self.strategy = strategy
        self.num_replicas = strategy.num_replicas_in_sync
        resolver = getattr(strategy, "cluster_resolver", None)
        if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and resolver:
            has_chief_job = "chief" in resolver.cluster_spec().jobs
            self.worker_id = resolver.task_id
            self.is_chief = (resolver.task_type == "chief" or
                             (resolver.task_type == "worker" and resolver.task_id == 0
                              and not has_chief_job))
        self._random_seed = random_seed
        self._weight_count = 0

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        with self.strategy.scope():
            weights.push_factory(self)
            try:
                yield
            finally:
                weights.pop_factory()

    # -- weights.WeightFactory
    def create_variable(self, name, initial_value, shape, dtype, axes, trainable) -> tf.Variable:
        del shape, axes  # Every replica holds the whole weight; layouts matter only to DTensor.
        return tf.Variable(initial_value, name=name, dtype=dtype, trainable=trainable)

    def next_weight_seed(self) -> tf.Tensor:
        self._weight_count += 1
        return tf.constant([self._random_seed, self._weight_count], tf.int64)

    # -- running a step
    def run(self, replica_fn, batch):
        return self.strategy.run(lambda: replica_fn(self._local_slice(batch)))

    def _local_slice(self, batch: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        if self.num_replicas == 1:
            return batch
        context = tf.distribute.get_replica_context()
        replica = tf.cast(context.replica_id_in_sync_group, tf.int32)

        def take(tensor: tf.Tensor) -> tf.Tensor:
            rows = tf.shape(tensor)[0]
            per_replica = (rows + self.num_replicas - 1) // self.num_replicas
            start = tf.minimum(replica * per_replica, rows)
            return tensor[start:tf.minimum(start + per_replica, rows)]

        return tf.nest.map_structure(take, batch)

    def replica_id(self) -> tf.Tensor:
        """Inside replica_fn: this replica's index, int32 scalar."""
        return tf.cast(tf.distribute.get_replica_context().replica_id_in_sync_group, tf.int32)

    def all_reduce_sum(self, values):
        return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, values)

    def apply_updates(self, update_fn, variables, per_variable_args):
        # One merge_call for all variables; `update` hands each device its own copy of every
        # mirrored variable in the args (slots) and of every per-replica value (gradients).
        def update_all(strategy, per_variable_args):
            for variable, args in zip(variables, per_variable_args):
                strategy.extended.update(variable, update_fn, args=args, group=False)

        tf.distribute.get_replica_context().merge_call(update_all, args=(list(per_variable_args),))

    def reduce_sum(self, per_replica):
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    def describe(self) -> str:
        devices = getattr(self.strategy.extended, "worker_devices", ())
        return (f"{type(self.strategy).__name__} with {self.num_replicas} replica(s)"
                + (f" on {', '.join(devices)}" if devices else ""))
