#!/usr/bin/env bash
# The test files of `npm test`, after the build and lint: every file but the timing tests in
# parallel, then the timing tests (`*.timing.test.js`) one at a time and alone, since they compare
# times and another file beside them would take the cores they measure. Ends with a summary of what
# ran and what did not, and exits 1 when any test failed. An argument names another folder of
# compiled tests than dist/test (its own test runs it on a few files of its own).
set -uo pipefail
tests=$(realpath "${1:-$(dirname "$0")/../dist/test}")
cd "$(dirname "$0")/.."
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

mapfile -t main < <(find "$tests" -name '*.test.js' ! -name '*.timing.test.js' | sort)
mapfile -t timing < <(find "$tests" -name '*.timing.test.js' | sort)
# The prerequisites are installed: a missing program or PostgreSQL fails its tests (test/helpers/tools.ts).
export TEST_REQUIRE_TOOLS=1
TEST_REQUIRE_POSTGRES=1 node --test --test-concurrency=2 "${main[@]}" | tee "$log/main.tap"
main_status=${PIPESTATUS[0]}
# Without files node --test would look for tests itself: none is none.
if ((${#timing[@]})); then
  node --test --test-concurrency=1 "${timing[@]}" | tee "$log/timing.tap"
  timing_status=${PIPESTATUS[0]}
else
  : >"$log/timing.tap"
  timing_status=0
fi

# The last "# pass N" (and so on) of a TAP stream: node's totals for the run.
total() { grep -E "^# $1 [0-9]+$" "$2" | tail -n 1 | awk '{print $3}'; }
passed=0 failed=0 skipped=0 todo=0
for step in main timing; do
  # A test cancelled because its setup failed (a missing program, a server that did not start) counts as failed.
  for kind in pass fail cancelled skipped todo; do
    n=$(total "$kind" "$log/$step.tap"); n=${n:-0}
    case $kind in pass) passed=$((passed + n)) ;; fail | cancelled) failed=$((failed + n)) ;; skipped) skipped=$((skipped + n)) ;; todo) todo=$((todo + n)) ;; esac
  done
done

echo
echo "Summary: ${#main[@]} test files in parallel, then ${#timing[@]} timing test files alone."
not_run=$(grep -hE '^ *ok [0-9]+ - .* # (SKIP|TODO)' "$log/main.tap" "$log/timing.tap" | sed -E 's/^ *ok [0-9]+ - /  /')
if [ -n "$not_run" ]; then echo "Not run (skipped or to do), with the reason:"; echo "$not_run"; else echo "Every test ran."; fi
if ((main_status != 0 || timing_status != 0)); then
  echo "Failed:"
  grep -hE '^ *not ok [0-9]+ - ' "$log/main.tap" "$log/timing.tap" | sed -E 's/^ *not ok [0-9]+ - /  /'
  # Why each failed, here at the end where a CI log's tail shows it: the YAML block of every
  # failed test (the error, the expected and actual values, the stack's first lines), 40 lines at most each.
  echo "Why:"
  awk '/^ *not ok [0-9]+ - / { name = $0; sub(/^ *not ok [0-9]+ - /, "", name); print "  - " name; block = 1; n = 0; next }
       block && /^ *\.\.\.$/ { block = 0; next }
       block && n < 40 { print "    " $0; n++ }' "$log/main.tap" "$log/timing.tap"
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
((main_status == 0 && timing_status == 0))
