using Mustafar.Models.Fusion;
using Mustafar.Models.Generation;
using Mustafar.Models.Tests.Generation;
using Mustafar.Tensors;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Fusion;

/// <summary>The fusion modes on tiny checkpoints: what each output row depends on, the resize of the diffusion grid,
/// the cross-attention block against an explicit computation, and request feature validation.</summary>
public sealed class FusionModuleTests(TinyCheckpoints checkpoints) : IClassFixture<TinyCheckpoints>
{
    private (LlavaForConditionalGeneration Model, FusionConfig Fusion) Load(FusionKind mode)
    {
        var (model, _) = GeneratorWeights.Load(checkpoints.Preset("tiny-" + mode.ConfigName()), CPU, ScalarType.Float32);
        return (model, model.Config.Fusion!);
    }

    private static (Tensor Clip, Tensor Diffusion) Features(FusionConfig fusion, int images = 2, int seed = 0)
    {
        var generator = new Generator((ulong)seed, CPU);
        var diffusion = fusion.Diffusion!;
        return (randn([images, fusion.Clip.Tokens, fusion.Clip.Channels], generator: generator),
                randn([images, diffusion.Tokens, diffusion.Channels], generator: generator));
    }

    /// <summary>Rows of the output that differ between two feature sets.</summary>
    private static long[] ChangedRows(Tensor a, Tensor b) => (a - b).abs().amax([-1]).gt(1e-6).nonzero().select(1, 0).data<long>().ToArray();

    [Fact]
    public void Concat_tokens_puts_clip_tokens_first_and_each_half_depends_only_on_its_features()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (model, fusion) = Load(FusionKind.ConcatTokens);
        var (clip, diffusion) = Features(fusion, images: 1);
        var output = model.ProjectImages(clip, diffusion)[0];
        Assert.Equal([fusion.Clip.Tokens + fusion.Diffusion!.Tokens, fusion.TextHiddenSize], output.shape);

