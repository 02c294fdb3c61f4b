using Mustafar.Models.Generation;
using Mustafar.Models.Llama;
using Mustafar.Models.Tests.Llama;
using Mustafar.Testing;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Fusion;

/// <summary>LLaVA's projector, image splicing and language model against transformers' LlavaForConditionalGeneration
/// (fixture <c>llava/</c>). The vision tower belongs to the CLIP service: these tests start from the fixture's
/// selected vision features.</summary>
public sealed class LlavaParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    private static (LlavaForConditionalGeneration Model, FixtureTensors Inputs, FixtureTensors Outputs) Load()
    {
        var folder = ReferenceFixtures.Require("llava");
        var (model, _) = GeneratorWeights.Load(folder, CPU, ScalarType.Float32);
        return (model, new FixtureTensors(Path.Combine(folder, "inputs.safetensors")), new FixtureTensors(Path.Combine(folder, "outputs.safetensors")));
    }

    [SkippableFact]
    public void The_projector_matches_image_features()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (model, _, outputs) = Load();
        var diff = FixtureTensors.MaxAbsDiff(model.ProjectImages(outputs["selected_vision_features"], null), outputs["image_features"]);
        output.WriteLine($"projector output max abs diff: {diff:E3}");
        Assert.True(diff < Tolerance, $"image features differ by {diff}");
    }

    [SkippableFact]
    public void Image_tokens_are_spliced_at_the_placeholder_and_the_logits_match()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (model, inputs, outputs) = Load();
        var ids = inputs["input_ids"];
        var images = model.ProjectImages(outputs["selected_vision_features"], null);
        var rows = Enumerable.Range(0, (int)ids.shape[0])
            .Select(b => model.EmbedPrompt([.. ids[b].data<long>().Select(v => (int)v)], images[b]))
            .ToArray();
        var merged = stack(rows);
        var embedDiff = FixtureTensors.MaxAbsDiff(merged, outputs["merged_inputs_embeds"]);

        // The placeholder's rows are exactly where the pre-expanded ids repeat the image token.
        var expanded = outputs["expanded_input_ids"];
        for (var b = 0; b < ids.shape[0]; b++)
        {
            var at = Array.IndexOf(ids[b].data<long>().ToArray(), (long)model.Config.ImageTokenId);
            var imageRows = expanded[b].eq(model.Config.ImageTokenId).nonzero().flatten().data<long>().ToArray();
            Assert.Equal(Enumerable.Range(at, (int)images.shape[1]).Select(i => (long)i), imageRows);
        }

        var valid = inputs["attention_mask"].to(ScalarType.Bool);
        var mergedValid = ones(merged.shape[0], merged.shape[1], dtype: ScalarType.Bool);
        Assert.True(valid.all().item<bool>(), "the fixture's prompts are unpadded");
        var positions = LlamaPositions.FromAttentionMask(mergedValid);
        Assert.Equal(0, FixtureTensors.MaxAbsDiff(positions, outputs["merged_position_ids"]));
        var logits = model.LanguageModel.forward(merged, positions, mergedValid, cache: null);
        var logitDiff = FixtureTensors.MaxAbsDiff(logits, outputs["logits"]);
        output.WriteLine($"merged embeddings max abs diff {embedDiff:E3}; logits {logitDiff:E3}");
        Assert.True(embedDiff < Tolerance, $"merged embeddings differ by {embedDiff}");
        Assert.True(logitDiff < Tolerance, $"logits differ by {logitDiff}");
    }
}
