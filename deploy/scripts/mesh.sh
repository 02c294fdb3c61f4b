#!/usr/bin/env bash
# The main job: set up what is missing, build, start Redis, the three model services (on the shipped demo model in
# deploy/demo-model unless real checkpoints are configured) and the gateway on free loopback ports, and ask questions
# about the sample image through the gateway's HTTP API (the demo: a synthetic shapes scene, beside its true answers).
#
#   deploy/scripts/mesh.sh up [--once] [--config FILE | --preset real-size [--layers N]] [--dtype DTYPE] [--question TEXT] [--image FILE]
#   deploy/scripts/mesh.sh down
#
# --once stops the mesh after the answer; otherwise it keeps running, its addresses printed, until `down`.
# --config FILE points the services at real checkpoints (see deploy/config/real-models.env.example).
# --preset real-size serves random-weight checkpoints at the real models' sizes (SD 2.1-base, CLIP ViT-L/14-336,
#   a llava-hf generator with Vicuna-7B's layer shapes and N decoder layers, default 2; cross-attention fusion),
#   written once by `mustafar bench init-real-size` under artifacts/real-size/ (about 10 GB). Its answers are
#   meaningless (random weights, self-made tokenizers); it is for measuring the mesh at real size.
# --dtype float32|bfloat16 sets the services' compute dtype (over --config's MUSTAFAR_DTYPE).
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"

state="$repo_root/.mesh"
pids="$state/pids"
logs="$state/logs"
cli_dll="deploy/cli/Mustafar.Cli/bin/Release/net10.0/mustafar.dll"
cli() { dotnet "$cli_dll" "$@"; }

down() {
  [ -f "$pids" ] || { echo "mesh: nothing is running (no $pids)"; return 0; }
  local name pid
  # Model services drain in-flight work on SIGTERM; give them a moment before forcing.
  while read -r name pid; do kill -TERM "$pid" 2>/dev/null && echo "mesh: stopping $name (pid $pid)" || true; done < "$pids"
  for _ in $(seq 1 60); do
    local alive=0
    while read -r name pid; do kill -0 "$pid" 2>/dev/null && alive=1; done < "$pids"
    [ $alive = 0 ] && break
    sleep 0.5
  done
  while read -r name pid; do kill -KILL "$pid" 2>/dev/null && echo "mesh: killed $name (pid $pid)" || true; done < "$pids"
  rm -f "$pids"
}

start() { # name command... ; logs to $logs/name.log and records the pid so that `down` stops exactly what was started
  local name=$1; shift
  setsid "$@" > "$logs/$name.log" 2>&1 < /dev/null &
  echo "$name $!" >> "$pids"
}

