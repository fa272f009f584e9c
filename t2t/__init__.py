"""t2t: a sequence-modeling research framework in the style of Tensor2Tensor, for TensorFlow 2.

The core (this package) never imports a concrete problem or model: `t2t.problems`, `t2t.models` and
`t2t.hparams` register themselves through `t2t.registry` when imported (the CLI scripts import them).
"""
