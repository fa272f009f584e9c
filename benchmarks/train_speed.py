"""Training speed of t2t-trainer under different meshes and XLA, on this machine.

    python benchmarks/train_speed.py --steps=300 --hparams_set=transformer_tiny

Each configuration runs the real CLI in a fresh process (the CPU split must happen before
TensorFlow starts) on algorithmic_reverse; the speed is read from the progress lines after the
first `--log_every` steps, so tracing and XLA compilation are left out. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

CONFIGURATIONS = {
    "1 device": [],
    "1 device, XLA": ["--xla_compile"],
    "batch:2 (2 logical CPUs)": ["--mesh_shape=batch:2", "--cpu_devices=2"],
    "batch:4 (4 logical CPUs)": ["--mesh_shape=batch:4", "--cpu_devices=4"],
}
PROGRESS = re.compile(r"step (\d+)/\d+  loss [\d.]+  lr \S+  ([\d.]+) steps/s  ([\d,]+) tokens/s")


def measure(name: str, extra: list[str], args: argparse.Namespace, work_dir: str) -> dict:
    command = [sys.executable, "-m", "t2t.scripts.trainer", "--problem=algorithmic_reverse",
               "--model=transformer", f"--hparams_set={args.hparams_set}",
               f"--hparams={args.hparams}", f"--data_dir={work_dir}/data",
               f"--output_dir={work_dir}/{len(os.listdir(work_dir))}",
               f"--train_steps={args.steps}", f"--log_every={args.log_every}",
               "--eval_every=1000000", "--checkpoint_every=1000000", *extra]
    result = subprocess.run(command, capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    if result.returncode:
        raise RuntimeError(f"{name} failed:\n{result.stderr[-3000:]}")
    rows = [(int(step), float(steps), float(tokens.replace(",", "")))
            for step, steps, tokens in PROGRESS.findall(result.stderr)]
    warm = [row for row in rows if row[0] > args.log_every]
    return {"name": name, "steps_per_second": statistics.median(row[1] for row in warm),
            "tokens_per_second": statistics.median(row[2] for row in warm)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--log_every", type=int, default=50)
    parser.add_argument("--hparams_set", default="transformer_tiny")
    parser.add_argument("--hparams", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work_dir:
        results = [measure(name, extra, args, work_dir) for name, extra in CONFIGURATIONS.items()]
    base = results[0]["steps_per_second"]
    print("| configuration | steps/s | tokens/s | time per step vs 1 device |")
    print("|---|---|---|---|")
    for row in results:
        print(f"| {row['name']} | {row['steps_per_second']:.2f} | {row['tokens_per_second']:,.0f} "
              f"| {base / row['steps_per_second']:.2f}× |")


if __name__ == "__main__":
    main()