fail_with_logs() {
  echo "mesh: $1" >&2
  for f in "$logs"/*.log; do echo "---- $(basename "$f") (last lines)" >&2; tail -n 15 "$f" >&2; done
  down
  exit 1
}

up() {
  local once=0 config="" preset="" layers=2 dtype_arg="" question="" image=""
  while [ $# -gt 0 ]; do
    case $1 in
      --once) once=1 ;;
      --config) config=$2; shift ;;
      --preset) preset=$2; shift ;;
      --layers) layers=$2; shift ;;
      --dtype) dtype_arg=$2; shift ;;
      --question) question=$2; shift ;;
      --image) image=$2; shift ;;
      *) echo "mesh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
  done
  if [ -n "$config" ] && [ -n "$preset" ]; then echo "mesh: --config and --preset exclude each other" >&2; exit 2; fi

  deploy/scripts/bootstrap.sh
  echo "mesh: building"
  dotnet build deploy/mesh.slnf -c Release -nologo -v quiet -clp:NoSummary

  down >/dev/null
  mkdir -p "$logs"
  : > "$pids"

  # Model folders and settings: real checkpoints from --config, else the shipped demo model (deploy/demo-model:
  # a tiny LLaMA and cross-attention fusion trained with `mustafar train` on synthetic shapes scenes, beside its
  # frozen CLIP tower (pre-trained on the scenes) and random-weight Stable Diffusion; see deploy/demo-model/README.md).
  local clip_model generator_model diffusion_model device=cpu dtype=float32 demo=1
  if [ -n "$config" ]; then
    # shellcheck disable=SC1090
    . "$config"
    clip_model=${MUSTAFAR_CLIP_MODEL:?set MUSTAFAR_CLIP_MODEL in $config}
    diffusion_model=${MUSTAFAR_DIFFUSION_MODEL:?set MUSTAFAR_DIFFUSION_MODEL in $config}
    generator_model=${MUSTAFAR_GENERATOR_MODEL:?set MUSTAFAR_GENERATOR_MODEL in $config}
    device=${MUSTAFAR_DEVICE:-cpu}; dtype=${MUSTAFAR_DTYPE:-float32}; demo=0
  elif [ -n "$preset" ]; then
    [ "$preset" = real-size ] || { echo "mesh: unknown preset '$preset' (known: real-size)" >&2; exit 2; }
    local real="artifacts/real-size/layers-$layers"   # RealSizeCheckpoints.DefaultFolder, which bench.sh mesh uses too
    cli bench init-real-size --out "$real" --layers "$layers"
    clip_model=$real/llava    # as llava-1.5-7b-hf: the CLIP service loads the vision tower inside the checkpoint
    diffusion_model=$real/stable-diffusion
    generator_model=$real/llava
    demo=0
  else
    clip_model=deploy/demo-model/llava    # the CLIP service loads the vision tower inside the llava-hf checkpoint
    diffusion_model=deploy/demo-model/stable-diffusion
    generator_model=deploy/demo-model/llava
  fi
  [ -n "$dtype_arg" ] && dtype=$dtype_arg
  if [ -z "$image" ]; then
    if [ $demo = 1 ]; then image=deploy/demo-model/sample-scene.png; else image=deploy/sample/still-life.png; fi
  fi

  read -r redis_port clip_grpc clip_http diff_grpc diff_http gen_grpc gen_http gw_http gw_grpc <<< "$(cli free-ports 9)"

  start redis redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no

  service_env() { # model grpc-port http-port id
    echo MUSTAFAR__Model__Path="$1" MUSTAFAR__Model__Id="$4" MUSTAFAR__Model__Device="$device" MUSTAFAR__Model__DType="$dtype" \
      MUSTAFAR__Server__BindAddress=127.0.0.1 MUSTAFAR__Server__GrpcPort="$2" MUSTAFAR__Server__HttpPort="$3"
  }
  # shellcheck disable=SC2046
  start clip-encoder env $(service_env "$clip_model" "$clip_grpc" "$clip_http" clip) \
    dotnet services/Mustafar.ClipEncoder/bin/Release/net10.0/Mustafar.ClipEncoder.dll
  # shellcheck disable=SC2046
  start diffusion-encoder env $(service_env "$diffusion_model" "$diff_grpc" "$diff_http" stable-diffusion) \
    dotnet services/Mustafar.DiffusionEncoder/bin/Release/net10.0/Mustafar.DiffusionEncoder.dll
  # shellcheck disable=SC2046
  start generator env $(service_env "$generator_model" "$gen_grpc" "$gen_http" mustafar-llava) \
    dotnet services/Mustafar.Generator/bin/Release/net10.0/Mustafar.Generator.dll

  local cluster pool grpc http
  local gw_env=(Kestrel__Endpoints__Http__Url="http://127.0.0.1:$gw_http" Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$gw_grpc"
    Gateway__Cache__Redis="127.0.0.1:$redis_port")
  for cluster in "clip $clip_grpc $clip_http" "diffusion $diff_grpc $diff_http" "generator $gen_grpc $gen_http"; do
    read -r pool grpc http <<< "$cluster"
    gw_env+=(ReverseProxy__Clusters__${pool}__Destinations__${pool}-0__Address="http://127.0.0.1:$grpc"
             ReverseProxy__Clusters__${pool}__Destinations__${pool}-0__Health="http://127.0.0.1:$http")
  done
  start gateway env "${gw_env[@]}" dotnet gateway/Mustafar.Gateway/bin/Release/net10.0/Mustafar.Gateway.dll

  echo "mesh: waiting for readiness (models load and warm up first)"
  cli wait-ready --timeout 600 "http://127.0.0.1:$clip_http/readyz" "http://127.0.0.1:$diff_http/readyz" \
    "http://127.0.0.1:$gen_http/readyz" || fail_with_logs "the mesh did not become ready"
  # Only then the gateway: it takes no requests on a service its probes last found still loading, and says so
  # until a probe finds it ready (asked earlier, it can say ready before its first probes).
  cli wait-ready --timeout 120 "http://127.0.0.1:$gw_http/readyz" || fail_with_logs "the gateway did not find the services ready"

  cat > "$state/endpoints" <<EOT
gateway HTTP        http://127.0.0.1:$gw_http   (POST /v1/chat/completions, /v1/vqa, GET /v1/models, /metrics)
gateway gRPC        127.0.0.1:$gw_grpc          (mustafar.vqa.v1.VisualQuestionAnswering, YARP routes to the pools)
clip-encoder        gRPC 127.0.0.1:$clip_grpc   HTTP http://127.0.0.1:$clip_http
diffusion-encoder   gRPC 127.0.0.1:$diff_grpc   HTTP http://127.0.0.1:$diff_http
generator           gRPC 127.0.0.1:$gen_grpc    HTTP http://127.0.0.1:$gen_http
redis               127.0.0.1:$redis_port
logs                $logs
EOT
  echo "mesh: ready"
  cat "$state/endpoints"
  echo
  if [ $demo = 1 ] && [ -z "$question" ]; then
    echo "DEMO MODEL: a tiny LLaVA trained on synthetic shapes scenes (deploy/demo-model/README.md), not a general"
    echo "            model: it only knows the colour, shape, count, position and relation questions of that set."
    echo "            Configure real checkpoints (deploy/config/real-models.env.example) for real images."
    echo
    local first=1 expected
    while IFS='|' read -r question expected; do
      [ -z "$question" ] && continue
      if [ $first = 0 ]; then
        echo "mesh: another question about the same scene (CLIP and the unconditional diffusion half come from the cache):"
      fi
      first=0
      cli ask --url "http://127.0.0.1:$gw_http" --image "$image" --question "$question" || fail_with_logs "the question failed"
      echo "   (the scene's true answer: $expected; answered by the demo model, trained on synthetic scenes)"
      echo
    done < deploy/demo-model/sample-questions.txt
  else
    [ -z "$question" ] && question="What is on the table, and what colour is the mug?"
    cli ask --url "http://127.0.0.1:$gw_http" --image "$image" --question "$question" || fail_with_logs "the question failed"
    echo
    echo "mesh: a second question about the same image (CLIP and the unconditional diffusion half come from the cache):"
    cli ask --url "http://127.0.0.1:$gw_http" --image "$image" --question "Is there anything yellow?" || fail_with_logs "the question failed"
  fi

  if [ $once = 1 ]; then
    echo
    down
  else
    echo
    echo "mesh: running. Stop it with: deploy/scripts/mesh.sh down"
  fi
}

case ${1:-} in
  up) shift; up "$@" ;;
  down) down ;;
  *) echo "usage: deploy/scripts/mesh.sh up [--once] [--config FILE | --preset real-size [--layers N]] [--dtype DTYPE] [--question TEXT] [--image FILE] | down" >&2; exit 2 ;;
esac
