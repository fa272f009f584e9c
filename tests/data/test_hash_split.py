"""The one hash split: each problem's configuration assigns exactly as its own function did."""
import hashlib
import random

import pytest

from t2t.data.hash_split import HashSplit


def digest_int(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")


# The formulas each problem used before the split had one home (kept so stored data is unchanged).
def percentile_dev_first(key: str, dev_percent: int, test_percent: int) -> str:
    percentile = digest_int(key) % 100
    if percentile < dev_percent:
        return "dev"
    return "test" if percentile < dev_percent + test_percent else "train"


def percentile_train_first(key: str) -> str:
    percentile = digest_int(key) % 100
    if percentile < 98:
        return "train"
    return "dev" if percentile == 98 else "test"


def fraction_dev_first(key: str, dev_fraction: float, test_fraction: float) -> str:
    position = digest_int(key) / 2 ** 64
    if position < dev_fraction:
        return "dev"
    return "test" if position < dev_fraction + test_fraction else "train"


KEYS = [" ".join(random.Random(seed).choices("abcdefgh 0123", k=1 + seed % 30))
        for seed in range(20_000)]


@pytest.mark.parametrize("dev, test", [(5, 5), (1, 2), (0, 10)])
def test_percentiles_laid_dev_first_as_the_speech_problems(dev, test):
    split = HashSplit([("dev", dev / 100), ("test", test / 100)], rest="train", buckets=100)
    assert [split(key) for key in KEYS] == [percentile_dev_first(key, dev, test) for key in KEYS]


def test_percentiles_laid_train_first_as_the_algorithmic_problems():
    split = HashSplit([("train", 0.98), ("dev", 0.01)], rest="test", buckets=100)
    assert [split(key) for key in KEYS] == [percentile_train_first(key) for key in KEYS]


@pytest.mark.parametrize("dev, test", [(0.045, 0.045), (0.1, 0.0), (0.3, 0.2)])
def test_continuous_positions_as_the_translation_problems(dev, test):
    split = HashSplit([("dev", dev), ("test", test)], rest="train")
    assert [split(key) for key in KEYS] == [fraction_dev_first(key, dev, test) for key in KEYS]


def test_shares_are_close_to_their_fractions_and_every_split_occurs():
    split = HashSplit([("dev", 0.1), ("test", 0.2)], rest="train")
    counts = {name: sum(split(key) == name for key in KEYS) for name in ("dev", "test", "train")}
    assert abs(counts["dev"] / len(KEYS) - 0.1) < 0.01
    assert abs(counts["test"] / len(KEYS) - 0.2) < 0.01


@pytest.mark.parametrize("shares, buckets, message", [
    ([("dev", 0.6), ("test", 0.6)], 0, "add up to at most 1"),
    ([("dev", -0.1)], 0, "must be >= 0"),
    ([("dev", 0.1)], -1, "buckets=-1 must be >= 0"),
])
def test_bad_configurations_are_errors(shares, buckets, message):
    with pytest.raises(ValueError, match=message):
        HashSplit(shares, rest="train", buckets=buckets)
