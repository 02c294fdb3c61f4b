using System.Globalization;
using Mustafar.Train.Running;
using static TorchSharp.torch;

namespace Mustafar.Cli;

/// <summary>`mustafar train pretrain|finetune`: LLaVA-1.5's stages over a LLaVA JSON set (see Mustafar.Train).</summary>
public static class TrainCommand
{
    public const string Usage = """
          train pretrain|finetune --model DIR --data FILE.json --out DIR [--images DIR] [--clip DIR] [--diffusion DIR]
                [--epochs N] [--max-steps N] [--batch-size N] [--grad-accum N] [--lr X] [--warmup-ratio X]
                [--weight-decay X] [--max-grad-norm X] [--dtype float32|bfloat16] [--save-dtype float32|bfloat16|float16]
                [--seed N] [--from-scratch] [--prompt-dropout P] [--empty-prompt] [--timestep T] [--guidance-scale S]
                [--save-every N] [--resume] [--threads N] [--train-vision-tower]
                [--mesh GATEWAY_GRPC_URL --redis HOST:PORT [--mesh-concurrency N]]
                [--lora-rank R [--lora-alpha A] [--lora-target-modules q_proj,v_proj,...]]
                                                             train the projector/fusion (pretrain) or it and the LLM
                                                             (finetune); writes OUT/model (a generator checkpoint),
                                                             OUT/train_log.jsonl and OUT/checkpoints/step-N;
                                                             --mesh: features from the mesh's encoder pools
                                                             through the gateway, cached in its Redis
          train vision --model DIR --scenes FILE.scenes.json --out DIR [--eval-scenes FILE.scenes.json] [--epochs N]
                [--batch-size N] [--lr X] [--warmup-ratio X] [--weight-decay X] [--max-grad-norm X] [--seed N] [--threads N]
                                                             pre-train the checkpoint's CLIP vision tower on synthetic
                                                             scenes (per patch: the shape centred there, the shape
                                                             covering it, its row and column); writes OUT/model (the
                                                             checkpoint with the trained tower) and OUT/train_log.jsonl
          train evaluate --model DIR --diffusion DIR --data FILE.json [--images DIR] [--limit N] [--threads N]
                                                             score a generator checkpoint in this process (no mesh),
                                                             per question category
          train merge-lora --model DIR --adapter DIR --out DIR  fold a LoRA adapter (OUT/adapter of a --lora-rank run)
                                                             into its base checkpoint: a plain generator checkpoint
          train init-demo --out DIR [--seed N] [--mode clip-only|concat-tokens|cross-attention]
                [--text-hidden N] [--text-layers N] [--text-intermediate N] [--synth-tokenizer]
                                                             write the demo model's untrained starting checkpoints
        """;

    private static int Evaluate(CommandLine line)
    {
        if (line.Optional("threads") is not null) TorchSharp.torch.set_num_threads(line.Int("threads", 1));
        var limit = line.Optional("limit") is null ? (int?)null : line.Int("limit", 0);
        var report = Mustafar.Train.Evaluation.InProcessEvaluation.Run(line.Required("model"), line.Required("diffusion"), line.Required("data"), line.Optional("images"), limit);
        Console.Write(report.ToText());
        return 0;
    }

