#!/usr/bin/env bash
# The figures of docs/reproduction.md from a long run: our grids at the original's published steps
# against its grids and real faces, the original's grids alone, the timeline, a side-by-side picture.
# Usage: bash scripts/reproduction.sh RUN [OUT [PYTHON]]    (OUT default: RUN/reproduction)
# STEPS="1650 1685 1720" (default) names the grids; REAL the real faces; REFERENCE the original's files.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
run="${1:?usage: reproduction.sh RUN [OUT [PYTHON]]}"
out="${2:-$run/reproduction}"
py="${3:-$root/.venv37/bin/python}"
steps=(${STEPS:-1650 1685 1720})
real="${REAL:-$root/../shared/data/anime64-full}"
ref="${REFERENCE:-$root/../shared/fixtures/gan_animation_reference}"
for path in "$run/config.json" "$real" "$ref"; do
    [ -e "$path" ] || { echo "Error: $path not found" >&2; exit 1; }
done
if [ -e "$out" ]; then
    echo "Error: $out exists; choose another OUT (nothing is overwritten)" >&2; exit 1
fi
mkdir -p "$out"
compare=("$py" "$root/compare.py" --real "$real" --real-n 1000 --seed 0)

for s in "${steps[@]}"; do
    ref_step="$ref/Faces_$s.png"
    [ -f "$ref_step" ] || ref_step="$ref/Faces_1720.png"     # trial runs at other steps
    echo "== ours at step $s (drawn as the original drew its grids) vs its grid and real faces"
    "${compare[@]}" "$run/image/Faces_$s.png" --reference "$ref_step" --like-original --out "$out/ours"
done
for s in 1650 1685 1720; do
    echo "== the original's Faces_$s.png vs real faces"
    "${compare[@]}" "$ref/Faces_$s.png" --out "$out/original"
done
echo "== timeline over the run's checkpoints, and a GIF of its grids"
"${compare[@]}" "$run" --step "${steps[-1]}" --like-original --timeline --out "$out/timeline"
cp "$run/loss.png" "$out/loss.png"
echo "== a small GIF of the grids for the docs (20 frames, 256 pixels)"
PYTHONPATH="$root" "$py" -c 'import sys; from gan.compare import grid_gif
print("wrote %s: steps %s" % (sys.argv[2], grid_gif(sys.argv[1], sys.argv[2], max_frames=20, max_side=256)))' \
    "$run" "$out/grids_small.gif"

echo "== side-by-side: our step-${steps[-1]} grid beside the original's Faces_1720.png"
"$py" - "$run/image/Faces_${steps[-1]}.png" "$ref/Faces_1720.png" "$out/ours_vs_original.jpg" <<'EOF'
import sys

import cv2
import numpy as np

ours, original, path = sys.argv[1:]
a, b = cv2.imread(ours), cv2.imread(original)
if a is None or b is None:
    sys.exit('Error: cannot read %s or %s' % (ours, original))
h = min(a.shape[0], b.shape[0])
a, b = [cv2.resize(x, (int(round(x.shape[1] * h / x.shape[0])), h), interpolation=cv2.INTER_AREA)
        for x in (a, b)]
labels = np.full((40, a.shape[1] + 20 + b.shape[1], 3), 255, np.uint8)
for text, x in (('ours (gan-animation)', 10), ('original GAN_animation', a.shape[1] + 30)):
    cv2.putText(labels, text, (x, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2, cv2.LINE_AA)
body = np.concatenate([a, np.full((h, 20, 3), 255, np.uint8), b], axis=1)
cv2.imwrite(path, np.concatenate([labels, body]), [cv2.IMWRITE_JPEG_QUALITY, 90])
print('wrote %s' % path)
EOF
ls -la "$out" "$out"/*
