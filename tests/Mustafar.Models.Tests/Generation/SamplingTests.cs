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
        Assert.Equal(1, new TokenSampler(new SamplingParameters()).Next(logits, [2]));
        Assert.Equal(2, new TokenSampler(new SamplingParameters { RepetitionPenalty = 1.5f }).Next(logits, [1]));
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
            Assert.Equal(1, topK.Next(logits, []));
            Assert.Equal(1, topP.Next(logits, []));
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
        for (var i = 0; i < draws; i++) counts[sampler.Next(logits, [])]++;
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
            return [.. Enumerable.Range(0, 32).Select(_ => sampler.Next(logits, []))];
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
}
