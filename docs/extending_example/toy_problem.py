"""A toy problem: add one to every digit, "3 9 4" → "4 0 5" (each output symbol under its input)."""
import random
from collections.abc import Iterator, Sequence

import gin

from t2t.data.hash_split import HashSplit
from t2t.ids import NUM_RESERVED_IDS
from t2t.modality import SymbolModality
from t2t.model import ProblemInfo
from t2t.problem import Problem
from t2t.registry import register_problem

DIGITS = "0123456789"
VOCAB_SIZE = NUM_RESERVED_IDS + len(DIGITS)   # ids 0 (PAD) and 1 (EOS) are reserved
SPLIT_OF = HashSplit([("dev", 0.05), ("test", 0.05)], rest="train")


@register_problem                              # registered as "increment_digits"
@gin.configurable
class IncrementDigits(Problem):
    """Random digit sequences of 1..max_length digits; a sequence's split is a hash of it."""

    def __init__(self, max_length: int = 8, num_train: int = 20_000, num_eval: int = 100):
        self.max_length = max_length
        self.num_samples = {"train": num_train, "dev": num_eval, "test": num_eval}

    def info(self) -> ProblemInfo:
        return ProblemInfo(inputs=SymbolModality(VOCAB_SIZE), target_vocab_size=VOCAB_SIZE)

    def num_shards(self, split: str) -> int:
        return 1

    def generate_samples(self, split: str, tmp_dir: str) -> Iterator[dict[str, list[int]]]:
        rng = random.Random(split)
        found = 0
        while found < self.num_samples[split]:
            digits = "".join(rng.choices(DIGITS, k=rng.randint(1, self.max_length)))
            if SPLIT_OF(digits) == split:
                found += 1
                incremented = "".join(DIGITS[(int(d) + 1) % 10] for d in digits)
                yield {"inputs": self.encode(" ".join(digits)),
                       "targets": self.encode(" ".join(incremented))}

    def encode(self, text: str) -> list[int]:
        return [NUM_RESERVED_IDS + DIGITS.index(symbol) for symbol in text.split()]

    def decode(self, ids: Sequence[int]) -> str:
        return " ".join(DIGITS[i - NUM_RESERVED_IDS] for i in ids)
