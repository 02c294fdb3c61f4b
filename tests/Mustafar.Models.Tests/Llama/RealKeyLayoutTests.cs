using System.Text.Json;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Generation;
using Mustafar.Testing;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Llama;

/// <summary>The real checkpoints' key lists (<c>real_keys/</c>) map onto the models built from their own configs on
/// the meta device: no missing, unexpected or mis-shaped keys. Keys that older files may also hold (rotary inv_freq)
/// are added to show they are skipped, and llava-hf's vision tower is skipped as the CLIP service's.</summary>
public sealed class RealKeyLayoutTests(ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData("vicuna-7b-v1.5", CheckpointLayout.Llama)]
    [InlineData("llava-1.5-7b-hf", CheckpointLayout.LlavaHf)]
    [InlineData("llava-v1.5-7b", CheckpointLayout.LlavaOriginal)]
    public void Real_keys_map_onto_the_model_built_from_the_config(string name, CheckpointLayout layout)
    {
        var folder = ReferenceFixtures.Require("real_keys");
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, name + ".json")));
        var root = document.RootElement;
        var keys = Shapes(root.GetProperty("keys"));
        var extra = root.TryGetProperty("possible_extra_keys_in_hub_file", out var extras)
            ? extras.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray())).ToList()
            : [];

        var config = GeneratorCheckpointConfig.Parse(HfConfig.Load(Path.Combine(folder, name + ".config.json")));
        Assert.Equal(layout, config.Layout);
        var model = GeneratorWeights.Build(config, META, ScalarType.Float16);
        var plan = LoadPlan.Create(StateDictLoader.ShapesOf(model), keys.Concat(extra), config.KeyMapping());

        output.WriteLine($"{name}: {plan.Pairs.Count} keys mapped; skipped {string.Join(", ", plan.Ignored.Select(kv => $"{kv.Value} under '{kv.Key}'"))}");
        Assert.True(plan.IsComplete, new CheckpointMismatchException(name, plan).Message);
        Assert.Equal(keys.Count(k => !plan.Ignored.Keys.Any(prefix => k.Key.StartsWith(prefix, StringComparison.Ordinal))), plan.Pairs.Count);
        Assert.Equal(extra.Count, plan.Ignored.GetValueOrDefault("rotary_emb.inv_freq"));
        Assert.Equal(root.GetProperty("num_elements").GetInt64(),
            keys.Sum(k => k.Value.Aggregate(1L, (a, b) => a * b)));
    }

    private static List<KeyValuePair<string, long[]>> Shapes(JsonElement keys) =>
        [.. keys.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.EnumerateArray().Select(d => d.GetInt64()).ToArray()))];
}
