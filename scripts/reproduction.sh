#!/usr/bin/env bash
# The figures of docs/findings/reproduction.md from a long run: our grids at the original's published steps
# against its grids and real faces (drawn like the original, and with no drawing), the original's
# grids alone, the timeline, a side-by-side picture.
# Usage: bash scripts/reproduction.sh RUN [OUT [PYTHON]]    (OUT default: RUN/reproduction)
# STEPS="1650 1685 1720" (default) names the grids; REAL the folder of real faces (the run's data);
# REFERENCE a folder of the original's Faces_<step>.png (default: its grids by name, original:<step>,
# which compare.py downloads once into ~/.cache/gan-animation).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
run="${1:?usage: reproduction.sh RUN [OUT [PYTHON]]}"
out="${2:-$run/reproduction}"
py="${3:-$root/.venv37/bin/python}"
steps=(${STEPS:-1650 1685 1720})
real="${REAL:-$root/../shared/data/anime64-full}"
ref="${REFERENCE:-}"
original() {    # the original's grid at step $1: a file of REFERENCE, else its name in the catalogue
    if [ -n "$ref" ]; then echo "$ref/Faces_$1.png"; else echo "original:$1"; fi
}
[ -e "$run/config.json" ] || { echo "Error: $run/config.json not found" >&2; exit 1; }
[ -d "$real" ] || { echo "Error: $real not found; set REAL to the folder of real faces the run trained on" >&2; exit 1; }
[ -z "$ref" ] || [ -d "$ref" ] || { echo "Error: REFERENCE $ref not found" >&2; exit 1; }
if [ -e "$out" ]; then
    echo "Error: $out exists; choose another OUT (nothing is overwritten)" >&2; exit 1
fi
mkdir -p "$out"
compare=("$py" "$root/compare.py" --real "$real" --real-n 1000 --seed 0)

for s in "${steps[@]}"; do
    case "$s" in 1650|1685|1720) ref_step="$(original "$s")" ;;
                 *) ref_step="$(original 1720)" ;;          # trial runs at other steps
    esac
    echo "== ours at step $s (drawn as the original drew its grids) vs its grid and real faces"
    "${compare[@]}" "$run/image/Faces_$s.png" --reference "$ref_step" --like-original --out "$out/ours"
    echo "== ours at step $s as generated vs its grid undrawn (no drawing in either) and real faces"
    "${compare[@]}" "$run/image/Faces_$s.png" --reference "$ref_step" --undraw --fine-scale \
        --out "$out/ours_undrawn"
done
for s in 1650 1685 1720; do
    echo "== the original's Faces_$s.png vs real faces: its tiles cut, then undrawn"
    "${compare[@]}" "$(original "$s")" --out "$out/original"
    "${compare[@]}" "$(original "$s")" --undraw --fine-scale --out "$out/original_undrawn"
done
echo "== timeline over the run's checkpoints, and a GIF of its grids"
"${compare[@]}" "$run" --step "${steps[-1]}" --like-original --timeline --out "$out/timeline"
cp "$run/loss.png" "$out/loss.png"
echo "== a small GIF of the grids for the docs (20 frames, 256 pixels)"
PYTHONPATH="$root" "$py" -c 'import sys; from gan.eval.pictures import grid_gif
print("wrote %s: steps %s" % (sys.argv[2], grid_gif(sys.argv[1], sys.argv[2], max_frames=20, max_side=256)))' \
    "$run" "$out/grids_small.gif"

echo "== side-by-side: our step-${steps[-1]} grid beside the original's Faces_1720.png"
PYTHONPATH="$root" "$py" -c 'import sys; import cv2
from gan.eval.imagesets import load_image_set
from gan.eval.pictures import side_by_side
from gan.eval.references import tiles
ours, original, path = sys.argv[1:]
rgb = side_by_side([("ours (gan-animation)", load_image_set(ours)),
                    ("original GAN_animation", tiles(original))])
cv2.imwrite(path, rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])
print("wrote %s" % path)' "$run/image/Faces_${steps[-1]}.png" "$(original 1720)" "$out/ours_vs_original.jpg"
ls -la "$out" "$out"/*
