using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Fusion;
using Mustafar.Models.Generation;
using Mustafar.Models.Tokenization;
using Mustafar.Torch;
using Mustafar.Train.Checkpoints;
using Mustafar.Train.Data;
using Mustafar.Train.Features;
using Mustafar.Train.Lora;
using Mustafar.Train.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Train.Running;

/// <summary>What a finished (or deliberately stopped) run reports.</summary>
public sealed record TrainResult(int StepsDone, int TotalSteps, double FirstLoss, double LastLoss, string? ExportedTo);

/// <summary>
/// One training run: the starting generator checkpoint loaded with the generator's own loader, the stage's
/// parameters unfrozen, the samples tokenized with the serving template, features from an <see cref="IFeatureSource"/>,
/// AdamW with warm-up and cosine decay, gradient accumulation and clipping; training-state checkpoints for
/// <c>--resume</c>, and at the end a generator checkpoint folder in the output.
/// </summary>
public sealed class Trainer
{
    /// <summary>How many steps ahead the features are asked for: this step's while the previous one computes, and
    /// the next one's, so that an encoder pool always has work queued.</summary>
    private const int PrefetchSteps = 2;

    private readonly TrainOptions _options;
    private readonly TextWriter _console;

    public Trainer(TrainOptions options, TextWriter? console = null)
    {
        options.Validate();
        _options = options;
        _console = console ?? Console.Error;
    }

