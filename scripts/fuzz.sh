#!/usr/bin/env bash
# Run every cargo-fuzz target for a fixed time (not part of `make test`).
#
#   scripts/fuzz.sh [seconds-per-target] [target ...]
#
# Default: 60 s for each of text_pipeline, cluster_tiny, model_load and
# model_mutate. Needs cargo-fuzz (`cargo install cargo-fuzz`). cargo-fuzz's
# sanitizer flags (-Zsanitizer) need a nightly toolchain: with nightly
# installed it is used with AddressSanitizer; without it, the script falls
# back to the stable toolchain with RUSTC_BOOTSTRAP=1 and `--sanitizer none`
# (panics, overflows and assertion failures are still caught; memory errors
# in unsafe code are not, but the crate and its dependencies' safe Rust
# cannot have those).
#
# A crash leaves its input in fuzz/artifacts/TARGET/; reproduce it with
#   cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-...
# and turn it into a regression test (tests/regressions.rs or pytest).
# Exit status: 0 if no target crashed, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-60}"
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(text_pipeline cluster_tiny model_load model_mutate)
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "cargo-fuzz is not installed: run 'cargo install cargo-fuzz'" >&2
  exit 2
fi

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  FUZZ=(cargo +nightly fuzz)
  SANITIZER=(--sanitizer address)
  echo "fuzz: using the nightly toolchain with AddressSanitizer"
else
  export RUSTC_BOOTSTRAP=1
  FUZZ=(cargo fuzz)
  SANITIZER=(--sanitizer none)
  echo "fuzz: no nightly toolchain; using stable with RUSTC_BOOTSTRAP=1 and --sanitizer none"
fi

failed=()
for target in "${TARGETS[@]}"; do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  if [ -d "fuzz/seeds/$target" ]; then
    cp -n fuzz/seeds/"$target"/* "$corpus"/ 2>/dev/null || true
  fi
  log="fuzz/artifacts/$target.log"
  mkdir -p fuzz/artifacts
  echo "== $target: ${SECONDS_PER_TARGET}s"
  # -rss_limit_mb guards against runaway memory; -max_len keeps inputs small
  # enough that each run is fast (the 10 MB case is a pytest).
  "${FUZZ[@]}" run "${SANITIZER[@]}" "$target" "$corpus" -- \
      -max_total_time="$SECONDS_PER_TARGET" -max_len=4096 -rss_limit_mb=4096 -print_final_stats=1 \
      >"$log" 2>&1
  status=$?
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^#[0-9]+ +DONE' "$log" | sed "s/^/   /"
  if [ $status -ne 0 ]; then
    echo "   CRASH (exit $status); see $log and fuzz/artifacts/$target/"
    grep -m5 -E "panicked at|ERROR: |SUMMARY" "$log" | sed "s/^/   /"
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: crashes in: ${failed[*]}"
  exit 1
fi
echo "fuzz: no crashes"
