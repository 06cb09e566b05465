#!/usr/bin/env bash
# Small-scale replication of the paper's Table 2 trends on Stochastic Moving
# MNIST (docs/RESULTS.md): trains each gin/replication/ config with the same
# budget, evaluates it (best of N samples) and counts its active latent
# channels, then prints the markdown table of tools/replication_table.py.
#
#   tools/replicate_smmnist_small.sh [RUNS_DIR] [CONFIG[:SEED] ...]
#
# Defaults: runs/replication, all five configs. CONFIG:SEED trains the config
# again with other initial weights and latent noise (train.seed and
# build_model.seed = SEED; same data) into RUNS_DIR/CONFIG_seedSEED, to measure
# run-to-run spread. A finished step is skipped when rerun (training resumes
# from its last checkpoint on its own).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
RUNS=${1:-runs/replication}
shift || true
CONFIGS=("$@")
if [ ${#CONFIGS[@]} -eq 0 ]; then
  CONFIGS=(levels_1 hier_bw_dense hier_naive hier_bw hier_dense)
fi
NUM_SEQUENCES=${NUM_SEQUENCES:-64}
NUM_SAMPLES=${NUM_SAMPLES:-20}

NAMES=()
for entry in "${CONFIGS[@]}"; do
  name=${entry%%:*}
  dir="$RUNS/$name"
  seeds=()
  if [ "$entry" != "$name" ]; then
    seed=${entry#*:}
    dir="$RUNS/${name}_seed$seed"
    seeds=(--gin_bindings="train.seed = $seed" --gin_bindings="build_model.seed = $seed")
  fi
  NAMES+=("$(basename "$dir")")
  if [ ! -f "$dir/summary.json" ]; then
    "$PY" -m vrnn_tf.train --gin_file="gin/replication/$name.gin" --workdir="$dir" "${seeds[@]}"
  fi
  if [ ! -f "$dir/eval_test/results.json" ]; then
    # 5 -> 5 as trained; one FVD draw on the 10-frame clips (context included).
    "$PY" -m vrnn_tf.evaluate --workdir="$dir" --future_frames=5 \
      --num_sequences="$NUM_SEQUENCES" --num_samples="$NUM_SAMPLES" --fvd_repeats=1 \
      --out="$dir/eval_test"
  fi
  if [ ! -f "$dir/kl_analysis.json" ]; then
    "$PY" -m vrnn_tf.analyze_kl --workdir="$dir" --num_sequences="$NUM_SEQUENCES"
  fi
done
"$PY" tools/replication_table.py "$RUNS" "${NAMES[@]}"