        var otherDiffusion = model.ProjectImages(clip, diffusion + 1)[0];
        Assert.Equal(Enumerable.Range(fusion.Clip.Tokens, fusion.Diffusion.Tokens).Select(i => (long)i), ChangedRows(output, otherDiffusion));
        var otherClip = model.ProjectImages(clip + 1, diffusion)[0];
        Assert.Equal(Enumerable.Range(0, fusion.Clip.Tokens).Select(i => (long)i), ChangedRows(output, otherClip));
    }

    [Fact]
    public void Concat_channels_resizes_the_diffusion_grid_onto_the_clip_grid_in_row_major_order()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (model, fusion) = Load(FusionKind.ConcatChannels);
        var (clip, diffusion) = Features(fusion, images: 1);
        var output = model.ProjectImages(clip, diffusion)[0];
        Assert.Equal([fusion.Clip.Tokens, fusion.TextHiddenSize], output.shape);

        // Nudging the top-right diffusion cell moves only CLIP tokens in the top-right region.
        var spec = fusion.Diffusion!;
        var nudged = diffusion.clone();
        nudged[0, spec.GridWidth - 1] += 5;
        var changed = ChangedRows(output, model.ProjectImages(clip, nudged)[0]);
        Assert.NotEmpty(changed);
        Assert.All(changed, row =>
        {
            var (r, c) = (row / fusion.Clip.GridWidth, row % fusion.Clip.GridWidth);
            Assert.True(r < fusion.Clip.GridHeight / 2 + 1 && c >= fusion.Clip.GridWidth / 2, $"token ({r}, {c}) changed");
        });
    }

    [Fact]
    public void The_resize_keeps_a_constant_field_and_is_the_identity_on_equal_grids()
    {
        using var scope = NewDisposeScope();
        var (_, fusion) = Load(FusionKind.ConcatChannels);
        var spec = fusion.Diffusion!;
        var constant = full([2, spec.Tokens, spec.Channels], 0.75f);
        var resized = VisualFusion.ResizeToClipGrid(fusion, constant);
        Assert.Equal([2, fusion.Clip.Tokens, spec.Channels], resized.shape);
        Assert.True((resized - 0.75f).abs().max().item<float>() < 1e-6);

        var same = fusion with { Diffusion = spec with { GridHeight = fusion.Clip.GridHeight, GridWidth = fusion.Clip.GridWidth, Tokens = fusion.Clip.Tokens } };
        var values = randn(1, fusion.Clip.Tokens, spec.Channels);
        Assert.True((VisualFusion.ResizeToClipGrid(same, values) - values).abs().max().item<float>() < 1e-6);
    }

    [Fact]
    public void Cross_attention_matches_an_explicit_computation()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        const int clipChannels = 8, diffusionChannels = 6, heads = 2;
        var block = new FeatureCrossAttention(clipChannels, diffusionChannels, heads, 1e-5);
        foreach (var (_, p) in block.named_parameters()) p.normal_(0, 0.3);
        var clip = randn(2, 5, clipChannels);
        var diffusion = randn(2, 3, diffusionChannels);
        var state = block.state_dict();
        Tensor Linear(string name, Tensor x) => x.matmul(state[name + ".weight"].t()) + state[name + ".bias"];
        Tensor Norm(string name, Tensor x) => nn.functional.layer_norm(x, [x.shape[^1]], state[name + ".weight"], state[name + ".bias"], 1e-5);
        Tensor Heads(Tensor x) => x.view(2, x.shape[1], heads, clipChannels / heads).transpose(1, 2);
        var q = Heads(Linear("q_proj", Norm("norm_clip", clip)));
        var k = Heads(Linear("k_proj", Norm("norm_diffusion", diffusion)));
        var v = Heads(Linear("v_proj", Norm("norm_diffusion", diffusion)));
        var weights = softmax(q.matmul(k.transpose(-1, -2)) / Math.Sqrt(clipChannels / heads), -1);
        var expected = clip + Linear("out_proj", weights.matmul(v).transpose(1, 2).reshape(2, 5, clipChannels));
        Assert.True((block.forward(clip, diffusion) - expected).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Cross_attention_keeps_the_clip_token_count_and_depends_on_the_diffusion_features()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (model, fusion) = Load(FusionKind.CrossAttention);
        var (clip, diffusion) = Features(fusion);
        var output = model.ProjectImages(clip, diffusion);
        Assert.Equal([2, fusion.Clip.Tokens, fusion.TextHiddenSize], output.shape);
        Assert.Equal(fusion.Clip.Tokens, ChangedRows(output[0], model.ProjectImages(clip, diffusion * 2)[0]).Length);
    }

    public static TheoryData<string, string> BadFeatures => new()
    {
        { "missing", "features[\"diffusion\"]" },
        { "shape", "features[\"diffusion\"]" },
        { "unknown", "features[\"depth\"]" },
        { "nan", "features[\"clip\"]" },
        { "integer", "features[\"clip\"]" },
    };

    [Theory]
    [MemberData(nameof(BadFeatures))]
    public void Mismatched_features_are_invalid_input_naming_the_feature(string problem, string field)
    {
        using var scope = NewDisposeScope();
        using var model = GeneratorModel.Load(checkpoints.Preset("tiny-concat-channels"));
        var features = model.Info.ExpectedFeatures.ToDictionary(s => s.Name, s => zeros(s.Tokens, s.Channels));
        switch (problem)
        {
            case "missing": features.Remove("diffusion"); break;
            case "shape": features["diffusion"] = zeros(7, 3); break;
            case "unknown": features["depth"] = zeros(4, 4); break;
            case "nan": features["clip"][0, 0] = float.NaN; break;
            case "integer": features["clip"] = features["clip"].to(ScalarType.Int32); break;
        }
        var error = Assert.Throws<InvalidInputException>(() => model.Prepare(Request(features)));
        Assert.Equal(field, error.Field);
        if (problem == "missing") Assert.Contains(model.Info.ExpectedFeatures[1].DiffusionTap!, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fusion_mode_other_than_the_models_and_features_for_a_text_model_are_refused()
    {
        using var scope = NewDisposeScope();
        using (var model = GeneratorModel.Load(checkpoints.Preset("tiny-cross-attention")))
        {
            var features = model.Info.ExpectedFeatures.ToDictionary(s => s.Name, s => zeros(s.Tokens, s.Channels));
            var error = Assert.Throws<InvalidInputException>(() => model.Prepare(Request(features) with { FusionMode = FusionKind.ConcatTokens }));
            Assert.Equal("fusion_mode", error.Field);
            Assert.Equal(model.Info.ImageTokens, model.Prepare(Request(features) with { FusionMode = FusionKind.CrossAttention }).ImageTokens);
        }
        using var text = GeneratorModel.Load(checkpoints.Preset("tiny-vicuna"));
        Assert.Equal("features", Assert.Throws<InvalidInputException>(() => text.Prepare(Request(new Dictionary<string, Tensor> { ["clip"] = zeros(1, 1) }))).Field);
    }

    private static GenerationRequest Request(IReadOnlyDictionary<string, Tensor> features) => new()
    {
        Messages = [new ConversationTurn(ChatRole.User, "What is shown?")],
        Features = features,
    };
}
