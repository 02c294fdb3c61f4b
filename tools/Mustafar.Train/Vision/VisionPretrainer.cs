using System.Globalization;
using Mustafar.Data.Synth;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Generation;
using Mustafar.Torch;
using Mustafar.Train.Checkpoints;
using Mustafar.Train.Features;
using Mustafar.Train.Optimization;
using Mustafar.Train.Running;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Train.Vision;

/// <summary>What a vision pre-training run reports: the last training loss and the held-out scores (null without
/// held-out scenes).</summary>
public sealed record VisionPretrainResult(int Steps, double FirstLoss, double LastLoss, PatchScores? Held, string ExportedTo);

/// <summary>
/// Pre-trains a generator checkpoint's CLIP vision tower on synthetic scenes, before LLaVA's stages: linear heads on
/// the very features the projector takes (its layer and token selection) learn, per patch, the colour and kind of the
/// shape centred there, of the shape covering it, and the patch's row and column, from the scene descriptions the
/// images were drawn from. A tiny tower with random weights keeps which colours an image holds but not which shape has
/// which colour, nor where it is; this objective makes each patch token say so, and LLaVA's stages then learn only to
/// read it. The heads are dropped; the trained tower is written into a copy of the checkpoint, where the CLIP service
/// and the trainer load it, frozen.
/// </summary>
public sealed class VisionPretrainer
{
    private readonly VisionPretrainOptions _options;
    private readonly TextWriter _console;

    public VisionPretrainer(VisionPretrainOptions options, TextWriter? console = null)
    {
        options.Validate();
        _options = options;
        _console = console ?? Console.Error;
    }

    public VisionPretrainResult Run()
    {
        var o = _options;
        if (o.Threads is { } threads) set_num_threads(threads);
        Directory.CreateDirectory(o.Output);
        var config = GeneratorCheckpointConfig.Parse(HfConfig.Load(Path.Combine(o.Model, "config.json")));
        var fusion = config.Fusion ?? throw new ArgumentException($"model: {o.Model} is a text-only checkpoint; it has no vision tower to train");
        using var tower = TrainableVisionTower.Load(o.Model, fusion, ScalarType.Float32);
        var grid = tower.Grid;
        if (tower.FeatureShape.Tokens != grid * grid)
            throw new ArgumentException($"model: the projector takes {tower.FeatureShape.Tokens} tokens of a {grid}x{grid} patch grid; per-patch targets need the patch tokens alone (no CLS)");

        var train = Load(o.Scenes, "scenes", grid);
        var held = o.EvalScenes is { } evalScenes ? Load(evalScenes, "eval_scenes", grid) : null;
        using var heads = new PatchHeads(tower.FeatureShape.Hidden, grid, o.Seed);
        var trainable = tower.Parameters.Concat(heads.Parameters).ToList();

        var stepsPerEpoch = (train.Count + o.BatchSize - 1) / o.BatchSize;
        var totalSteps = stepsPerEpoch * o.Epochs;
        var schedule = new CosineSchedule(o.LearningRate, (int)Math.Round(o.WarmupRatio * totalSteps), totalSteps);
        using var optimizer = new ResumableAdamW(trainable) { WeightDecay = o.WeightDecay };
        using var log = new TrainingLog(o.Output, totalSteps, 0, _console);
        log.Note($"vision: {train.Count} scenes, {grid}x{grid} patches, {totalSteps} steps of {o.BatchSize}, " +
                 $"{trainable.Sum(p => p.Parameter.numel())} trainable parameters (tower and heads)" + (held is null ? "" : $", {held.Count} held-out scenes"));

        double first = double.NaN, last = double.NaN;
        PatchScores? scores = null;
        for (var epoch = 0; epoch < o.Epochs; epoch++)
        {
            tower.Train(true);
            var order = SampleRandom.Permutation(o.Seed, epoch, train.Count);
            for (var s = 0; s < stepsPerEpoch; s++)
            {
                var step = (epoch * stepsPerEpoch) + s;
                var batch = order.Skip(s * o.BatchSize).Take(o.BatchSize).Select(i => train[i]).ToArray();
                double loss;
                using (var scope = NewDisposeScope())
                {
                    var features = tower.Features(batch.Select(b => b.Image).ToArray());
                    var total = heads.Loss(features, batch.Select(b => b.Targets).ToArray());
                    total.backward();
                    loss = total.to(ScalarType.Float64).item<double>();
                }
                var gradNorm = GradientClipping.ClipByTotalNorm(trainable.Select(p => p.Parameter), o.MaxGradNorm);
                var rate = schedule.At(step);
                optimizer.Step(rate);
                Trainer.ZeroGradients(trainable);
                if (double.IsNaN(first)) first = loss;
                last = loss;
                log.Step(step + 1, epoch, loss, rate, gradNorm, batch.Length * grid * grid, batch.Length * grid * grid);
            }
            if (held is not null)
            {
                tower.Train(false);
                scores = Score(tower, heads, held, o.BatchSize);
                log.Note($"epoch {epoch}: held-out {scores}");
            }
        }

        var exported = Path.Combine(o.Output, "model");
        TowerExport.Write(exported, o.Model, tower.Parameters);
        log.Note(string.Create(CultureInfo.InvariantCulture, $"done: {totalSteps} steps, last loss {last:0.0000}; generator checkpoint with the trained tower in {exported}"));
        return new VisionPretrainResult(totalSteps, first, last, scores, exported);
    }

    private sealed record Example(string Image, PatchTargets Targets);

    private static List<Example> Load(string path, string field, int grid)
    {
        var root = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var examples = new List<Example>();
        foreach (var (entry, index) in SceneFile.Read(path, field).Select((e, i) => (e, i)))
        {
            var image = Path.Combine(root, entry.Image);
            if (!File.Exists(image)) throw new ArgumentException($"{field}[{index}].image: {image} does not exist");
            examples.Add(new Example(image, PatchTargets.For(entry.Scene, grid, $"{field}[{index}]")));
        }
        return examples;
    }

    private static PatchScores Score(TrainableVisionTower tower, PatchHeads heads, IReadOnlyList<Example> held, int batchSize)
    {
        var tally = new PatchScores.Tally();
        using var noGrad = no_grad();
        for (var start = 0; start < held.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var batch = held.Skip(start).Take(batchSize).ToArray();
            var predicted = heads.Predict(tower.Features(batch.Select(b => b.Image).ToArray()));
            for (var i = 0; i < batch.Length; i++) tally.Add(batch[i].Targets, predicted, i);
        }
        return tally.Scores();
    }
}
