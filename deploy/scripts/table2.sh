#!/usr/bin/env bash
# The paper's Table 2 in miniature (issue 17, item 5): with one training budget, train CLIP-only, concat-tokens and
# cross-attention fusion (the diffusion ones at feature guidance s = 0 and s = 4) on the synthetic shapes set, serve
# each with the real mesh (deploy/scripts/mesh.sh --config) and score it over the gateway's HTTP API on the held-out
# split, per question type. Nothing is tuned per variant: every run has the same data, steps, seeds and learning
# rates, and the table reports what comes out.
#
# The recipe is the demo model's: per fusion mode a `train init-demo` starting checkpoint (one seed); `train vision`
# pre-trains the CLIP tower on the training scenes (per-patch heads from train.scenes.json), once, and that one tower
# goes into every mode's starting checkpoint (deploy/scripts/prefix-tensors.py checks that the tower is the same
# bytes in every start and in every served checkpoint: towers.txt); then `train finetune --from-scratch` trains the
# LLaMA, projector and fusion with the pre-trained tower frozen.
#
#   deploy/scripts/table2.sh [--count N] [--epochs E] [--vision-epochs V] [--lr X] [--test-count N] [--out DIR]
#
# Defaults: 1500 training scenes, finetune 3 epochs at lr 3e-3 (the demo's), tower pre-training 8 epochs (batch 32,
# lr 2e-3, the demo's), seed 7 throughout, 200 held-out questions, output in .table2/ (each run's training log,
# generator checkpoint, mesh answers, towers.txt and table.md).
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"

count=1500 epochs=3 vision_epochs=8 lr=3e-3 test_count=200 out=.table2
vision_lr=2e-3 vision_batch=32 seed=7
while [ $# -gt 0 ]; do
  case $1 in
    --count) count=$2; shift ;;
    --epochs) epochs=$2; shift ;;
    --vision-epochs) vision_epochs=$2; shift ;;
    --lr) lr=$2; shift ;;
    --test-count) test_count=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "table2: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

