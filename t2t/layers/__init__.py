"""t2t's small layers library: `tf.Module`s whose weights all come from `t2t.layers.weights`."""
