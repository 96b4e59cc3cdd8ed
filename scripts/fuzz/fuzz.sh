#!/usr/bin/env bash
# Runs the libFuzzer targets one after another and prints a summary (executions, cov, ft per target).
#
#   scripts/fuzz/fuzz.sh SECONDS_PER_TARGET [TARGET...]        targets: image model classify frame locate (default: all)
#   FUZZ_SECONDS_<TARGET>=N overrides the time of one target, e.g. FUZZ_SECONDS_image=1200
#
# Each target reads the committed seeds in tests/fuzz/corpus/<target>/ and writes what it finds to
# build/fuzz/corpus/<target>/ (the first corpus folder is the one libFuzzer adds to), so the committed
# corpus is never changed. Crashes, leaks, UBSan reports, timeouts and OOMs are saved under
# build/fuzz/artifacts/<target>/ and make the script exit 1 (after running the remaining targets).
# To keep new interesting inputs, merge them by hand:
#   build/fuzz/fuzz_image -merge=1 tests/fuzz/corpus/image build/fuzz/corpus/image
# Single process, no -jobs/-workers; set FUZZ_NICE=10 to run under nice -n 10. FUZZ_WORK changes the
# folder new inputs go to (make test-fuzz uses build/fuzz/test-corpus, so its runs start from the seeds).
set -uo pipefail
cd "$(dirname "$0")/../.."
F=build/fuzz
W=${FUZZ_WORK:-$F/corpus}
secs=${1:?usage: scripts/fuzz/fuzz.sh SECONDS_PER_TARGET [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(image model classify frame locate)
nice_cmd=()
[ -n "${FUZZ_NICE:-}" ] && nice_cmd=(nice -n "$FUZZ_NICE")

declare -A maxlen=([image]=20000 [model]=65536 [classify]=20000 [frame]=20000 [locate]=20000)
declare -A timeout=([image]=30 [model]=30 [classify]=30 [frame]=30 [locate]=30)
declare -A dict=([image]=tests/fuzz/image.dict [model]=tests/fuzz/model.dict [classify]=tests/fuzz/image.dict [frame]=tests/fuzz/image.dict [locate]=tests/fuzz/image.dict)

status=0
summary=()
for t in "${targets[@]}"; do
  bin=$F/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz.sh: $bin not built (make fuzz-build)"; exit 2; }
  var="FUZZ_SECONDS_$t"
  s=${!var:-$secs}
  mkdir -p "$W/$t" "$F/artifacts/$t" "$F/logs"
  log=$F/logs/$t.log
  echo "== fuzz_$t: ${s}s, log $log"
  start=$(date +%s)
  # Leak checks are on (ASan's default under libFuzzer); -rss_limit_mb also bounds each malloc.
  "${nice_cmd[@]}" "$bin" -max_total_time="$s" -rss_limit_mb=2048 -timeout="${timeout[$t]}" \
      -max_len="${maxlen[$t]}" -dict="${dict[$t]}" -print_final_stats=1 -detect_leaks=1 \
      -artifact_prefix="$F/artifacts/$t/" "$W/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  wall=$(( $(date +%s) - start ))
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  findings=$(grep -cE '^==[0-9]+==ERROR|runtime error:|^SUMMARY: libFuzzer|fuzz invariant failed' "$log")
  if [ $rc -ne 0 ] || [ "$findings" -ne 0 ]; then
    status=1
    echo "!! fuzz_$t: exit $rc, $findings finding line(s); see $log and $F/artifacts/$t/"
    grep -E '^==[0-9]+==ERROR|runtime error:|^SUMMARY|fuzz invariant failed|Test unit written' "$log" | head -n 20
  fi
  summary+=("$(printf '%-9s %6ss %12s execs  cov %6s  ft %7s  corpus %-12s exit %s' "$t" "$wall" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$rc")")
done
echo "== fuzz summary ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
printf '%s\n' "${summary[@]}"
[ $status -eq 0 ] && echo "fuzz: no findings" || echo "fuzz: FINDINGS (see above)"
exit $status
