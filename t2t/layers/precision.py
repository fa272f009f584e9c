"""The arithmetic precision of the layers' matmuls and convolutions.

Weights are always float32, so the optimizer updates them in full precision. A layer built with
`compute_dtype=tf.bfloat16` (Dense, Conv2D, GRU) casts its input and its weights to bfloat16 for
its einsum, convolution or recurrent matmul and casts the result back to the input's dtype
(float32): normalization, activations, a GRU's state and gates, and the loss stay float32.
Gradients flow back through the casts, so each weight's gradient arrives in float32 too.

bfloat16 keeps float32's exponent range (no loss scaling is needed, unlike float16) with an 8-bit
mantissa. It is the native matmul type of TPUs, and CPUs with AVX512-BF16 have bfloat16 matmuls
too (measured on this project's CPU: docs/benchmarks.md, "bfloat16 compute"); on CPUs without
bfloat16 instructions, measure (`benchmarks/compute_dtype_speed.py`) before turning it on.
"""
from __future__ import annotations

import tensorflow as tf

COMPUTE_DTYPES = {"float32": tf.float32, "bfloat16": tf.bfloat16}


def compute_dtype_by_name(name: str, owner: str) -> tf.DType:
    """"float32" or "bfloat16" → the dtype; anything else is a ValueError naming `owner`."""
    if name not in COMPUTE_DTYPES:
        raise ValueError(f"{owner}: compute_dtype must be one of {sorted(COMPUTE_DTYPES)}, "
                         f"got {name!r}")
    return COMPUTE_DTYPES[name]


def check_compute_dtype(dtype: tf.DType, owner: str) -> tf.DType:
    """Returns `dtype` if it is one of COMPUTE_DTYPES' dtypes; else a ValueError naming `owner`."""
    if dtype not in COMPUTE_DTYPES.values():
        raise ValueError(f"{owner}: compute_dtype must be tf.float32 or tf.bfloat16, got {dtype!r}")
    return dtype
