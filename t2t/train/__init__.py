"""Training: the trainer and its hparams, optimizers, learning-rate schedules, mesh plans,
checkpoint averaging."""
