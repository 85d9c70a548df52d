#!/usr/bin/env bash
# The SCIM load benchmark (issue 6), from a clean clone on a fresh machine, in one command:
#   ./bench.sh [--provider sqlite|postgresql] [--sizes 10000,100000] [--scale-users 1000000] [--duration 3] [--first-warmup 4] [--warmup 2]
#              [--connections 8] [--provision-seconds 30] [--port 5301] [--scenarios create,user-patch,...] [--profile]
# --profile samples the app with Linux perf during each measurement (installs Debian linux-perf when missing) and
# writes, per scenario, where its CPU went to results/<date>-profiles/<size>-<scenario>.md (see Load/Profiler.cs);
# the report is then <date>-profiled.md, as sampling lowers the rates a little.
# --provider postgresql (default sqlite) installs Debian postgresql when missing, starts a throwaway cluster on a
# free loopback port in a temporary folder (pinned to the server core like the servers; stopped and removed on
# exit) and runs the app and a plain Kestrel + Npgsql reference on it, each in its own database.
# Installs wrk (Debian package) when missing, publishes the app in Release, builds IdeaScale.Benchmarks, then
# `IdeaScale.Benchmarks load` starts the app and the reference server pinned to core 0 and wrk pinned to core 1,
# runs every scenario at 10,000 and 100,000 users, then the scale phase at 1,000,000, stops everything and writes
# IdeaScale.Benchmarks/results/<date>.md (also printed). See README.md, section "Performance".
#
# Expected wall time of the default run on an idle 2-core machine (the report's "Where the run's time went" gives
# each phase's measured wall and CPU time, and the expected time of the phases the settings fix):
#   publish + build ~1.5 min; app and reference start ~10 s;
#   10,000 users: provisioning ≤ 10 s (1 client) + ≤ 30 s (8 clients), groups ~5 s, 12 scenarios × 2 servers ×
#     (4 s warm-up + 3 s) ≈ 3.0 min;
#   100,000 users: provisioning ≤ 30 s, the rest inserted directly ~5 s, 12 × 2 × (2 + 3 s) ≈ 2.2 min, the log
#     overhead pair (two app starts, warm-ups, 2 rounds × 3 lookups × on/off) ≈ 1.3 min;
#   scale, 1,000,000 users: direct insertion ~30–45 s, the 100,000-member group through the API ~30 s, reference
#     copy ~20 s, 4 × 2 × (2 + 3 s) ≈ 45 s;
#   in all about 12 minutes (the issue's budget is 15).
set -euo pipefail
prepare_start=$(date +%s.%N)
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

provider=sqlite
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[$i]}" = "--provider" ]; then provider="${args[$((i + 1))]:-}"; fi
done
case "${provider,,}" in
  sqlite) provider=sqlite ;;
  postgresql | postgres) provider=postgresql ;;
  *) echo "bench.sh: --provider must be sqlite or postgresql (got '$provider')" >&2; exit 2 ;;
esac

pg_bin=/usr/lib/postgresql/15/bin
missing=()
[ "$provider" = postgresql ] && [ ! -x "$pg_bin/initdb" ] && missing+=(postgresql)
command -v wrk >/dev/null || missing+=(wrk)
[ -x /usr/bin/time ] || missing+=(time)
command -v taskset >/dev/null || missing+=(util-linux)
for arg in "$@"; do
  [ "$arg" = "--profile" ] && ! command -v perf >/dev/null && missing+=(linux-perf)
done
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
pg_dir=""
cleanup() {
  for pidfile in "$work"/run/*.pid; do
    [ -e "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  if [ -n "$pg_dir" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
}
trap cleanup EXIT

provider_args=(--provider "$provider")
if [ "$provider" = postgresql ]; then
  # Debian's initdb refuses to run as root: the cluster runs as postgres in a folder it owns. Settings, chosen to be
  # comparable with the app's SQLite pragmas (WAL, synchronous=NORMAL: no fsync per commit, durable at checkpoints):
  # fsync stays on, synchronous_commit=off (a commit does not wait for its WAL flush; a crash may lose the last
  # commits but never corrupts), shared_buffers=256MB so the 100,000-user tables stay in memory as SQLite's page
  # cache and the OS cache hold them. Every PostgreSQL process runs on the server core (taskset is inherited).
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/ideascale-bench-pg-XXXXXX")
  chown postgres "$pg_dir"
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  echo "Starting PostgreSQL on 127.0.0.1:$pg_port (core $server_core)..."
  runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres >"$work/initdb.log" 2>&1 ||
    { cat "$work/initdb.log"; exit 1; }
  taskset -c "$server_core" runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c max_connections=200 -c fsync=on -c synchronous_commit=off -c shared_buffers=256MB" \
    start >/dev/null || { tail -n 20 "$pg_dir/server.log"; exit 1; }
  provider_args+=(--postgres "Host=127.0.0.1;Port=$pg_port;Username=postgres")
fi

echo "Publishing the app (Release)..."
dotnet publish IdeaScale.Portal -c Release -o "$work/app" -nologo -clp:ErrorsOnly >/dev/null
echo "Building IdeaScale.Benchmarks (Release)..."
dotnet build IdeaScale.Benchmarks -c Release -nologo -clp:ErrorsOnly >/dev/null
prepare_seconds=$(awk -v a="$prepare_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

dotnet IdeaScale.Benchmarks/bin/Release/net10.0/IdeaScale.Benchmarks.dll load \
  --app "$work/app" --work "$work/run" --results IdeaScale.Benchmarks/results \
  --server-core "$server_core" --client-core "$client_core" \
  --commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" --prepare-seconds "$prepare_seconds" "$@" "${provider_args[@]}"
