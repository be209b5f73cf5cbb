#!/usr/bin/env bash
# Run the test suite with the given interpreter (listing its 25 slowest tests); a run that
# collects no test is a failure.
set -uo pipefail
py="$1"; shift
cd "$(dirname "$0")/.."
"$py" -m pytest --durations=25 "$@"      # the slowest tests, to keep CI short
rc=$?
if [ "$rc" -eq 5 ]; then echo "Error: pytest collected no tests" >&2; exit 1; fi
exit "$rc"
