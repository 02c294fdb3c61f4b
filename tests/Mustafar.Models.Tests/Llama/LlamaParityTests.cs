using System.Text.Json;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Llama;
using Mustafar.Testing;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Llama;

/// <summary>LlamaForCausalLM against transformers 4.44 (fixture <c>llama/</c>): padded-batch logits, greedy ids and
/// cached decoding. Shapes and settings come from the fixture.</summary>
public sealed class LlamaParityTests(ITestOutputHelper output)
{
    // The fixture's smallest greedy top-1/top-2 logit margin is 0.0074; 1e-4 stays far below it.
    private const double LogitTolerance = 1e-4;

    private static (LlamaForCausalLM Model, FixtureTensors Inputs, FixtureTensors Outputs) Load()
    {
        var folder = ReferenceFixtures.Require("llama");
        var config = LlamaConfig.From(HfConfig.Load(Path.Combine(folder, "config.json")));
        var model = new LlamaForCausalLM(config);
        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        StateDictLoader.Load(model, checkpoint, KeyMapping.Exact);
        model.eval();
        return (model, new FixtureTensors(Path.Combine(folder, "inputs.safetensors")), new FixtureTensors(Path.Combine(folder, "outputs.safetensors")));
    }

    [SkippableFact]
    public void Padded_batch_logits_match_on_real_positions()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (model, inputs, outputs) = Load();
        var mask = inputs["attention_mask"];
        var positions = LlamaPositions.FromAttentionMask(mask);
        Assert.Equal(0, FixtureTensors.MaxAbsDiff(positions, inputs["position_ids"]));

        var logits = model.forward(model.Embed(inputs["input_ids"]), positions, mask.to(ScalarType.Bool), cache: null);
        var real = mask.to(ScalarType.Bool).unsqueeze(-1).expand_as(logits);
        var diff = (logits - outputs["logits"]).abs().masked_select(real).max().item<float>();
        output.WriteLine($"padded-batch logits max abs diff on real positions: {diff:E3}");
        Assert.True(diff < LogitTolerance, $"logits differ by {diff}");
    }

    [SkippableFact]
    public void Greedy_decoding_with_the_cache_matches_ids_and_step_logits()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (model, inputs, outputs) = Load();
        var prompt = inputs["gen_prompt_ids"];
        var expectedIds = outputs["generated_ids"][0].data<long>().ToArray();
        var expectedSteps = outputs["step_logits"];

        using var decoder = new LlamaBatchDecoder(model);
        var logits = decoder.Add([model.Embed(prompt)[0]]);
        var generated = new List<long>();
        var worst = 0.0;
        for (var step = 0; step < expectedIds.Length; step++)
        {
            worst = Math.Max(worst, FixtureTensors.MaxAbsDiff(logits[0], expectedSteps[step]));
            generated.Add(logits[0].argmax().item<long>());
            if (step + 1 < expectedIds.Length) logits = decoder.Step([generated[^1]]);
        }
        output.WriteLine($"cached step logits max abs diff: {worst:E3}");
        Assert.Equal(expectedIds, generated);
        Assert.True(worst < LogitTolerance, $"step logits differ by {worst}");
    }

    [SkippableFact]
    public void A_full_forward_without_cache_matches_the_cached_steps()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (model, inputs, outputs) = Load();
        var sequence = cat([inputs["gen_prompt_ids"], outputs["generated_ids"]], 1);
        var tokens = sequence.shape[1];
        var valid = ones(1, tokens, dtype: ScalarType.Bool);
        var full = model.forward(model.Embed(sequence), LlamaPositions.FromAttentionMask(valid), valid, cache: null);
        var fullDiff = FixtureTensors.MaxAbsDiff(full, outputs["full_sequence_logits"]);

        var prompt = inputs["gen_prompt_ids"].shape[1];
        var steps = outputs["step_logits"];
        var cacheDiff = FixtureTensors.MaxAbsDiff(full[0].narrow(0, prompt - 1, steps.shape[0]), steps);
        output.WriteLine($"full-sequence logits {fullDiff:E3}; full forward vs reference cached steps {cacheDiff:E3}");
        Assert.True(fullDiff < LogitTolerance, $"full-sequence logits differ by {fullDiff}");
        Assert.True(cacheDiff < LogitTolerance, $"cache parity off by {cacheDiff}");
    }

    [SkippableFact]
    public void Greedy_decoding_in_a_batch_with_a_padded_row_and_a_joining_row_still_matches()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (model, inputs, outputs) = Load();
        var expectedIds = outputs["generated_ids"][0].data<long>().ToArray();
        var expectedSteps = outputs["step_logits"];
        var mask = inputs["attention_mask"];
        // The padded batch's last row, without its padding, as a batch-mate of a different length.
        var last = mask.shape[0] - 1;
        var other = inputs["input_ids"][last].masked_select(mask[last].to(ScalarType.Bool));

        using var decoder = new LlamaBatchDecoder(model);
        var logits = decoder.Add([model.Embed(inputs["gen_prompt_ids"])[0], model.Embed(other)]);
        var generated = new List<long>();
        var worst = 0.0;
        for (var step = 0; ; step++)
        {
            worst = Math.Max(worst, FixtureTensors.MaxAbsDiff(logits[0], expectedSteps[step]));
            var next = Enumerable.Range(0, (int)logits.shape[0]).Select(row => logits[row].argmax().item<long>()).ToList();
            generated.Add(next[0]);
            if (step + 1 == expectedIds.Length) break;
            logits = decoder.Step(next);
            // A third sequence joins at a step boundary; the others keep decoding unchanged.
            if (step == 3) logits = cat([logits, decoder.Add([model.Embed(inputs["input_ids"][0])])]);
        }
        output.WriteLine($"batched step logits max abs diff: {worst:E3}");
        Assert.Equal(expectedIds, generated);
        Assert.True(worst < LogitTolerance, $"step logits differ by {worst}");
    }
}