    public TrainResult Run(Func<Mustafar.Models.Fusion.FusionConfig, IFeatureSource>? featureSource = null)
    {
        var o = _options;
        if (o.Threads is { } threads) set_num_threads(threads);
        Directory.CreateDirectory(o.Output);
        var (loaded, _) = GeneratorWeights.Load(o.Model, CPU, o.DType);
        using var model = loaded;
        var fusion = model.Config.Fusion ?? throw new ArgumentException($"model: {o.Model} is a text-only checkpoint; the trainer trains LLaVA checkpoints");
        var tokenizer = LlamaTextTokenizer.Load(o.Model);
        var conversations = new ConversationTokenizer(tokenizer, ConversationTemplate.VicunaV1, model.Config.ImageTokenization, model.Config.ImageTokenId);

        var samples = LlavaDatasetReader.Read(o.Data);
        var imageRoot = o.Images ?? Path.GetDirectoryName(Path.GetFullPath(o.Data))!;
        var sequences = samples.Select(conversations.Tokenize).ToArray();
        var imagePaths = samples.Select(s => s.Image is null ? null : Path.Combine(imageRoot, s.Image)).ToArray();
        foreach (var path in imagePaths.OfType<string>().Distinct())
            if (!File.Exists(path)) throw new FileNotFoundException($"images: {path} does not exist", path);

        using var meshCache = o.Mesh is not null ? new MeshFeatureCache(o.Redis!) : null;
        using var features = featureSource?.Invoke(fusion)
            ?? (o.Mesh is { } mesh ? new MeshFeatureSource(fusion, mesh, meshCache!, o.Timestep, o.GuidanceScale, o.MeshConcurrency)
                : new InProcessFeatureSource(fusion, o.Clip ?? o.Model, o.Diffusion, o.Timestep, o.GuidanceScale));
        var diffusionSettings = features.Settings;

        using var tower = o.TrainVisionTower ? TrainableVisionTower.Load(o.Model, fusion, o.DType) : null;
        var trainable = SelectTrainable(model, o.Stage, fullLanguageModel: o.Lora is null);
        if (tower is not null) trainable.AddRange(tower.Parameters);
        using var lora = o.Lora is { } loraSettings ? LoraAdapters.Attach(model, loraSettings, o.Seed) : null;
        if (lora is not null) trainable.AddRange(lora.Parameters);
        if (o.FromScratch) Reinitialise(trainable, o.Seed);
        model.train();
        tower?.Train(true);

        var perStep = o.BatchSize * o.GradientAccumulation;
        var totalSteps = o.MaxSteps ?? (int)Math.Ceiling((double)o.Epochs * samples.Count / perStep);
        var schedule = new CosineSchedule(o.LearningRate, (int)Math.Round(o.WarmupRatio * totalSteps), totalSteps);
        using var optimizer = new ResumableAdamW(trainable) { WeightDecay = o.WeightDecay };
        var fingerprint = Fingerprint(o, samples.Count);

        var start = 0;
        if (o.Resume && TrainingState.Latest(o.Output) is { } latest)
            start = TrainingState.Load(latest, fingerprint, trainable, optimizer).Step;
        using var log = new TrainingLog(o.Output, totalSteps, start, _console);
        log.Note($"{o.Stage.ToString().ToLowerInvariant()}: {samples.Count} samples, {totalSteps} steps of {perStep} samples, " +
                 $"{trainable.Sum(p => p.Parameter.numel())} trainable parameters ({trainable.Count} tensors), fusion {fusion.Mode.ConfigName()}" +
                 (start > 0 ? $", resumed at step {start}" : ""));

        var permutations = new Dictionary<int, int[]>();
        (int Epoch, int Sample) At(long streamIndex)
        {
            var epoch = (int)(streamIndex / samples.Count);
            if (!permutations.TryGetValue(epoch, out var order)) permutations[epoch] = order = SampleRandom.Permutation(o.Seed, epoch, samples.Count);
            return (epoch, order[(int)(streamIndex % samples.Count)]);
        }

        double first = double.NaN, last = double.NaN;
        var stopAt = o.StopAfterSteps is { } stop ? Math.Min(totalSteps, start + stop) : totalSteps;
        for (var step = start; step < stopAt; step++)
        {
            var picks = Enumerable.Range(0, perStep).Select(i => At((long)step * perStep + i)).ToArray();
            // This step's and the next ones' features, asked for at once (a mesh source fetches them in parallel
            // while this step computes).
            features.Prefetch(Enumerable.Range(0, Math.Min(PrefetchSteps, stopAt - step) * perStep)
                .Select(i => At((long)step * perStep + i)).Where(p => imagePaths[p.Sample] is not null)
                .Select(p => new FeatureNeed(imagePaths[p.Sample]!, tower is null, DiffusionPrompt(p.Epoch, p.Sample))));
            var targets = picks.Sum(p => sequences[p.Sample].TargetCount);
            var tokens = picks.Sum(p => sequences[p.Sample].Ids.Length - (sequences[p.Sample].HasImage ? 1 - fusion.ImageTokens : 0));
            double lossSum = 0;
            for (var micro = 0; micro < o.GradientAccumulation; micro++)
            {
                using var scope = NewDisposeScope();
                var micros = picks.Skip(micro * o.BatchSize).Take(o.BatchSize).ToArray();
                var batch = micros.Select(p => Example(p.Epoch, p.Sample)).ToList();
                if (tower is not null) WithTowerFeatures(tower, batch, micros.Select(p => imagePaths[p.Sample]).ToArray());
                var (sum, _) = BatchLoss.Compute(model, batch);
                sum.Div(Math.Max(1, targets)).backward();
                lossSum += sum.to(ScalarType.Float64).item<double>();
            }
            var gradNorm = GradientClipping.ClipByTotalNorm(trainable.Select(p => p.Parameter), o.MaxGradNorm);
            var rate = schedule.At(step);
            optimizer.Step(rate);
            ZeroGradients(trainable);
            var loss = lossSum / Math.Max(1, targets);
            if (double.IsNaN(first)) first = loss;
            last = loss;
            log.Step(step + 1, picks[^1].Epoch, loss, rate, gradNorm, tokens, targets);
            if (o.SaveEvery > 0 && (step + 1) % o.SaveEvery == 0 && step + 1 < totalSteps)
                TrainingState.Save(o.Output, step + 1, fingerprint, trainable, optimizer);
        }
        if (stopAt < totalSteps)
        {
            log.Note($"stopped after step {stopAt} of {totalSteps} (--resume continues from the last checkpoint)");
            return new TrainResult(stopAt, totalSteps, first, last, null);
        }

        TrainingState.Save(o.Output, totalSteps, fingerprint, trainable, optimizer);
        var promptMode = o.PromptDropout >= 1 || (o.Stage == TrainStage.Pretrain && o.EmptyPromptInPretrain) ? "empty" : "question";
        var exported = Path.Combine(o.Output, "model");
        model.eval();
        tower?.Train(false);
        if (lora is not null)
        {
            lora.WriteAdapter(Path.Combine(o.Output, "adapter"), Path.GetFullPath(o.Model));
            lora.Merge();
        }
        GeneratorExport.Write(exported, o.Model, model, o.SaveDType, diffusionSettings, promptMode, tower?.Parameters);
        log.Note($"done: {totalSteps} steps, last loss {last:0.0000}; {features.Describe()}; generator checkpoint in {exported}");
        return new TrainResult(totalSteps, totalSteps, first, last, exported);

        TrainingExample Example(int epoch, int index)
        {
            var sequence = sequences[index];
            if (imagePaths[index] is not { } image) return new TrainingExample(sequence, null, null);
            // A trained tower's features come batched, with autograd, from WithTowerFeatures.
            var clip = tower is null ? features.Clip(image) : null;
            return new TrainingExample(sequence, clip, DiffusionPrompt(epoch, index) is { } prompt ? features.Diffusion(image, prompt) : null);
        }

        // The sample's diffusion prompt this epoch (null: the checkpoint uses no diffusion features).
        string? DiffusionPrompt(int epoch, int index)
        {
            if (fusion.Diffusion is null) return null;
            var empty = (o.Stage == TrainStage.Pretrain && o.EmptyPromptInPretrain)
                        || SampleRandom.Uniform(o.Seed, "prompt_dropout", epoch, index) < o.PromptDropout;
            return empty ? "" : samples[index].Question;
        }
    }