deploy/scripts/bootstrap.sh
echo "table2: building"
dotnet build deploy/mesh.slnf -c Release -nologo -v quiet -clp:NoSummary
cli() { dotnet deploy/cli/Mustafar.Cli/bin/Release/net10.0/mustafar.dll "$@"; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
cli data synth --seed 1 --count "$count" --out "$out/data" --size 112 > "$out/train-stats.txt"
cli data synth --seed 2 --split test --count "$test_count" --out "$out/data" --size 112 > "$out/test-stats.txt"

modes=(clip-only concat-tokens cross-attention)
tensors() { python3 deploy/scripts/prefix-tensors.py "$@"; }

# Same starting seed for every variant; init-demo draws the tower's random weights after mode-dependent ones, so the
# three random towers differ (towers.txt says so). Hence one tower is pre-trained, and copied into every mode's start.
for mode in "${modes[@]}"; do
  [ -d "$out/base-$mode" ] || cli train init-demo --mode "$mode" --out "$out/base-$mode"
done
tensors same vision_tower. $(printf "$out/base-%s/llava/model.safetensors " "${modes[@]}") > "$out/towers.txt" || true

vision="$out/vision"
if [ ! -f "$vision/model/config.json" ]; then
  echo "table2: pre-training the CLIP tower ($count scenes, $vision_epochs epochs)"
  cli train vision --model "$out/base-clip-only/llava" --scenes "$out/data/train.scenes.json" \
    --eval-scenes "$out/data/test.scenes.json" --out "$vision" --epochs "$vision_epochs" --batch-size "$vision_batch" \
    --lr "$vision_lr" --seed "$seed" --threads 1 > "$vision.train.txt" 2>&1 || { tail -n 20 "$vision.train.txt" >&2; exit 1; }
fi
for mode in "${modes[@]}"; do
  start="$out/start-$mode"
  if [ ! -f "$start/model.safetensors" ]; then
    rm -rf "$start"; cp -r "$out/base-$mode/llava" "$start"
    tensors copy vision_tower. "$vision/model/model.safetensors" "$out/base-$mode/llava/model.safetensors" "$start/model.safetensors" > /dev/null
  fi
done
tensors same vision_tower. "$vision/model/model.safetensors" $(printf "$out/start-%s/model.safetensors " "${modes[@]}") >> "$out/towers.txt" \
  || { cat "$out/towers.txt" >&2; exit 1; }

variants=("clip-only -" "concat-tokens 0" "concat-tokens 4" "cross-attention 0" "cross-attention 4")
for variant in "${variants[@]}"; do
  read -r mode scale <<< "$variant"
  name=$mode; [ "$scale" = - ] || name="$mode-s$scale"
  run="$out/run-$name"
  if [ ! -f "$run/model/config.json" ]; then
    echo "table2: training $name ($count scenes, $epochs epochs, tower frozen)"
    diffusion_args=(--diffusion "$out/base-$mode/stable-diffusion")
    [ "$scale" = - ] || diffusion_args+=(--guidance-scale "$scale")
    [ "$mode" = clip-only ] && diffusion_args=()
    cli train finetune --model "$out/start-$mode" "${diffusion_args[@]}" --data "$out/data/train.json" --out "$run" \
      --epochs "$epochs" --batch-size 16 --lr "$lr" --from-scratch --threads 1 --seed "$seed" > "$run.train.txt" 2>&1 \
      || { tail -n 20 "$run.train.txt" >&2; exit 1; }
  fi
  # The checkpoint the CLIP service loads must hold the pre-trained tower the run was trained on.
  tensors same vision_tower. "$vision/model/model.safetensors" "$run/model/model.safetensors" >> "$out/towers.txt" \
    || { cat "$out/towers.txt" >&2; exit 1; }

  echo "table2: serving $name with the mesh and scoring it over HTTP"
  cat > "$run.env" <<EOT
MUSTAFAR_CLIP_MODEL=$run/model
MUSTAFAR_DIFFUSION_MODEL=$out/base-$mode/stable-diffusion
MUSTAFAR_GENERATOR_MODEL=$run/model
EOT
  deploy/scripts/mesh.sh up --config "$run.env" --image "$out/data/images/test-000000.png" \
    --question "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["conversations"][0]["value"].split("\n",1)[1])' "$out/data/test.json")" > "$run.mesh.txt"
  gateway=$(awk '/^gateway HTTP/ {print $3}' .mesh/endpoints)
  cli eval --format llava --data "$out/data/test.json" --url "$gateway" --concurrency 2 --out "$run.answers.jsonl" > "$run.eval.txt" \
    || { deploy/scripts/mesh.sh down; cat "$run.eval.txt" >&2; exit 1; }
  deploy/scripts/mesh.sh down > /dev/null
done

python3 - "$out" "$count" "$epochs" "$lr" "$vision_epochs" "$vision_lr" "$vision_batch" "$seed" "${variants[@]}" <<'EOF' | tee "$out/table.md"
import json, re, sys, collections
out, count, epochs, lr, vision_epochs, vision_lr, vision_batch, seed = sys.argv[1:9]
variants = sys.argv[9:]
test = json.load(open(f"{out}/data/test.json"))
categories = sorted({s["category"] for s in test})
# The step count as the trainer reported it (its first line: "finetune: N samples, S steps of 16 samples, ...").
steps = re.search(r"(\d+) steps of 16 samples", open(f"{out}/run-clip-only.train.txt").read()).group(1)
print(f"budget: CLIP tower pre-trained on the {count} training scenes ({vision_epochs} epochs, batch {vision_batch},"
      f" lr {vision_lr}, seed {seed}), then frozen; LLaMA, projector and fusion from scratch on {count} scenes x {epochs}"
      f" epochs = {steps} steps of 16, lr {lr}, seed {seed};"
      f" scored through the mesh (HTTP) on {len(test)} held-out questions (seed 2)\n")
print("| variant | " + " | ".join(categories) + " | overall |")
print("|---" * (len(categories) + 2) + "|")
for variant in variants:
    mode, scale = variant.split()
    name = mode if scale == "-" else f"{mode}-s{scale}"
    label = mode if scale == "-" else f"{mode}, s = {scale}"
    right, total = collections.Counter(), collections.Counter()
    for line in open(f"{out}/run-{name}.answers.jsonl"):
        answer = json.loads(line)  # scored by `mustafar eval` with the project's answer normalizer
        total[answer["category"]] += 1
        right[answer["category"]] += answer["correct"]
    cells = [f"{100 * right[c] / total[c]:.1f} %" for c in categories]
    print(f"| {label} | " + " | ".join(cells) + f" | {100 * sum(right.values()) / sum(total.values()):.1f} % |")
EOF
