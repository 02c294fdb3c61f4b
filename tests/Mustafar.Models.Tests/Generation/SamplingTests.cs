using Mustafar.Models.Generation;
using Mustafar.Tensors;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Generation;

/// <summary>Sampling parameters, the logits processors (transformers' formulas) and the seeded draw.</summary>
public sealed class SamplingTests
{
    private const int Vocab = 100;

    public static TheoryData<SamplingRequest, string> BadRequests => new()
    {
        { new SamplingRequest { MaxNewTokens = -1 }, "sampling.max_new_tokens" },
        { new SamplingRequest { MaxNewTokens = 0 }, "sampling.max_new_tokens" },
        { new SamplingRequest { MaxNewTokens = 5000 }, "sampling.max_new_tokens" },
        { new SamplingRequest { Temperature = -0.1f }, "sampling.temperature" },
        { new SamplingRequest { Temperature = 101f }, "sampling.temperature" },
        { new SamplingRequest { Temperature = float.NaN }, "sampling.temperature" },
        { new SamplingRequest { TopP = 0f }, "sampling.top_p" },
        { new SamplingRequest { TopP = 1.01f }, "sampling.top_p" },
        { new SamplingRequest { TopK = -1 }, "sampling.top_k" },
        { new SamplingRequest { TopK = Vocab + 1 }, "sampling.top_k" },
        { new SamplingRequest { RepetitionPenalty = 0f }, "sampling.repetition_penalty" },
        { new SamplingRequest { RepetitionPenalty = 10.5f }, "sampling.repetition_penalty" },
        { new SamplingRequest { FrequencyPenalty = 2.5f }, "sampling.frequency_penalty" },
        { new SamplingRequest { FrequencyPenalty = float.NaN }, "sampling.frequency_penalty" },
        { new SamplingRequest { PresencePenalty = -2.01f }, "sampling.presence_penalty" },
        { new SamplingRequest { LogitBias = new Dictionary<int, float> { [Vocab] = 1f } }, $"sampling.logit_bias[{Vocab}]" },
        { new SamplingRequest { LogitBias = new Dictionary<int, float> { [-1] = 1f } }, "sampling.logit_bias[-1]" },
        { new SamplingRequest { LogitBias = new Dictionary<int, float> { [3] = 100.5f } }, "sampling.logit_bias[3]" },
        { new SamplingRequest { LogitBias = Enumerable.Range(0, 301).ToDictionary(i => i, _ => 1f) }, "sampling.logit_bias" },
        { new SamplingRequest { Logprobs = true, TopLogprobs = 21 }, "sampling.top_logprobs" },
        { new SamplingRequest { TopLogprobs = 2 }, "sampling.top_logprobs" },
        { new SamplingRequest { Stop = Enumerable.Repeat("x", 9).ToArray() }, "sampling.stop" },
        { new SamplingRequest { Stop = ["ok", ""] }, "sampling.stop[1]" },
        { new SamplingRequest { Stop = [new string('x', 65)] }, "sampling.stop[0]" },
        { new SamplingRequest { Stop = ["\ud83d"] }, "sampling.stop[0]" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void Out_of_range_parameters_name_the_field(SamplingRequest request, string field)
    {
        var error = Assert.Throws<InvalidInputException>(() => SamplingParameters.Resolve(request, new SamplingParameters(), Vocab, 2048));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Unset_fields_take_the_defaults_and_an_unset_seed_is_random()
    {
        var defaults = new SamplingParameters { Temperature = 0.7f, TopK = 50, MaxNewTokens = 64 };
        var a = SamplingParameters.Resolve(new SamplingRequest { TopP = 0.5f }, defaults, Vocab, 32);
        Assert.Equal((0.7f, 50, 0.5f, 32), (a.Temperature, a.TopK, a.TopP, a.MaxNewTokens));
        var b = SamplingParameters.Resolve(null, defaults, Vocab, 32);
        Assert.NotEqual(a.Seed, b.Seed);
    }

    [Fact]
    public void The_repetition_penalty_divides_positive_and_multiplies_negative_scores()
    {
        using var scope = NewDisposeScope();
        var scores = tensor(new[] { 2f, -2f, 4f, -1f });
        var penalized = TokenSampler.Penalize(scores, [0, 1], 2f).data<float>().ToArray();
        Assert.Equal([1f, -4f, 4f, -1f], penalized);
    }

    [Fact]
    public void Greedy_takes_the_argmax_after_the_penalty()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new[] { 1f, 3f, 2.5f });
        Assert.Equal(1, new TokenSampler(new SamplingParameters()).Next(logits, [2]).Id);
        Assert.Equal(2, new TokenSampler(new SamplingParameters { RepetitionPenalty = 1.5f }).Next(logits, [1]).Id);
    }

    [Fact]
    public void Top_k_one_and_a_tiny_top_p_reduce_sampling_to_the_most_likely_token()
    {
        using var scope = NewDisposeScope();
        var logits = log(tensor(new[] { 0.2f, 0.5f, 0.3f }));
        var topK = new TokenSampler(new SamplingParameters { Temperature = 5f, TopK = 1, Seed = 1 });
        var topP = new TokenSampler(new SamplingParameters { Temperature = 1f, TopP = 0.01f, Seed = 1 });
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(1, topK.Next(logits, []).Id);
            Assert.Equal(1, topP.Next(logits, []).Id);
        }
    }

