#!/usr/bin/env bash
# The quickstart: trains transformer_tiny on algorithmic_reverse, then decodes 200 unseen test
# sequences and prints exact match. Takes about 10 minutes on a 2-core CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(pwd)/.venv/bin:$PATH"
DATA_DIR=${DATA_DIR:-$HOME/t2t_data}
OUTPUT_DIR=${OUTPUT_DIR:-$HOME/t2t_train/algorithmic_reverse}

t2t-trainer --problem=algorithmic_reverse --model=transformer --hparams_set=transformer_tiny \
  --hparams="learning_rate_warmup_steps=1000" \
  --data_dir="$DATA_DIR" --output_dir="$OUTPUT_DIR" --train_steps=3000 --eval_every=1000

t2t-decoder --output_dir="$OUTPUT_DIR" --data_dir="$DATA_DIR" \
  --decode_split=test --decode_max_examples=200
