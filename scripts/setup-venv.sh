#!/usr/bin/env bash
# Create (or reuse) a virtualenv with the pinned stack:
#   scripts/setup-venv.sh [3.7|3.6] [VENV_DIR] [REQUIREMENTS]   (default requirements.txt)
set -euo pipefail
want="${1:-3.7}"
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${2:-$root/.venv${want/./}}"
reqs="${3:-$root/requirements.txt}"
[ -f "$reqs" ] || { echo "Error: requirements file $reqs not found" >&2; exit 1; }

find_python() {
  local v="$1" cand
  # 1. on PATH and really that version (pyenv shims exist but may refuse to run)
  for cand in "python$v" python3 python; do
    if command -v "$cand" >/dev/null 2>&1 &&
       "$cand" -c "import sys; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$v' else 1)" >/dev/null 2>&1; then
      command -v "$cand"; return 0
    fi
  done
  # 2. through pyenv
  local pyroot="${PYENV_ROOT:-$HOME/.pyenv}"
  if command -v pyenv >/dev/null 2>&1; then pyroot="$(pyenv root)"; fi
  for cand in "$pyroot"/versions/"$v".*/bin/python"$v"; do
    [ -x "$cand" ] && { echo "$cand"; return 0; }
  done
  return 1
}

if ! py="$(find_python "$want")"; then
  cat >&2 <<MSG
Error: Python $want was not found (neither python$want on PATH nor a pyenv version $want.x).
Install it, e.g. 'pyenv install $want' (or your system's python$want package with venv),
then run this again. Without a local Python $want, use the Docker image instead:
see docker/README.md.
MSG
  exit 1
fi

stamp="$venv/.pins"
pins="$(cat "$reqs" "$root/constraints-py36.txt" | cksum)"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pins" ]; then
  echo "venv up to date: $venv"; exit 0
fi
echo "creating $venv with $py"
rm -rf "$venv"
"$py" -m venv "$venv"
# pip 21.3.1 is the last release for Python 3.6 and reads manylinux2014 wheels
"$venv/bin/python" -m pip install --quiet "pip==21.3.1" 2>&1 | grep -v "is ignored" || true
"$venv/bin/python" -m pip install --quiet "setuptools==59.6.0" "wheel==0.37.1" 2>&1 | grep -v "is ignored" || true
extra=()
[ "$want" = "3.6" ] && extra=(-c "$root/constraints-py36.txt")
"$venv/bin/python" -m pip install --quiet -r "$reqs" "${extra[@]}" 2>&1 | grep -v "is ignored" || true
"$venv/bin/python" -c "import tensorflow, keras, h5py, cv2, matplotlib, pytest" >/dev/null 2>&1 || {
  echo "Error: installing the pinned packages into $venv failed; see the pip output above." >&2; exit 1; }
"$venv/bin/python" -m pip check
echo "$pins" > "$stamp"
echo "venv ready: $venv"
