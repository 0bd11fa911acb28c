#!/usr/bin/env bash
# Runs the property tests over network parsers (tests/fuzz_*.rs in the tls,
# smtp, policy and check crates) for a long time, with many cases per round,
# under an address-space limit so that an unbounded allocation fails the run
# instead of swapping. Prints the cases run per target and any failure
# (proptest prints the minimal failing input; the log is kept).
#
#   scripts/fuzz-hour.sh [SECONDS (3600)] [CASES per round (20000)] [MEMORY limit in MiB (1024)]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-3600}
cases=${2:-20000}
memory_mib=${3:-1024}
logs=$(mktemp -d "${TMPDIR:-/tmp}/sealane-fuzz.XXXXXX")

crates=(sealane-tls sealane-smtp sealane-policy sealane-check)
build_args=()
for crate in "${crates[@]}"; do build_args+=(-p "$crate"); done
for file in crates/*/tests/fuzz_*.rs; do
  build_args+=(--test "$(basename "$file" .rs)")
done

echo "== building the fuzz targets"
# Cargo and rustc run without the limit; only the test binaries get it.
binaries=$(cargo test --no-run --message-format=json "${build_args[@]}" 2>/dev/null |
  python3 -c '
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "compiler-artifact" and msg.get("executable") \
            and msg["target"]["name"].startswith("fuzz_"):
        print(msg["executable"])
')
if [ -z "$binaries" ]; then
  echo "no fuzz target built" >&2
  exit 2
fi

targets=()
for binary in $binaries; do
  while read -r name; do
    targets+=("$binary::$name")
  done < <("$binary" --list --format terse 2>/dev/null | sed -n 's/: test$//p')
done
echo "== ${#targets[@]} targets, $cases cases per round, ${memory_mib} MiB address space, ${seconds}s"

declare -A total failures
for target in "${targets[@]}"; do total[$target]=0; failures[$target]=0; done

deadline=$((SECONDS + seconds))
round=0
while [ $SECONDS -lt $deadline ]; do
  round=$((round + 1))
  for target in "${targets[@]}"; do
    [ $SECONDS -lt $deadline ] || break
    binary=${target%%::*}
    name=${target#*::}
    log="$logs/$(basename "$binary")-$name-$round.log"
    if (ulimit -v $((memory_mib * 1024)) &&
        PROPTEST_CASES=$cases "$binary" --exact "$name" --test-threads 1 --nocapture) >"$log" 2>&1; then
      total[$target]=$((total[$target] + cases))
      rm -f "$log"
    else
      failures[$target]=$((failures[$target] + 1))
      echo "!! $(basename "$binary") $name failed in round $round; log: $log"
      grep -E "minimal failing input|panicked|memory allocation|Test failed" "$log" | head -5 || true
    fi
  done
done

echo "== cases run per target after $round round(s), $((SECONDS))s"
status=0
for target in "${targets[@]}"; do
  binary=$(basename "${target%%::*}")
  printf '%-12s %-60s %10d cases  %d failed rounds\n' \
    "${binary%-*}" "${target#*::}" "${total[$target]}" "${failures[$target]}"
  [ "${failures[$target]}" -eq 0 ] || status=1
done
exit $status
