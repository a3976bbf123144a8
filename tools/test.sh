#!/usr/bin/env bash
# Sets up and builds DS, then runs every test: the lit suite (FileCheck tests
# of the tools), the GoogleTest units (through ctest) and a short pass of
# every fuzz target (DS_FUZZ_SECONDS each, default 20). Prints the totals
# and exits non-zero if anything failed.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# --sanitize: everything built with AddressSanitizer and UBSan in
# build-sanitize/ (a separate tree; a clean build takes a while), then the
# same tests. Any report fails the run.
if [ "${1:-}" = "--sanitize" ]; then
  export DS_BUILD_DIR="${DS_BUILD_DIR:-$root/build-sanitize}"
  export DS_CMAKE_ARGS="${DS_CMAKE_ARGS:-} -DDS_SANITIZE=ON"
  # libMLIR.so is not instrumented and keeps process-lifetime allocations,
  # which LeakSanitizer would report; memory errors and UB are what count.
  # LLVM's BumpPtrAllocator, inlined into our instrumented code, poisons
  # its slabs, and uninstrumented libMLIR.so then writes to them: manual
  # poisoning is off (allow_user_poisoning=0) so only real errors report.
  export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allow_user_poisoning=0:${ASAN_OPTIONS:-}"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
fi
build="${DS_BUILD_DIR:-$root/build}"

"$root/tools/setup.sh" || { echo "test: setup or build failed"; exit 1; }

logs="$build/test-logs"
mkdir -p "$logs"

echo "== lit"
/usr/lib/llvm-22/bin/lit -sv "$build/test" 2>&1 | tee "$logs/lit.log"
lit_status=${PIPESTATUS[0]}

echo "== ctest"
ctest --test-dir "$build" --output-on-failure 2>&1 | tee "$logs/ctest.log"
ctest_status=${PIPESTATUS[0]}

# Every fuzz target for a short while from its seeds (tools/fuzz.sh): the
# regressions replay first, so a reader that breaks on a known input fails
# here.
echo "== fuzz"
DS_BUILD_DIR="$build" "$root/tools/fuzz.sh" all "${DS_FUZZ_SECONDS:-20}" 2>&1 |
  tee "$logs/fuzz.log"
fuzz_status=${PIPESTATUS[0]}

# Totals from each runner's own summary.
count() { grep -E "^ *$1: *[0-9]+" "$2" | grep -oE "[0-9]+" | head -1; }
lit_passed=$(count Passed "$logs/lit.log"); lit_passed=${lit_passed:-0}
lit_failed=0
for kind in Failed Unresolved "Timed Out" "Unexpectedly Passed"; do
  n=$(count "$kind" "$logs/lit.log"); lit_failed=$((lit_failed + ${n:-0}))
done
ctest_total=$(grep -oE "tests failed out of [0-9]+" "$logs/ctest.log" | grep -oE "[0-9]+$")
ctest_failed=$(grep -oE "[0-9]+ tests failed" "$logs/ctest.log" | grep -oE "^[0-9]+")
ctest_total=${ctest_total:-0}; ctest_failed=${ctest_failed:-0}
# Tests that need a GPU skip themselves without one (counted apart).
ctest_skipped=$(grep -cE "^[[:space:]]*[0-9]+ - .*\(Skipped\)" "$logs/ctest.log")
lit_skipped=$(count Unsupported "$logs/lit.log"); lit_skipped=${lit_skipped:-0}
ctest_passed=$((ctest_total - ctest_failed - ctest_skipped))

fuzz_passed=$(grep -c ": [0-9]* executions in .* no findings" "$logs/fuzz.log")
fuzz_failed=$(grep -c ": FAILED" "$logs/fuzz.log")

# A runner that crashed or found nothing counts as a failure.
if [ "$lit_status" -ne 0 ] && [ "$lit_failed" -eq 0 ]; then lit_failed=1; fi
if [ "$ctest_status" -ne 0 ] && [ "$ctest_failed" -eq 0 ]; then ctest_failed=1; fi
if [ "$lit_passed" -eq 0 ]; then lit_failed=$((lit_failed + 1)); fi
if [ "$ctest_passed" -eq 0 ]; then ctest_failed=$((ctest_failed + 1)); fi
if [ "$fuzz_status" -ne 0 ] && [ "$fuzz_failed" -eq 0 ]; then fuzz_failed=1; fi
if [ "$fuzz_passed" -eq 0 ]; then fuzz_failed=$((fuzz_failed + 1)); fi

echo
echo "== summary"
echo "lit: $lit_passed passed, $lit_failed failed, $lit_skipped skipped (unsupported here)"
echo "ctest: $ctest_passed passed, $ctest_failed failed, $ctest_skipped skipped (need a GPU)"
echo "fuzz: $fuzz_passed targets without findings, $fuzz_failed failed"
echo "total: $((lit_passed + ctest_passed + fuzz_passed)) passed, $((lit_failed + ctest_failed + fuzz_failed)) failed, $((lit_skipped + ctest_skipped)) skipped"
[ "$lit_failed" -eq 0 ] && [ "$ctest_failed" -eq 0 ] && [ "$fuzz_failed" -eq 0 ]