    /// <summary>Gives the micro-batch's image samples their CLIP features from one forward of the trained tower.</summary>
    private static void WithTowerFeatures(TrainableVisionTower tower, List<TrainingExample> batch, IReadOnlyList<string?> imagePaths)
    {
        var rows = Enumerable.Range(0, batch.Count).Where(i => imagePaths[i] is not null).ToArray();
        if (rows.Length == 0) return;
        var features = tower.Features(rows.Select(i => imagePaths[i]!).ToArray());
        for (var k = 0; k < rows.Length; k++) batch[rows[k]] = batch[rows[k]] with { Clip = features[k] };
    }

    /// <summary>pretrain: the projector and the fusion modules; finetune: those and the language model (its LoRA
    /// adapter instead when <paramref name="fullLanguageModel"/> is false). Everything else is frozen. A tied lm_head is the embedding table and counted once.</summary>
    internal static List<(string Name, Parameter Parameter)> SelectTrainable(LlavaForConditionalGeneration model, TrainStage stage, bool fullLanguageModel = true)
    {
        var seen = new HashSet<IntPtr>();
        var trainable = new List<(string, Parameter)>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            var train = name.StartsWith(LlavaForConditionalGeneration.ProjectorKey + ".", StringComparison.Ordinal)
                        || name.StartsWith(LlavaForConditionalGeneration.FusionModulesKey + ".", StringComparison.Ordinal)
                        || (stage == TrainStage.Finetune && fullLanguageModel && name.StartsWith(LlavaForConditionalGeneration.LanguageModelKey + ".", StringComparison.Ordinal));
            parameter.requires_grad = train;
            if (train && seen.Add(parameter.Handle)) trainable.Add((name, parameter));
        }
        return trainable;
    }

    /// <summary>transformers' _init_weights for these modules: normal(0, 0.02) weights, zero biases, unit norm weights.</summary>
    private static void Reinitialise(IReadOnlyList<(string Name, Parameter Parameter)> parameters, long seed)
    {
        using var generator = new Generator((ulong)seed, CPU);
        using var noGrad = no_grad();
        foreach (var (name, p) in parameters)
        {
            using var scope = NewDisposeScope();
            var isNorm = name.Contains("norm", StringComparison.Ordinal);
            var value = name.EndsWith(".bias", StringComparison.Ordinal) ? zeros(p.shape, ScalarType.Float32)
                : isNorm ? ones(p.shape, ScalarType.Float32)
                : randn(p.shape, ScalarType.Float32, CPU, generator: generator).Mul(0.02);
            p.copy_(value);
        }
    }

    internal static void ZeroGradients(IEnumerable<(string Name, Parameter Parameter)> parameters)
    {
        using var noGrad = no_grad();
        foreach (var (_, p) in parameters) p.grad?.zero_();
    }

    /// <summary>The settings a resumed run must share with the run that wrote its checkpoint.</summary>
    private static string Fingerprint(TrainOptions o, int samples)
    {
        var text = JsonSerializer.Serialize(new
        {
            stage = o.Stage.ToString(), samples, o.Epochs, o.MaxSteps, o.BatchSize, o.GradientAccumulation, o.LearningRate, o.WarmupRatio,
            o.WeightDecay, o.MaxGradNorm, dtype = o.DType.ToString(), o.Seed, o.FromScratch, o.PromptDropout, o.EmptyPromptInPretrain,
            o.Timestep, o.GuidanceScale, o.TrainVisionTower, lora = o.Lora is { } l ? $"{l.Rank}/{l.Alpha}/{string.Join(",", l.TargetModules)}" : null,
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }
}