    private static int MergeLora(CommandLine line)
    {
        var output = line.Required("out");
        try
        {
            Mustafar.Train.Lora.LoraMerge.Run(line.Required("model"), line.Required("adapter"), output);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        Console.WriteLine($"merged: a plain generator checkpoint in {output}");
        return 0;
    }

    public static int Run(CommandLine line)
    {
        if (line.Positional is ["evaluate"]) return Evaluate(line);
        if (line.Positional is ["init-demo"]) return DemoBase.Run(line);
        if (line.Positional is ["merge-lora"]) return MergeLora(line);
        if (line.Positional is ["vision"]) return Vision(line);
        var stage = line.Positional switch
        {
            ["pretrain"] => TrainStage.Pretrain,
            ["finetune"] => TrainStage.Finetune,
            _ => throw new UsageException("train: the stage is 'pretrain' or 'finetune' (or 'evaluate')"),
        };
        var options = new TrainOptions
        {
            Stage = stage,
            Model = line.Required("model"),
            Data = line.Required("data"),
            Output = line.Required("out"),
            Images = line.Optional("images"),
            Clip = line.Optional("clip"),
            Diffusion = line.Optional("diffusion"),
            Mesh = line.Optional("mesh") is not { } mesh ? null
                : Uri.TryCreate(mesh, UriKind.Absolute, out var gateway) ? gateway
                : throw new UsageException($"--mesh: '{mesh}' is not a URL (the gateway's gRPC address, e.g. http://localhost:8081)"),
            Redis = line.Optional("redis"),
            MeshConcurrency = line.Int("mesh-concurrency", 4),
            Epochs = line.Int("epochs", 1),
            MaxSteps = line.Optional("max-steps") is null ? null : line.Int("max-steps", 0),
            BatchSize = line.Int("batch-size", 8),
            GradientAccumulation = line.Int("grad-accum", 1),
            LearningRate = Double(line, "lr", 1e-3),
            WarmupRatio = Double(line, "warmup-ratio", 0.03),
            WeightDecay = Double(line, "weight-decay", 0),
            MaxGradNorm = Double(line, "max-grad-norm", 1.0),
            DType = DType(line.Optional("dtype") ?? "float32", "dtype"),
            SaveDType = DType(line.Optional("save-dtype") ?? "float32", "save-dtype"),
            Seed = line.Int("seed", 42),
            Threads = line.Optional("threads") is null ? null : line.Int("threads", 1),
            FromScratch = line.Flag("from-scratch"),
            TrainVisionTower = line.Flag("train-vision-tower"),
            Lora = line.Optional("lora-rank") is null ? null : new Mustafar.Train.Lora.LoraSettings(
                line.Int("lora-rank", 0), Double(line, "lora-alpha", 2.0 * line.Int("lora-rank", 0)),
                line.Optional("lora-target-modules") is { } targets ? targets.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    : Mustafar.Train.Lora.LoraSettings.AllLinear),
            PromptDropout = Double(line, "prompt-dropout", 0.3),
            EmptyPromptInPretrain = line.Flag("empty-prompt"),
            Timestep = line.Optional("timestep") is null ? null : line.Int("timestep", 0),
            GuidanceScale = line.Optional("guidance-scale") is null ? null : (float)Double(line, "guidance-scale", 0),
            SaveEvery = line.Int("save-every", 0),
            Resume = line.Flag("resume"),
        };
        try
        {
            var result = new Trainer(options).Run();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"trained {result.StepsDone} steps: loss {result.FirstLoss:0.0000} -> {result.LastLoss:0.0000}; generator checkpoint {result.ExportedTo}"));
            return 0;
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static int Vision(CommandLine line)
    {
        var options = new Mustafar.Train.Vision.VisionPretrainOptions
        {
            Model = line.Required("model"),
            Scenes = line.Required("scenes"),
            EvalScenes = line.Optional("eval-scenes"),
            Output = line.Required("out"),
            Epochs = line.Int("epochs", 10),
            BatchSize = line.Int("batch-size", 32),
            LearningRate = Double(line, "lr", 1e-3),
            WarmupRatio = Double(line, "warmup-ratio", 0.03),
            WeightDecay = Double(line, "weight-decay", 0),
            MaxGradNorm = Double(line, "max-grad-norm", 1.0),
            Seed = line.Int("seed", 42),
            Threads = line.Optional("threads") is null ? null : line.Int("threads", 1),
        };
        try
        {
            var result = new Mustafar.Train.Vision.VisionPretrainer(options).Run();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"trained the vision tower {result.Steps} steps: loss {result.FirstLoss:0.0000} -> {result.LastLoss:0.0000}") +
                (result.Held is { } held ? $"; held-out {held}" : "") + $"; checkpoint {result.ExportedTo}");
            return 0;
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static double Double(CommandLine line, string name, double fallback) =>
        line.Optional(name) is not { } text ? fallback
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value
        : throw new UsageException($"--{name} must be a number, not '{text}'");

    private static ScalarType DType(string name, string field) => name switch
    {
        "float32" => ScalarType.Float32,
        "bfloat16" => ScalarType.BFloat16,
        "float16" => ScalarType.Float16,
        _ => throw new UsageException($"--{field} must be float32, bfloat16 or float16, not '{name}'"),
    };
}
