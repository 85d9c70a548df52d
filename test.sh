#!/usr/bin/env bash
# Runs the whole suite (unit, component, integration, E2E) from a clean clone on a fresh machine.
# Installs what the tests need when it is missing, and ends with the plain line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

results="TestResults/run"
rm -rf "$results"
mkdir -p "$results"
step_failures=0

fail_step() {
  echo "test.sh: step failed: $1" >&2
  step_failures=$((step_failures + 1))
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    as_root apt-get update -qq || true
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# Debian's Chromium drives the Playwright E2E tests ("playwright install" cannot download here).
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian chromium for the E2E tests..."
  apt_install chromium || fail_step "install chromium"
fi

# The integration and E2E suites run on both providers: SQLite, then a throwaway PostgreSQL cluster (Debian's
# postgresql, installed when missing). "./test.sh --sqlite-only" skips the PostgreSQL run (a quicker local loop).
with_postgresql=1
[ "${1:-}" = "--sqlite-only" ] && with_postgresql=0
if [ "$with_postgresql" -eq 1 ] && [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
  echo "Installing Debian postgresql for the PostgreSQL run..."
  apt_install postgresql || fail_step "install postgresql"
fi

dotnet tool restore >/dev/null || fail_step "dotnet tool restore"

if ! dotnet build IdeaScale.Portal.sln -c Debug -nologo -clp:ErrorsOnly; then
  fail_step "build"
  echo "0 passed, ${step_failures} failed"
  exit 1
fi

# Code style: .editorconfig is enforced (whitespace, imports, style rules).
if ! dotnet format IdeaScale.Portal.sln --no-restore --verify-no-changes >"$results/format.log" 2>&1; then
  head -n 40 "$results/format.log"
  fail_step "dotnet format --verify-no-changes"
fi

# The model and the committed migrations must agree, for each provider's migration set.
if ! dotnet ef migrations has-pending-model-changes -p IdeaScale.Portal --no-build >"$results/ef.log" 2>&1; then
  cat "$results/ef.log"
  fail_step "EF Core model has changes without a SQLite migration"
fi
if ! Database__Provider=PostgreSQL ConnectionStrings__Portal="Host=127.0.0.1;Database=design_time" \
  dotnet ef migrations has-pending-model-changes -p IdeaScale.Portal --no-build >"$results/ef-postgresql.log" 2>&1; then
  cat "$results/ef-postgresql.log"
  fail_step "EF Core model has changes without a PostgreSQL migration"
fi

# A throwaway PostgreSQL cluster on a free loopback port, in a temporary folder owned by postgres; removed on exit.
pg_dir=""
pg_port=""
stop_postgres() {
  if [ -n "$pg_dir" ]; then
    runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
}
trap stop_postgres EXIT
start_postgres() {
  pg_dir=$(mktemp -d /tmp/ideascale-pg-XXXXXX)
  chown postgres "$pg_dir"
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D "$pg_dir/data" -A trust -U postgres >"$results/initdb.log" 2>&1 &&
    runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c max_connections=400 -c fsync=off -c synchronous_commit=off" start >/dev/null
}

# Each run: both test projects side by side, each into its own results folder; a project's exit code goes to
# "<run>-<project>.exit". The SQLite run, then the PostgreSQL run (side by side they took longer on 2 cores).
run_suite() {
  local run="$1"
  local pids=()
  local names=()
  for project in IdeaScale.Portal.Tests IdeaScale.E2E; do
    (
      dotnet test "$project" --no-build -c Debug --logger "trx" --logger "console;verbosity=normal" "${@:2}" \
        --results-directory "$results/$run/$project" >"$results/$run-$project.log" 2>&1
      echo $? >"$results/$run-$project.exit"
    ) &
    pids+=($!)
    names+=("$run-$project")
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}"
  done
}

# Tests with Trait Pass=PostgreSQL (the phone half of the accessibility sweep) run in the PostgreSQL run only, when
# there is one: the two runs then take about as long.
if [ "$with_postgresql" -eq 0 ]; then
  run_suite sqlite
else
  run_suite sqlite --filter "Pass!=PostgreSQL"
fi
if [ "$with_postgresql" -eq 0 ]; then
  :
elif start_postgres; then
  # Tests about SQLite itself (query plans, pragmas, the file) and the desktop half of the accessibility sweep (markup
  # and colours do not depend on the database) carry Trait Provider=Sqlite and run in the SQLite run only.
  PORTAL_TEST_PROVIDER=PostgreSQL PORTAL_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres" \
    run_suite postgresql --filter "Provider!=Sqlite"
else
  cat "$results/initdb.log" "$pg_dir/server.log" 2>/dev/null | tail -n 20
  fail_step "start PostgreSQL"
fi
# Failures in full, then each project's summary.
test_exit=0
shopt -s nullglob
for exitfile in "$results"/*.exit; do
  name=$(basename "$exitfile" .exit)
  code=$(cat "$exitfile")
  [ "$code" -ne 0 ] && test_exit=$code
  grep -A 25 -E '^\s+Failed ' "$results/$name.log" | head -n 600 || true
  echo "$name: $(grep -E '^\s+(Passed|Failed|Skipped): ' "$results/$name.log" | tr -s ' ' | tr '\n' ' ')(exit $code)"
done
shopt -u nullglob

passed=0
failed=0
skipped=0
shopt -s nullglob
for trx in "$results"/*/*/*.trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  skipped=$((skipped + ${t:-0} - ${e:-0}))
done

if [ "$test_exit" -ne 0 ] && [ "$failed" -eq 0 ]; then
  fail_step "dotnet test exited with $test_exit"
fi
failed=$((failed + step_failures))

if [ "$skipped" -gt 0 ]; then
  echo "${passed} passed, ${failed} failed, ${skipped} skipped"
else
  echo "${passed} passed, ${failed} failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
