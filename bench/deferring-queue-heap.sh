#!/usr/bin/env bash
# The daemon's live heap with a deep queue: runs the deferring-queue bench
# (N messages to a destination that defers, two passes over all of them)
# under heaptrack and prints its RSS lines, then the peak of memory
# actually allocated. RSS also counts what the allocator keeps after
# freeing and the stacks of the runtime's threads; the live heap is what
# would grow if the daemon kept something per queued message.
#
#     bash bench/deferring-queue-heap.sh [N]      # default 100000; as root to install heaptrack
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
if ! command -v heaptrack >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq heaptrack >/dev/null
fi
cargo build -q -p sealane-server --example bench_deferring_queue
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
heaptrack -o "$out/heap" target/debug/examples/bench_deferring_queue "$n" 20 | grep '^sealane-deferring'
heaptrack_print -f "$out/heap.zst" --print-peaks 0 --print-allocators 0 --print-temporary 0 \
  --print-leaks 0 2>/dev/null | grep -E '^(peak heap memory consumption|total memory leaked)' |
  sed "s/^/sealane-deferring: $n messages: /"
