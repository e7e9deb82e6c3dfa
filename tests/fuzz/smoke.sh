#!/usr/bin/env bash
# Run every fuzz target for a short while from its seeds; any crash, leak
# or sanitizer report fails.  Usage: tests/fuzz/smoke.sh FUZZ_OUT SECONDS
set -u
cd "$(dirname "$0")/../.."
out=$1 secs=$2
shared=$(cd ../shared/corpus 2>/dev/null && pwd)
passed=0 failed=0
for f in "$out"/fuzz_*; do
  name=${f##*/fuzz_}
  work=$out/corpus-$name
  mkdir -p "$work"
  seeds=(tests/fuzz/corpus/$name)
  [ "$name" = rpm ] && [ -n "$shared" ] && seeds+=("$shared/rpm-testdata" "$shared/rpm-testdata/built/noarch")
  [ -d "${seeds[0]}" ] || seeds=("${seeds[@]:1}")
  if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$out/$name-" \
       "$work" "${seeds[@]}" >"$out/$name.log" 2>&1; then
    echo "ok - fuzz_$name: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$name.log" | grep -o '[0-9]*$') runs in ${secs}s, no finding"
    passed=$((passed + 1))
  else
    echo "not ok - fuzz_$name: see $out/$name.log"; tail -30 "$out/$name.log" | sed 's/^/#   /'
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
