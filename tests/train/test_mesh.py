import pytest
import tensorflow as tf

from t2t.train import mesh
from t2t.layers import weights


def test_parse_mesh_shape():
    assert mesh.parse_mesh_shape("") == {}
    assert mesh.parse_mesh_shape("batch:2; model:4") == {"batch": 2, "model": 4}


@pytest.mark.parametrize("text, message", [
    ("batch", "not NAME:SIZE"), ("batch:0", "not NAME:SIZE"), ("batch:two", "not NAME:SIZE"),
    ("data:2", "unknown mesh axis 'data'"), ("batch:2;batch:2", "given twice"),
])
def test_malformed_mesh_shapes_are_errors(text, message):
    with pytest.raises(mesh.MeshError, match=message):
        mesh.parse_mesh_shape(text)


def test_parse_layout():
    shape = {"batch": 2, "model": 4}
    assert mesh.parse_layout("batch:batch;vocab:model", shape) == {"batch": "batch",
                                                                   "vocab": "model"}
    with pytest.raises(mesh.MeshError, match="mesh axis 'model'.*has: batch"):
        mesh.parse_layout("vocab:model", {"batch": 2})
    with pytest.raises(mesh.MeshError, match="not LOGICAL_AXIS:MESH_AXIS"):
        mesh.parse_layout("vocab", shape)


def test_plans_for_the_devices_here():
    assert mesh.make_plan("").num_replicas == 1
    plan = mesh.make_plan("batch:4")
    assert isinstance(plan.strategy, tf.distribute.MirroredStrategy)
    assert plan.num_replicas == 4
    with pytest.raises(mesh.MeshError, match="needs 8 devices but this process sees 4"):
        mesh.make_plan("batch:8")
    with pytest.raises(mesh.MeshError, match="DTensor engine, which is not built yet"):
        mesh.make_plan("batch:2;model:2")


def test_replicas_take_disjoint_rows_and_sum_back():
    plan = mesh.make_plan("batch:4")
    batch = {"x": tf.reshape(tf.range(10, dtype=tf.float32), [5, 2])}  # 5 rows over 4 replicas

    @tf.function
    def total(batch):
        per_replica = plan.run(lambda local: (tf.reduce_sum(local["x"]),
                                              tf.cast(tf.shape(local["x"])[0], tf.float32)), batch)
        return plan.reduce_sum(per_replica)

    value_sum, rows = total(batch)
    assert float(value_sum) == 45.0 and float(rows) == 5.0


def test_weights_are_mirrored_and_identical_to_one_device():
    one, four = mesh.make_plan("", random_seed=3), mesh.make_plan("batch:4", random_seed=3)
    with one.scope():
        w1 = weights.create_weight("w", [4, 3], ("d_model", "d_ff"), weights.normal(1.0))
    with four.scope():
        w4 = weights.create_weight("w", [4, 3], ("d_model", "d_ff"), weights.normal(1.0))
    assert len(w4.values) == 4
    for copy in w4.values:
        tf.debugging.assert_equal(copy, w1)
    assert w4.logical_axes == ("d_model", "d_ff")
