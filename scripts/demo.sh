#!/usr/bin/env bash
# `make demo`: a short CPU run on the bundled demo faces that visibly learns, then its timeline.
# The demo's settings live here only (docs/training.md says what it does, docs/findings/performance.md what it gives).
# Usage: bash scripts/demo.sh [PYTHON [more train.py flags, which win over the demo's]]
set -euo pipefail
py="${1:-.venv37/bin/python}"
shift || true
cd "$(dirname "$0")/.."
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# The recipe's networks and update scheme with a small batch, one unrolled D round and a higher
# learning rate, so that faces appear within minutes on a CPU.
DEMO_FLAGS=(--data data/demo --seed 0 --steps 400 --batch-size 16 --unroll-steps 1 --lr 5e-4
            --sample-interval 20 --checkpoint-interval 100)

echo "== training on data/demo: python train.py ${DEMO_FLAGS[*]} $*"
"$py" train.py "${DEMO_FLAGS[@]}" "$@" | tee "$log"
run="$(sed -n 's/^run folder: //p' "$log")"
last_grid="$(ls "$run"/image/Faces_*.png | sort -V | tail -n 1)"

echo "== SWD against data/demo at every checkpoint, and a GIF of the grids"
"$py" compare.py "$run" --real data/demo --timeline | tee "$log"
timeline="$(grep -o '[^ ,]*timeline[^ ,]*\.gif' "$log" | tail -n 1)"

pretrained_grid=""
if compgen -G "pretrained/generator_epoch_*.h5" > /dev/null; then
    echo "== 100 faces from the pretrained generator (the long run's, pretrained/)"
    pretrained_grid="$run/pretrained_faces.png"
    "$py" sample.py pretrained --out "$pretrained_grid"
fi

echo
echo "last grid: $last_grid"
echo "timeline:  $timeline"
if [ -n "$pretrained_grid" ]; then
    echo "pretrained: $pretrained_grid"
fi
