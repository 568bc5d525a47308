#!/usr/bin/env bash
# Builds the CEL fuzzer (libFuzzer, AddressSanitizer, UBSan; needs clang) and runs it.
#   scripts/fuzz.sh [seconds=600]
# The corpus grows in build-fuzz/corpus from tests/fuzz/seeds; a failing input is written to
# build-fuzz/crash-* (turn each into a case of tests/cel_fuzz_regressions_test.cc).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
scripts/install-deps.sh
[ -f build-fuzz/build.ninja ] ||
  CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DRUNLEDGER_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build-fuzz --target cel_fuzz
mkdir -p build-fuzz/corpus
exec build-fuzz/cel_fuzz -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=4096 \
  -artifact_prefix=build-fuzz/ -print_final_stats=1 build-fuzz/corpus tests/fuzz/seeds
