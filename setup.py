"""Installs t2t: the core package plus its content folders under the `t2t.` namespace.

The content folders live at the top of the repository (problems/, models/, hparams/, data_gen/,
scripts/) but install as t2t.problems, t2t.models, ... so that no generic top-level name such as
`models` lands in site-packages.
"""
from setuptools import setup

# Subpackages of the core, by concept (README.md, "Layout").
CORE_PACKAGES = ["data", "train", "decode", "metrics", "layers", "speech", "lm"]
CONTENT_FOLDERS = ["problems", "models", "hparams", "data_gen", "scripts"]

setup(
    name="t2t",
    version="0.1.0",
    description="Sequence-modeling research framework in the style of Tensor2Tensor, for TensorFlow 2.",
    python_requires=">=3.11",
    packages=["t2t"] + [f"t2t.{package}" for package in CORE_PACKAGES]
             + [f"t2t.{folder}" for folder in CONTENT_FOLDERS],
    package_dir={"t2t": "t2t", **{f"t2t.{folder}": folder for folder in CONTENT_FOLDERS}},
    package_data={"t2t.hparams": ["*.gin"]},
    install_requires=[
        "tensorflow-datasets>=4.9",
        "tensorboard>=2.20",  # tf.summary.scalar lives in the tensorboard package
        "gin-config>=0.5",
        "absl-py>=2.0",
        "sentencepiece>=0.2",
        "sacrebleu>=2.4",
        "numpy",
    ],
    extras_require={
        # TensorFlow comes from exactly one of these, so that the CPU and CUDA wheels never clash.
        "cpu": ["tensorflow-cpu>=2.21,<2.22"],
        "gpu": ["tensorflow[and-cuda]>=2.21,<2.22"],
        "test": ["pytest>=8", "pytest-xdist>=3", "hypothesis>=6"],
    },
    entry_points={
        "console_scripts": [
            "t2t-trainer=t2t.scripts.trainer:run",
            "t2t-datagen=t2t.scripts.datagen:run",
            "t2t-decoder=t2t.scripts.decoder:run",
            "t2t-avg-all=t2t.scripts.avg_checkpoints:run",
            "t2t-char-lm=t2t.scripts.char_lm:run",
            "t2t-word-lm=t2t.scripts.word_lm:run",
        ]
    },
)
