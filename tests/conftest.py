"""Test setup: quiet TensorFlow, and the CPU split into 4 logical devices for mesh tests.

The split must happen before TensorFlow initializes its devices, so it is done here, once, for the
whole session; single-device code simply uses the first device.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

NUM_TEST_DEVICES = 4
tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration()] * NUM_TEST_DEVICES)