    [Fact]
    public void Top_p_keeps_the_smallest_set_reaching_the_mass_and_draws_follow_the_probabilities()
    {
        using var scope = NewDisposeScope();
        var logits = log(tensor(new[] { 0.05f, 0.5f, 0.15f, 0.3f }));
        var sampler = new TokenSampler(new SamplingParameters { Temperature = 1f, TopP = 0.8f, Seed = 42 });
        var counts = new int[4];
        const int draws = 4000;
        for (var i = 0; i < draws; i++) counts[sampler.Next(logits, []).Id]++;
        // Kept: 0.5 and 0.3 (mass before 0.3 is 0.5 < 0.8; before 0.15 it is 0.8, not < 0.8), renormalised to 5/8, 3/8.
        Assert.Equal(0, counts[0] + counts[2]);
        Assert.InRange(counts[1] / (double)draws, 0.625 - 0.03, 0.625 + 0.03);
    }

    [Fact]
    public void A_seed_reproduces_the_draws_and_another_seed_changes_them()
    {
        using var scope = NewDisposeScope();
        var logits = zeros(Vocab);
        int[] Draws(ulong seed)
        {
            var sampler = new TokenSampler(new SamplingParameters { Temperature = 1f, Seed = seed });
            return [.. Enumerable.Range(0, 32).Select(_ => sampler.Next(logits, []).Id)];
        }
        Assert.Equal(Draws(7), Draws(7));
        Assert.NotEqual(Draws(7), Draws(8));
    }

    [Fact]
    public void The_random_stream_is_uniform_and_fixed_by_the_seed()
    {
        var a = new SamplingRandom(123);
        var b = new SamplingRandom(123);
        var values = Enumerable.Range(0, 10000).Select(_ => a.NextDouble()).ToArray();
        Assert.All(values.Take(100), v => Assert.Equal(v, b.NextDouble()));
        Assert.All(values, v => Assert.InRange(v, 0.0, 0.9999999999));
        Assert.InRange(values.Average(), 0.49, 0.51);
    }

    [Fact]
    public void Frequency_and_presence_penalties_follow_openais_formula_over_the_tokens_sampled()
    {
        using var scope = NewDisposeScope();
        // Greedy: token 0 leads by 1.0. After it is sampled once, frequency 0.3 + presence 0.5 take 0.8 from it
        // (still ahead); after twice, 2 * 0.3 + 0.5 = 1.1 (now behind token 1).
        var logits = tensor(new[] { 2f, 1f, -1f });
        var sampler = new TokenSampler(new SamplingParameters { FrequencyPenalty = 0.3f, PresencePenalty = 0.5f });
        Assert.Equal([0, 0, 1], Enumerable.Range(0, 3).Select(_ => sampler.Next(logits, []).Id).ToArray());
        // A negative penalty encourages repeating.
        var repeating = new TokenSampler(new SamplingParameters { FrequencyPenalty = -2f });
        Assert.All(Enumerable.Range(0, 5).Select(_ => repeating.Next(logits, []).Id), id => Assert.Equal(0, id));
    }

    [Fact]
    public void A_logit_bias_is_added_before_the_draw()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new[] { 2f, 1f, -1f });
        Assert.Equal(2, new TokenSampler(new SamplingParameters { LogitBias = new Dictionary<int, float> { [2] = 3.5f } }).Next(logits, []).Id);
        Assert.Equal(1, new TokenSampler(new SamplingParameters { LogitBias = new Dictionary<int, float> { [0] = -1.5f } }).Next(logits, []).Id);
        var sampled = new TokenSampler(new SamplingParameters { Temperature = 1f, Seed = 3, LogitBias = new Dictionary<int, float> { [1] = -100f, [2] = 100f } });
        Assert.All(Enumerable.Range(0, 20).Select(_ => sampled.Next(logits, []).Id), id => Assert.Equal(2, id));
    }

    [Fact]
    public void Logprobs_are_the_raw_logits_log_softmax_with_the_top_alternatives_most_likely_first()
    {
        using var scope = NewDisposeScope();
        var values = new[] { 0.5f, 2f, -1f, 1.5f };
        var logits = tensor(values);
        var expected = values.Select(v => v - (float)Math.Log(values.Sum(x => Math.Exp(x)))).ToArray();
        // The bias makes token 2 the pick; its logprob is still the raw model's.
        var sampler = new TokenSampler(new SamplingParameters { Logprobs = true, TopLogprobs = 3, LogitBias = new Dictionary<int, float> { [2] = 50f } });
        var token = sampler.Next(logits, []);
        Assert.Equal(2, token.Id);
        Assert.Equal(expected[2], token.Logprob!.Value, 5);
        Assert.Equal([1, 3, 0], token.Top.Select(t => t.Id).ToArray());
        Assert.Equal([expected[1], expected[3], expected[0]], token.Top.Select(t => t.Logprob).ToArray(), new ToleranceComparer(1e-5f));
        Assert.Null(new TokenSampler(new SamplingParameters()).Next(logits, []).Logprob);
        Assert.Empty(new TokenSampler(new SamplingParameters { Logprobs = true }).Next(logits, []).Top);
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
