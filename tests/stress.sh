#!/usr/bin/env bash
# Run the whole suite N times (default 5) while every core is kept busy by a CPU burner, to
# shake out tests that only pass on a quiet machine. Usage: tests/stress.sh [N] [pytest args…]
# Prints one line per run (result, duration) and exits non-zero if any run failed.
set -uo pipefail
cd "$(dirname "$0")/.."

runs="${1:-5}"
shift || true
python="${PYTHON:-.venv/bin/python}"
logdir="$(mktemp -d -t sf1590-stress-XXXXXX)"
burners=()

stop_burners() {
  for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
}
trap stop_burners EXIT
trap 'exit 130' INT TERM

cores="$(nproc)"
for _ in $(seq "$cores"); do
  "$python" -c 'while True: pass' &
  burners+=("$!")
done
echo "stress: $runs run(s) of the suite with $cores CPU burner(s); logs in $logdir"

passed=0
failed=0
for i in $(seq "$runs"); do
  started=$(date +%s)
  if "$python" -m pytest -q -p no:cacheprovider "$@" >"$logdir/run-$i.log" 2>&1; then
    result=PASS; passed=$((passed + 1))
  else
    result=FAIL; failed=$((failed + 1))
  fi
  summary="$(tail -n 1 "$logdir/run-$i.log")"
  echo "run $i/$runs: $result in $(( $(date +%s) - started )) s ($summary)"
  if [ "$result" = FAIL ]; then
    grep -E '^(FAILED|ERROR) ' "$logdir/run-$i.log" | sed 's/^/    /'
  fi
done
echo "stress: $passed passed, $failed failed of $runs run(s); load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$failed" -eq 0 ]
