using Mustafar.Models.Checkpoints;
using Mustafar.Models.Clip;
using Mustafar.Testing;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Clip;

/// <summary>transformers' CLIPVisionModel and LLaVA's tower output against the clip_vision and llava fixtures,
/// in float32 within 1e-4. Every tensor the fixture's outputs file holds is compared.</summary>
public sealed class ClipVisionParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [SkippableFact]
    public void Every_hidden_state_the_last_hidden_state_and_the_pooler_output_match_transformers()
    {
        var folder = ReferenceFixtures.Require("clip_vision");
        var listed = ReferenceFixtures.Case("clip_vision").GetProperty("shapes").EnumerateObject().Select(p => p.Name).ToHashSet();
        using var scope = NewDisposeScope();
        using var encoder = ClipVisionEncoder.Load(folder);
        Assert.Equal(ClipCheckpointLayout.ClipVisionModel, encoder.Info.Layout);
        using var inputs = new SafetensorsFile(Path.Combine(folder, "inputs.safetensors"));
        using var outputs = new SafetensorsFile(Path.Combine(folder, "outputs.safetensors"));
        var model = LoadModel(folder);
        using var noGrad = no_grad();
        var result = model.ForwardAll(inputs.Read(inputs.Entries["pixel_values"]));

        var hiddenStates = 0;
        foreach (var entry in outputs.Entries.Values.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            Assert.Contains(entry.Name, listed);
            var actual = entry.Name switch
            {
                "last_hidden_state" => result.LastHiddenState,
                "pooler_output" => result.PoolerOutput,
                var name when name.StartsWith("hidden_states.", StringComparison.Ordinal) => result.HiddenStates[int.Parse(name["hidden_states.".Length..], System.Globalization.CultureInfo.InvariantCulture)],
                var name => throw new InvalidOperationException($"the fixture has an output '{name}' this test does not know"),
            };
            hiddenStates += entry.Name.StartsWith("hidden_states.", StringComparison.Ordinal) ? 1 : 0;
            var diff = TensorAssert.MaxAbsDiff(outputs.Read(entry), actual);
            output.WriteLine($"{entry.Name}: max |diff| {diff:G3}");
            Assert.True(diff <= Tolerance, $"{entry.Name}: max |diff| {diff} > {Tolerance}");
        }
        Assert.Equal(model.Config.NumLayers + 1, hiddenStates);
    }

    [SkippableFact]
    public void Selected_features_are_the_hidden_state_with_or_without_the_class_token()
    {
        var folder = ReferenceFixtures.Require("clip_vision");
        using var scope = NewDisposeScope();
        using var inputs = new SafetensorsFile(Path.Combine(folder, "inputs.safetensors"));
        using var outputs = new SafetensorsFile(Path.Combine(folder, "outputs.safetensors"));
        var model = LoadModel(folder);
        var layers = model.Config.NumLayers;
        var pixels = inputs.Read(inputs.Entries["pixel_values"]);
        using var noGrad = no_grad();

        var penultimate = outputs.Read(outputs.Entries[$"hidden_states.{layers - 1}"]);
        TensorAssert.Close(penultimate[.., 1.., ..], model.Features(pixels, -2, ClipFeatureSelect.Patch), Tolerance, "layer -2, patch");
        TensorAssert.Close(penultimate, model.Features(pixels, layers - 1, ClipFeatureSelect.ClsPatch), Tolerance, "layer L-1, cls_patch");
        TensorAssert.Close(outputs.Read(outputs.Entries["hidden_states.0"]), model.Features(pixels, -(layers + 1), ClipFeatureSelect.ClsPatch), Tolerance, "embeddings");
    }

    [SkippableFact]
    public void The_llava_vision_tower_gives_the_projector_input_with_the_checkpoint_defaults()
    {
        var folder = ReferenceFixtures.Require("llava");
        using var scope = NewDisposeScope();
        using var encoder = ClipVisionEncoder.Load(folder);
        Assert.Equal(ClipCheckpointLayout.LlavaHf, encoder.Info.Layout);
        using var inputs = new SafetensorsFile(Path.Combine(folder, "inputs.safetensors"));
        using var outputs = new SafetensorsFile(Path.Combine(folder, "outputs.safetensors"));

        // No options: select layer and strategy come from the LLaVA config (vision_feature_layer, ..._select_strategy).
        var features = encoder.Encode(inputs.Read(inputs.Entries["pixel_values"]));
        var diff = TensorAssert.MaxAbsDiff(outputs.Read(outputs.Entries["selected_vision_features"]), features);
        output.WriteLine($"selected_vision_features: max |diff| {diff:G3}");
        Assert.True(diff <= Tolerance, $"selected_vision_features: max |diff| {diff} > {Tolerance}");
    }

    private static ClipVisionModel LoadModel(string folder) =>
        ClipVisionLoader.Load(ClipVisionSource.Resolve(folder), CPU, ScalarType.Float32).Model;
}
