using Mustafar.Models.Diffusion.TextEncoder;
using Mustafar.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Diffusion;

/// <summary>Parity of the SD text encoder with transformers' CLIPTextModel (clip_text fixture).</summary>
public sealed class ClipTextModelTests
{
    [SkippableFact]
    public void Last_hidden_state_hidden_states_and_pooled_output_match_transformers()
    {
        var folder = ReferenceFixtures.Require("clip_text");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (model, report) = ClipTextEncoderLoader.Load(folder, CPU, float32);
        using var __ = model;
        var inputs = FixtureTensors.Read(folder, "inputs.safetensors");
        var outputs = FixtureTensors.Read(folder, "outputs.safetensors");
        var ids = inputs["input_ids"];

        var last = model.forward(ids);
        FixtureTensors.AssertClose(outputs["last_hidden_state"], last, 1e-4, "last_hidden_state");
        var hidden = model.HiddenStates(ids);
        var hiddenKeys = outputs.Keys.Where(k => k.StartsWith("hidden_states.", StringComparison.Ordinal)).ToList();
        Assert.Equal(hiddenKeys.Count, hidden.Count);
        foreach (var key in hiddenKeys)
            FixtureTensors.AssertClose(outputs[key], hidden[int.Parse(key["hidden_states.".Length..])], 1e-4, key);
        FixtureTensors.AssertClose(outputs["pooler_output"], model.Pooled(ids, last), 1e-4, "pooler_output");
        Assert.Equal(model.state_dict().Count, report.Loaded);
    }

    [SkippableFact]
    public void The_causal_mask_makes_earlier_positions_independent_of_later_tokens()
    {
        var folder = ReferenceFixtures.Require("clip_text");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (model, _) = ClipTextEncoderLoader.Load(folder, CPU, float32);
        using var __ = model;
        var ids = FixtureTensors.Read(folder, "inputs.safetensors")["input_ids"][TensorIndex.Slice(0, 1)];
        var changed = ids.clone();
        changed[0, -1] = tensor(320L);

        var a = model.forward(ids);
        var b = model.forward(changed);
        Assert.Equal(0.0, FixtureTensors.MaxAbsDiff(a[.., ..^1], b[.., ..^1]));
        Assert.True(FixtureTensors.MaxAbsDiff(a[.., ^1..], b[.., ^1..]) > 0);
    }
}
