"""Static shape checks with error messages that name the layer and the expected shape.

    check_shape(x, "[batch, length, d_model]", "encoder/layer_0/self_attention", d_model=512)

Each name in the spec is one dimension; a name given as a keyword must have that size, the others
may have any size. A leading "..." accepts any number of leading dimensions. Unknown (None) static
dimensions always pass, so the check is free at run time.
"""
from __future__ import annotations

import tensorflow as tf


def check_shape(tensor: tf.Tensor, spec: str, layer: str, **sizes: int) -> None:
    """Raises ValueError unless `tensor`'s static shape matches `spec`.

    Args:
      tensor: the tensor to check.
      spec: dimension names, e.g. "[batch, length, d_model]" or "[..., d_model]".
      layer: the name of the layer doing the check, for the error message.
      **sizes: required sizes of some named dimensions, e.g. d_model=512.
    """
    names = [name.strip() for name in spec.strip("[] ").split(",")]
    unknown = set(sizes) - set(names)
    if unknown:
        raise ValueError(f"check_shape: sizes {sorted(unknown)} are not dimensions of {spec}")
    leading_ellipsis = names[0] == "..."
    dims = names[1:] if leading_ellipsis else names
    shape = tf.TensorShape(tensor.shape)
    expected = "[" + ", ".join(f"{n}={sizes[n]}" if n in sizes else n for n in names) + "]"
    if shape.rank is None:
        return
    rank_ok = shape.rank >= len(dims) if leading_ellipsis else shape.rank == len(dims)
    actual = shape.as_list()[shape.rank - len(dims):] if rank_ok else []
    sizes_ok = all(size is None or sizes.get(name, size) == size
                   for name, size in zip(dims, actual))
    if not (rank_ok and sizes_ok):
        raise ValueError(f"{layer}: expected shape {expected}, got {shape.as_list()}")


def dim(tensor: tf.Tensor, axis: int) -> int | tf.Tensor:
    """The size of `axis`: a Python int when statically known (keeps shapes static, e.g. for XLA),
    else an int32 scalar tensor."""
    size = tensor.shape[axis]
    return size if size is not None else tf.shape(tensor)[axis]
