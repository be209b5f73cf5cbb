#!/usr/bin/env bash
# Run the test suite with the given interpreter (listing its 25 slowest tests); a run that
# collects no test is a failure. With --halves (first argument after the interpreter) the tests
# marked `slow` and the others run as two pytest processes side by side, each in its own
# temporary folder: the same tests, in about half the wall time on two cores.
set -uo pipefail
py="$1"; shift
cd "$(dirname "$0")/.."

collected() {  # pytest's exit code 5 means it collected no test
    if [ "$1" -eq 5 ]; then echo "Error: pytest collected no tests ($2)" >&2; return 1; fi
    return "$1"
}

if [ "${1:-}" != "--halves" ]; then
    "$py" -m pytest --durations=25 "$@"      # the slowest tests, to keep CI short
    collected $? "$py -m pytest $*"
    exit $?
fi
shift
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# --basetemp after PYTEST_ADDOPTS' own: the two halves must not share (and wipe) one folder
"$py" -m pytest --durations=15 -m slow --basetemp="$tmp/slow" "$@" >"$tmp/slow.log" 2>&1 &
pid=$!
"$py" -m pytest --durations=15 -m "not slow" --basetemp="$tmp/rest" "$@"
rc_rest=$?
wait "$pid"
rc_slow=$?
echo "== the tests marked slow, run beside the others: their output"
cat "$tmp/slow.log"
collected "$rc_rest" "not slow" && collected "$rc_slow" "slow"
