#!/usr/bin/env bash
# Load-tests the mesh that `deploy/scripts/mesh.sh up` left running: reads its addresses from .mesh/endpoints and
# runs the load tool (tests/load/Mustafar.Load) against them. Extra arguments go to the tool, for example:
#   deploy/scripts/load.sh                                        closed loop, 4 in flight, 30 s, chat/SSE/gRPC mix
#   deploy/scripts/load.sh --mode open --rate 3 --duration 60s --json load.json
#   deploy/scripts/load.sh --mix chat=2,ask=1,clip=1,diffusion=1 --repeat-share 0.8
#   deploy/scripts/load.sh --scenario my-scenario.json
# Exit code: 0 when every request succeeded, 1 when some failed, 2 for bad options.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"

endpoints=.mesh/endpoints
[ -f "$endpoints" ] || { echo "load: no $endpoints; start the mesh first: deploy/scripts/mesh.sh up" >&2; exit 2; }
gateway=$(awk '/^gateway HTTP/ {print $3}' "$endpoints")
gateway_grpc=$(awk '/^gateway gRPC/ {print "http://" $3}' "$endpoints")
diffusion_grpc=$(awk '/^diffusion-encoder/ {print "http://" $3}' "$endpoints")

dotnet build tests/load/Mustafar.Load -c Release -nologo -v quiet -clp:NoSummary
exec dotnet tests/load/Mustafar.Load/bin/Release/net10.0/Mustafar.Load.dll \
  --gateway "$gateway" --gateway-grpc "$gateway_grpc" --diffusion-grpc "$diffusion_grpc" "$@"
