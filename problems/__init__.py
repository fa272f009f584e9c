"""Built-in problems; importing this package registers them (the CLI scripts do)."""
from t2t.problems import algorithmic  # noqa: F401  (algorithmic_reverse, algorithmic_addition)
