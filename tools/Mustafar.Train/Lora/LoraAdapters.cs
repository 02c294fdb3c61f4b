using System.Text.Json;
using Mustafar.CheckpointWriters;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Generation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Train.Lora;

/// <summary>
/// LoRA adapters attached to the language model's targeted projections by forward hooks: the projection's output
/// gains scale * (x A^T) B^T, so the generator's model definition is unchanged. A is initialised as PEFT does
/// (kaiming-uniform with a = sqrt(5): uniform(-1/sqrt(in), 1/sqrt(in))) from the run's seed, B with zeros, so training
/// starts from the checkpoint's exact function. Parameters carry PEFT's names
/// (<c>base_model.model.language_model.….q_proj.lora_A.weight</c>), which the training state and the adapter folder use.
/// </summary>
public sealed class LoraAdapters : IDisposable
{
    public const string PeftPrefix = "base_model.model.";

    private readonly List<Adapter> _adapters = [];
    private readonly LoraSettings _settings;
    private bool _merged;

    private sealed record Adapter(string Module, Linear Linear, Parameter A, Parameter B, Action RemoveHook);

    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters =>
        [.. _adapters.SelectMany(a => new[] { ($"{PeftPrefix}{a.Module}.lora_A.weight", a.A), ($"{PeftPrefix}{a.Module}.lora_B.weight", a.B) })];

    private LoraAdapters(LoraSettings settings) => _settings = settings;

    public static LoraAdapters Attach(LlavaForConditionalGeneration model, LoraSettings settings, long seed)
    {
        settings.Validate();
        var adapters = new LoraAdapters(settings);
        using var generator = new Generator((ulong)seed ^ 0x4C6F5241UL, CPU);
        var prefix = LlavaForConditionalGeneration.LanguageModelKey + ".";
        foreach (var (name, module) in model.named_modules())
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || module is not Linear linear) continue;
            if (!settings.TargetModules.Contains(name[(name.LastIndexOf('.') + 1)..])) continue;
            var weight = linear.weight!;
            var (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1]);
            var bound = 1.0 / Math.Sqrt(inFeatures);
            Parameter a, b;
            using (no_grad())
            {
                a = new Parameter(rand([settings.Rank, inFeatures], weight.dtype, weight.device, generator: generator).mul_(2 * bound).sub_(bound));
                b = new Parameter(zeros([outFeatures, settings.Rank], weight.dtype, weight.device));
            }
            var scale = settings.Scale;
            var hook = linear.register_forward_hook((_, input, output) =>
                output.add(nn.functional.linear(nn.functional.linear(input, a), b).mul(scale)));
            adapters._adapters.Add(new Adapter(name, linear, a, b, hook.remove));
        }
        if (adapters._adapters.Count == 0)
            throw new ArgumentException($"lora_target_modules: no {string.Join("/", settings.TargetModules)} projection in the language model");
        return adapters;
    }

    /// <summary>Attaches the adapter saved in <paramref name="adapterFolder"/> (<see cref="WriteAdapter"/>'s PEFT layout)
    /// to the model it was trained on, strictly: every adapter weight present, nothing else.</summary>
    public static LoraAdapters Load(LlavaForConditionalGeneration model, string adapterFolder)
    {
        var configPath = Path.Combine(adapterFolder, ConfigFile);
        if (!File.Exists(configPath)) throw new ArgumentException($"adapter: {configPath} does not exist");
        var config = JsonDocument.Parse(File.ReadAllText(configPath)).RootElement;
        var settings = new LoraSettings(config.GetProperty("r").GetInt32(), config.GetProperty("lora_alpha").GetDouble(),
            [.. config.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString() ?? "")]);
        var adapters = Attach(model, settings, seed: 0);
        try
        {
            using var weights = SafetensorsCheckpoint.Open(Path.Combine(adapterFolder, WeightsFile));
            using (no_grad())
                foreach (var (name, parameter) in adapters.Parameters)
                {
                    var entry = weights.Tensors.GetValueOrDefault(name) ?? throw new InvalidDataException($"{adapterFolder}: no adapter weight '{name}'");
                    entry.File.CopyTo(entry.Entry, parameter);
                }
            if (weights.Tensors.Keys.Except(adapters.Parameters.Select(p => p.Name)).FirstOrDefault() is { } extra)
                throw new InvalidDataException($"{adapterFolder}: '{extra}' adapts no projection of this model");
            return adapters;
        }
        catch
        {
            adapters.Dispose();
            throw;
        }
    }

    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>Folds every adapter into its weight (W += scale * B A) and removes the hooks: the model is then a plain
    /// checkpoint's model with the adapter's function.</summary>
    public void Merge()
    {
        if (_merged) throw new InvalidOperationException("the adapters are merged already");
        using var noGrad = no_grad();
        foreach (var adapter in _adapters)
        {
            using var scope = NewDisposeScope();
            adapter.RemoveHook();
            adapter.Linear.weight!.add_(adapter.B.matmul(adapter.A).mul(_settings.Scale).to(adapter.Linear.weight!.dtype));
        }
        _merged = true;
    }

    /// <summary>The adapter in PEFT's folder layout (adapter_config.json, adapter_model.safetensors), for users who keep
    /// adapters apart from the base checkpoint.</summary>
    public void WriteAdapter(string folder, string baseModel)
    {
        Directory.CreateDirectory(folder);
        using (var scope = NewDisposeScope())
            SafetensorsWriter.Write(Path.Combine(folder, WeightsFile),
                Parameters.Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Parameter.detach().contiguous())));
        File.WriteAllText(Path.Combine(folder, ConfigFile), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["base_model_name_or_path"] = baseModel,
            ["r"] = _settings.Rank,
            ["lora_alpha"] = _settings.Alpha,
            ["lora_dropout"] = 0.0,
            ["bias"] = "none",
            ["target_modules"] = _settings.TargetModules,
        }, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    public void Dispose()
    {
        foreach (var adapter in _adapters)
        {
            if (!_merged) adapter.RemoveHook();
            adapter.A.Dispose();
            adapter.B.Dispose();
        }
        _adapters.Clear();
    }
}
