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

# The model and the committed migrations must agree.
if ! dotnet ef migrations has-pending-model-changes -p IdeaScale.Portal --no-build >"$results/ef.log" 2>&1; then
  cat "$results/ef.log"
  fail_step "EF Core model has changes without a migration"
fi

# Test projects run side by side, each into its own results folder.
test_projects=(IdeaScale.Portal.Tests IdeaScale.E2E)
pids=()
for project in "${test_projects[@]}"; do
  dotnet test "$project" --no-build -c Debug --logger "trx" --logger "console;verbosity=normal" \
    --results-directory "$results/$project" >"$results/$project.log" 2>&1 &
  pids+=($!)
done
test_exit=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || test_exit=$?
  # Failures in full, then each project's summary line.
  grep -A 25 -E '^\s+Failed ' "$results/${test_projects[$i]}.log" | head -n 600 || true
  grep -E '^(Passed!|Failed!)' "$results/${test_projects[$i]}.log" || true
done

passed=0
failed=0
skipped=0
shopt -s nullglob
for trx in "$results"/*/*.trx; do
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
