#!/usr/bin/env bash
# Runs one benchmark in Release: deploy/scripts/bench.sh <name> [args]; with no name, lists them.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"
MUSTAFAR_BOOTSTRAP_QUIET=1 deploy/scripts/bootstrap.sh
exec dotnet run -c Release --project tests/Mustafar.Benchmarks -- "$@"
