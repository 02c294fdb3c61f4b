#!/usr/bin/env bash
# Sets up everything a fresh machine lacks, builds, and runs every test. This is the README's test command and
# what CI runs (.ci/run calls this file).
#   deploy/scripts/test.sh            the suite CI runs (long soak/load forms excluded)
#   deploy/scripts/test.sh --long     also the long forms (tests marked [Trait("Category", "Long")])
#   extra arguments go to `dotnet test`, for example: --filter "FullyQualifiedName~Clip"
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"

long=0
args=()
for arg in "$@"; do
  case $arg in
    --long) long=1 ;;
    *) args+=("$arg") ;;
  esac
done

deploy/scripts/bootstrap.sh

# The parity tests read the golden fixtures in tests/fixtures/reference unless MUSTAFAR_REFERENCE_DIR names another
# set of the same layout; a missing fixture fails its test (MUSTAFAR_ALLOW_SKIPS=1 is the explicit opt-out).
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "== build"
dotnet build Mustafar.Mesh.sln -c Release -nologo -v quiet -clp:NoSummary

filter="Category!=Long"
[ $long = 1 ] && filter=""
results="$repo_root/artifacts/test-results"
rm -rf "$results"
log=$(mktemp)
echo "== test${filter:+ (filter: $filter)}"
set +e
dotnet test Mustafar.Mesh.sln -c Release --no-build -nologo ${filter:+--filter "$filter"} \
  --results-directory "$results" --logger "trx" --logger "console;verbosity=minimal" "${args[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# The model tests again, where numerics differ from the run above: with one intra-op thread (other row splits in
# batched kernels), and on the non-uniform fixture set (channel counts that are not multiples of 16, per-block head
# counts), unless a fixture set was named for this run.
models=tests/Mustafar.Models.Tests/Mustafar.Models.Tests.csproj
for variant in threads1 nonuniform; do
  [ $variant = nonuniform ] && [ -n "${MUSTAFAR_REFERENCE_DIR:-}" ] && continue
  echo "== test Mustafar.Models.Tests ($variant)"
  set +e
  case $variant in
    threads1) OMP_NUM_THREADS=1 dotnet test "$models" -c Release --no-build -nologo ${filter:+--filter "$filter"} \
        --results-directory "$results/$variant" --logger "trx" --logger "console;verbosity=minimal" "${args[@]}" 2>&1 | tee -a "$log" ;;
    nonuniform) MUSTAFAR_REFERENCE_DIR="$repo_root/tests/fixtures/reference-nonuniform" dotnet test "$models" -c Release --no-build -nologo \
        ${filter:+--filter "$filter"} --results-directory "$results/$variant" --logger "trx" --logger "console;verbosity=minimal" "${args[@]}" 2>&1 | tee -a "$log" ;;
  esac
  variant_status=${PIPESTATUS[0]:-1}
  set -e
  [ "$variant_status" -ne 0 ] && status=$variant_status
done

echo
echo "== test summary"
grep -E '^(Passed|Failed)!' "$log" | sed -E 's/ - Mustafar/  Mustafar/' || true
awk '/^(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "total: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
# An unset status (a pipeline that could not run, such as a full disk) is a failure, never a pass.
status=${status:-1}
if [ "$status" -ne 0 ]; then echo "TESTS FAILED (dotnet test exit code $status)"; exit "$status"; fi
echo "ALL TESTS PASSED"
