#!/usr/bin/env bash
# The paper's Table 2 in miniature (issue 17, item 5): with one training budget, train CLIP-only, concat-tokens and
# cross-attention fusion (the diffusion ones at feature guidance s = 0 and s = 4) from scratch on the synthetic shapes
# set, serve each with the real mesh (deploy/scripts/mesh.sh --config) and score it over the gateway's HTTP API on the
# held-out split, per question type. Nothing is tuned per variant: every run has the same data, steps, seed and
# learning rate, and the table reports what comes out.
#
#   deploy/scripts/table2.sh [--count N] [--epochs E] [--test-count N] [--out DIR]
#
# Defaults: 1500 training scenes, 3 epochs, 200 held-out questions, output in .table2/ (each run's training log,
# generator checkpoint, mesh answers, and table.md).
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"

count=1500 epochs=3 test_count=200 out=.table2
while [ $# -gt 0 ]; do
  case $1 in
    --count) count=$2; shift ;;
    --epochs) epochs=$2; shift ;;
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

# Same starting seed for every variant: the encoders are identical, only the fusion module differs.
for mode in clip-only concat-tokens cross-attention; do
  [ -d "$out/base-$mode" ] || cli train init-demo --mode "$mode" --out "$out/base-$mode"
done

variants=("clip-only -" "concat-tokens 0" "concat-tokens 4" "cross-attention 0" "cross-attention 4")
for variant in "${variants[@]}"; do
  read -r mode scale <<< "$variant"
  name=$mode; [ "$scale" = - ] || name="$mode-s$scale"
  run="$out/run-$name"
  if [ ! -f "$run/model/config.json" ]; then
    echo "table2: training $name ($count scenes, $epochs epochs)"
    diffusion_args=(--diffusion "$out/base-$mode/stable-diffusion")
    [ "$scale" = - ] || diffusion_args+=(--guidance-scale "$scale")
    [ "$mode" = clip-only ] && diffusion_args=()
    cli train finetune --model "$out/base-$mode/llava" "${diffusion_args[@]}" --data "$out/data/train.json" --out "$run" \
      --epochs "$epochs" --batch-size 16 --lr 2e-3 --from-scratch --train-vision-tower --threads 1 --seed 7 > "$run.train.txt" 2>&1 \
      || { tail -n 20 "$run.train.txt" >&2; exit 1; }
  fi

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

python3 - "$out" "$count" "$epochs" "${variants[@]}" <<'EOF' | tee "$out/table.md"
import json, sys, collections
out, count, epochs, variants = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
test = json.load(open(f"{out}/data/test.json"))
categories = sorted({s["category"] for s in test})
print(f"budget: {count} synthetic scenes x {epochs} epochs, batch 16, lr 2e-3, seed 7, CLIP tower trained, LLM from scratch;"
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
