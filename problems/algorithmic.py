"""Synthetic algorithmic problems, quick to generate and learn: reverse digits, add two numbers.

Both share one vocabulary: 0 pad, 1 EOS, digits "0".."9" → ids 2..11, "+" → 12 (13 ids). Text is
space-separated symbols: "3 1 4" ↔ [5, 3, 6].

    algorithmic_reverse   "3 1 4"        → "4 1 3"
    algorithmic_addition  "2 1 + 4 3"    → "6 4"    (12 + 34 = 46)

Addition writes numbers least-significant digit first, as T2T's algorithmic_addition_binary40 does,
so a left-to-right decoder emits each sum digit after the digits that carry into it.

Splits are disjoint without bookkeeping: a sequence belongs to the split its content hashes into
(train ~98%, dev ~1%, test ~1%), and each split's generator draws random sequences until it has
`num_<split>` that hash into it. So no dev or test input ever appears in train, whatever the seed.
Every knob is gin-configurable, e.g. `AlgorithmicReverse.max_length = 40`.
"""
from __future__ import annotations

import abc
import random
from collections.abc import Iterator, Sequence

import gin

from t2t.data.hash_split import HashSplit
from t2t.ids import NUM_RESERVED_IDS
from t2t.modality import SymbolModality
from t2t.model import ProblemInfo
from t2t.problem import Problem
from t2t.registry import register_problem

DIGITS = [str(digit) for digit in range(10)]
SYMBOLS = DIGITS + ["+"]
FIRST_SYMBOL_ID = NUM_RESERVED_IDS
VOCAB_SIZE = FIRST_SYMBOL_ID + len(SYMBOLS)
_ID_OF_SYMBOL = {symbol: FIRST_SYMBOL_ID + index for index, symbol in enumerate(SYMBOLS)}
_SYMBOL_OF_ID = {i: symbol for symbol, i in _ID_OF_SYMBOL.items()}

# A split's generator gives up after this many draws per wanted sample (it expects ~100 for dev).
_MAX_DRAWS_PER_SAMPLE = 10_000


# A sequence's split is a hash of its symbols: ~98 % train, 1 % dev, 1 % test.
SPLIT_OF_TEXT = HashSplit([("train", 0.98), ("dev", 0.01)], rest="test", buckets=100)


def split_of(symbols: Sequence[str]) -> str:
    """The split a sequence belongs to, from a stable hash of its symbols (same on any machine)."""
    return SPLIT_OF_TEXT(" ".join(symbols))


def digits_of(number: int) -> list[str]:
    """123 → ["3", "2", "1"]: decimal digits, least significant first."""
    return list(str(number))[::-1]


class AlgorithmicProblem(Problem):
    """Shared vocabulary, text codec and split-disjoint sampling; subclasses define `random_sample`.

    Args:
      min_length, max_length: inclusive range of the random lengths, in digits: of the whole
        sequence for reverse, of each number for addition.
      num_train, num_dev, num_test: number of samples in each split.
      seed: makes generation deterministic; the split of a sequence does not depend on it.
    """

    def __init__(self, min_length: int, max_length: int, num_train: int, num_dev: int,
                 num_test: int, seed: int):
        if not 1 <= min_length <= max_length:
            raise ValueError(f"need 1 <= min_length <= max_length, got {min_length}..{max_length}")
        self.min_length = min_length
        self.max_length = max_length
        self.num_samples = {"train": num_train, "dev": num_dev, "test": num_test}
        self.seed = seed

    @abc.abstractmethod
    def random_sample(self, rng: random.Random) -> tuple[list[str], list[str]]:
        """Draws one (input symbols, target symbols) pair."""

    def info(self) -> ProblemInfo:
        return ProblemInfo(inputs=SymbolModality(VOCAB_SIZE), target_vocab_size=VOCAB_SIZE)

    def generate_samples(self, split: str, tmp_dir: str) -> Iterator[dict[str, list[int]]]:
        """Yields num_<split> samples whose inputs hash into `split` (`tmp_dir` is unused)."""
        rng = random.Random(f"{self.seed}-{split}")
        wanted = self.num_samples[split]
        found = draws = 0
        while found < wanted:
            if draws == wanted * _MAX_DRAWS_PER_SAMPLE:
                raise ValueError(
                    f"{self.name}: found only {found} of {wanted} {split} samples in {draws} "
                    f"draws; lengths {self.min_length}..{self.max_length} allow too few distinct "
                    f"sequences.")
            inputs, targets = self.random_sample(rng)
            draws += 1
            if split_of(inputs) == split:
                found += 1
                yield {"inputs": self._ids(inputs), "targets": self._ids(targets)}

    def encode(self, text: str) -> list[int]:
        """"3 1 4" → [5, 3, 6]. Raises ValueError naming any unknown symbol."""
        return self._ids(text.split())

    def decode(self, ids: Sequence[int]) -> str:
        """[5, 3, 6] → "3 1 4". Raises ValueError naming any id that is not a symbol."""
        unknown = [i for i in ids if i not in _SYMBOL_OF_ID]
        if unknown:
            raise ValueError(f"{self.name}: ids {unknown} are not symbols (symbols are ids "
                             f"{FIRST_SYMBOL_ID}..{VOCAB_SIZE - 1})")
        return " ".join(_SYMBOL_OF_ID[i] for i in ids)

    def _ids(self, symbols: Sequence[str]) -> list[int]:
        unknown = [symbol for symbol in symbols if symbol not in _ID_OF_SYMBOL]
        if unknown:
            raise ValueError(f"{self.name}: unknown symbols {unknown}; the vocabulary is "
                             f"{' '.join(SYMBOLS)}")
        return [_ID_OF_SYMBOL[symbol] for symbol in symbols]


@register_problem
@gin.configurable
class AlgorithmicReverse(AlgorithmicProblem):
    """inputs: min_length..max_length random digits; targets: the same digits reversed."""

    def __init__(self, min_length: int = 1, max_length: int = 20, num_train: int = 100_000,
                 num_dev: int = 1_000, num_test: int = 1_000, seed: int = 1):
        super().__init__(min_length, max_length, num_train, num_dev, num_test, seed)

    def random_sample(self, rng: random.Random) -> tuple[list[str], list[str]]:
        length = rng.randint(self.min_length, self.max_length)
        digits = [rng.choice(DIGITS) for _ in range(length)]
        return digits, digits[::-1]


@register_problem
@gin.configurable
class AlgorithmicAddition(AlgorithmicProblem):
    """inputs: a "+" b, two numbers of min_length..max_length digits each (least significant digit
    first, no leading zeros); targets: the digits of a + b, least significant first."""

    def __init__(self, min_length: int = 1, max_length: int = 10, num_train: int = 100_000,
                 num_dev: int = 1_000, num_test: int = 1_000, seed: int = 1):
        super().__init__(min_length, max_length, num_train, num_dev, num_test, seed)

    def random_sample(self, rng: random.Random) -> tuple[list[str], list[str]]:
        a, b = self._random_number(rng), self._random_number(rng)
        return digits_of(a) + ["+"] + digits_of(b), digits_of(a + b)

    def _random_number(self, rng: random.Random) -> int:
        num_digits = rng.randint(self.min_length, self.max_length)
        smallest = 0 if num_digits == 1 else 10 ** (num_digits - 1)
        return rng.randint(smallest, 10 ** num_digits - 1)
