#!/usr/bin/env bash
# The SCIM load benchmark (issue 6), from a clean clone on a fresh machine, in one command:
#   ./bench.sh [--sizes 10000,100000] [--duration 4] [--first-warmup 6] [--warmup 2] [--connections 8] [--provision-seconds 45]
# Installs wrk (Debian package) when missing, publishes the app in Release, builds IdeaScale.Benchmarks, then
# `IdeaScale.Benchmarks load` starts the app and the reference server pinned to core 0 and wrk pinned to core 1,
# runs every scenario at 10,000 and 100,000 users, stops everything and writes
# IdeaScale.Benchmarks/results/<date>.md (also printed). See README.md, section "Performance".
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
command -v wrk >/dev/null || missing+=(wrk)
[ -x /usr/bin/time ] || missing+=(time)
command -v taskset >/dev/null || missing+=(util-linux)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing ${missing[*]} (Debian packages)..."
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cores=$(nproc)
server_core=0
client_core=1
if [ "$cores" -lt 2 ]; then
  echo "bench.sh: only $cores core; server and client share core 0 (figures are not comparable)" >&2
  client_core=0
fi

work="${BENCH_WORK:-${TMPDIR:-/tmp}/ideascale-bench}"
rm -rf "$work"
mkdir -p "$work/run"

# Stop the servers the run started (by their recorded pids) however the run ends.
cleanup() {
  for pidfile in "$work"/run/*.pid; do
    [ -e "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
  done
}
trap cleanup EXIT

echo "Publishing the app (Release)..."
dotnet publish IdeaScale.Portal -c Release -o "$work/app" -nologo -clp:ErrorsOnly >/dev/null
echo "Building IdeaScale.Benchmarks (Release)..."
dotnet build IdeaScale.Benchmarks -c Release -nologo -clp:ErrorsOnly >/dev/null

dotnet IdeaScale.Benchmarks/bin/Release/net10.0/IdeaScale.Benchmarks.dll load \
  --app "$work/app" --work "$work/run" --results IdeaScale.Benchmarks/results \
  --server-core "$server_core" --client-core "$client_core" \
  --commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$@"
