using Mustafar.CheckpointWriters;
using Mustafar.Models.Fusion;
using Mustafar.Models.Generation;
using Mustafar.Models.Llama;
using Mustafar.Tensors;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Generation;

/// <summary>Continuous batching: sequences decoded together, joining and leaving at step boundaries, give what they
/// give alone; stop conditions, cancellation and limits end them with the right reason.</summary>
public sealed class GenerationEngineTests(TinyCheckpoints checkpoints) : IClassFixture<TinyCheckpoints>
{
    private GeneratorModel Load(string preset = "tiny-concat-tokens", GeneratorOptions? options = null) =>
        GeneratorModel.Load(checkpoints.Preset(preset), options);

    private static Dictionary<string, Tensor> Features(GeneratorModel model, int seed)
    {
        var generator = new Generator((ulong)seed, CPU);
        return model.Info.ExpectedFeatures.ToDictionary(s => s.Name, s => randn([s.Tokens, s.Channels], generator: generator));
    }

    private static GenerationRequest Request(string question, IReadOnlyDictionary<string, Tensor>? features = null, SamplingRequest? sampling = null,
        CancellationToken cancellation = default) => new()
    {
        Messages = [new ConversationTurn(ChatRole.User, question)],
        Features = features ?? new Dictionary<string, Tensor>(),
        Sampling = sampling ?? new SamplingRequest { MaxNewTokens = 12 },
        Cancellation = cancellation,
    };

    /// <summary>Drives an engine to the end: newcomers join at the given steps.</summary>
    private static Dictionary<GenerationRequest, (string Text, GenerationOutcome Result)> Run(GeneratorModel model, IReadOnlyList<(int JoinAtStep, GenerationRequest Request)> schedule)
    {
        using var engine = new GenerationEngine(model);
        var texts = schedule.ToDictionary(s => s.Request, _ => "");
        var results = new Dictionary<GenerationRequest, (string, GenerationOutcome)>();
        for (var step = 0; results.Count < schedule.Count; step++)
        {
            var events = new List<GenerationEvent>();
            var joining = schedule.Where(s => s.JoinAtStep == step).Select(s => model.Prepare(s.Request)).ToList();
            if (joining.Count > 0) events.AddRange(engine.Admit(joining));
            if (engine.ActiveCount > 0) events.AddRange(engine.Step());
            foreach (var e in events)
            {
                texts[e.Sequence.Request] += e.Delta;
                if (e.Result is { } result) results[e.Sequence.Request] = (texts[e.Sequence.Request], result);
            }
            Assert.True(step < 1000, "the engine did not finish");
        }
        return results;
    }

    [Fact]
    public void Sequences_batched_and_joining_midway_decode_exactly_as_alone()
    {
        using var model = Load();
        var requests = new[]
        {
            Request("What is shown in this image?", Features(model, 1)),
            // Features may arrive in another float dtype than their batch-mates'.
            Request("Describe the picture in detail, please.", Features(model, 2).ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float16)),
                new SamplingRequest { MaxNewTokens = 5 }),
            Request("Hello there"),
            Request("What color is the car?", Features(model, 3), new SamplingRequest { MaxNewTokens = 9, Temperature = 0.9f, TopP = 0.9f, TopK = 40, Seed = 7 }),
            Request("Is there a dog?", null, new SamplingRequest { MaxNewTokens = 14, Temperature = 1.2f, Seed = 11, RepetitionPenalty = 1.3f }),
        };
        var alone = requests.ToDictionary(r => r, r => model.Generate(r));
        var together = Run(model, [(0, requests[0]), (0, requests[1]), (0, requests[2]), (3, requests[3]), (4, requests[4])]);
        foreach (var r in requests)
        {
            Assert.Equal(alone[r].Text, together[r].Text);
            Assert.Equal(alone[r].Result.CompletionTokens, together[r].Result.CompletionTokens);
            Assert.Equal(alone[r].Result.Reason, together[r].Result.Reason);
        }
        Assert.Equal(5, together[requests[1]].Result.CompletionTokens);
        Assert.Equal(StopReason.Length, together[requests[1]].Result.Reason);
    }

    [Fact]
    public void Batched_logits_stay_within_tolerance_of_single_sequence_logits_through_joins_and_removals()
    {
        using var model = Load("tiny-clip-only");
        var lm = model.Model.LanguageModel;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        const int steps = 6;
        long[][] prompts = [[1, 40, 41, 42], [1, 300, 301, 302, 303, 304, 305, 306, 307], [1, 77], [.. Enumerable.Range(100, 24).Select(i => (long)i)]];
        var single = prompts.Select(p => GreedyLogits(lm, [p], steps).Single()).ToList();

        // Sequences 0 and 1 start together; 2 (shorter than the running cache) and 3 (longer: the running rows get
        // padded) join later; each leaves once it has its steps, while the others go on.
        var schedule = new Dictionary<int, int[]> { [0] = [0, 1], [2] = [2], [3] = [3] };
        var recorded = prompts.Select(_ => new List<Tensor>()).ToList();
        var next = new long[prompts.Length];
        void Record(int sequence, Tensor logits)
        {
            recorded[sequence].Add(logits);
            next[sequence] = logits.argmax().item<long>();
        }
        using var decoder = new LlamaBatchDecoder(lm);
        var active = new List<int>();
        for (var round = 0; active.Count > 0 || round <= schedule.Keys.Max(); round++)
        {
            if (schedule.TryGetValue(round, out var joining))
            {
                var first = decoder.Add([.. joining.Select(s => lm.Embed(tensor(prompts[s])))]);
                for (var k = 0; k < joining.Length; k++) Record(joining[k], first[k]);
                active.AddRange(joining);
            }
            var keep = active.Where(s => recorded[s].Count < steps).ToList();
            if (keep.Count != active.Count)
            {
                decoder.KeepRows([.. keep.Select(s => active.IndexOf(s))]);
                active = keep;
            }
            if (active.Count == 0) continue;
            var logits = decoder.Step([.. active.Select(s => next[s])]);
            for (var k = 0; k < active.Count; k++) Record(active[k], logits[k]);
        }

        for (var s = 0; s < prompts.Length; s++)
        {
            Assert.Equal(steps, recorded[s].Count);
            for (var k = 0; k < steps; k++)
            {
                var diff = (recorded[s][k] - single[s][k]).abs().max().item<float>();
                Assert.True(diff < 1e-4, $"sequence {s} step {k}: {diff}");
                Assert.Equal(single[s][k].argmax().item<long>(), recorded[s][k].argmax().item<long>());
            }
        }
    }

    /// <summary>Greedy logits per step for sequences decoded alone from their prompts.</summary>
    private static List<List<Tensor>> GreedyLogits(LlamaForCausalLM lm, long[][] prompts, int steps)
    {
        using var decoder = new LlamaBatchDecoder(lm);
        var logits = decoder.Add([.. prompts.Select(p => lm.Embed(tensor(p)))]);
        var result = prompts.Select(_ => new List<Tensor>()).ToList();
        for (var step = 0; step < steps; step++)
        {
            for (var i = 0; i < prompts.Length; i++) result[i].Add(logits[i].clone());
            logits = decoder.Step([.. Enumerable.Range(0, prompts.Length).Select(i => logits[i].argmax().item<long>())]);
        }
        return result;
    }

    [Fact]
    public void A_stop_string_ends_the_answer_before_it_even_across_tokens()
    {
        using var model = Load("tiny-vicuna");
        var (text, _) = model.Generate(Request("Tell me a story", sampling: new SamplingRequest { MaxNewTokens = 30 }));
        Assert.True(text.Length > 8, $"the tiny model's answer '{text}' is too short to pick a stop string from");
        var stop = text.Substring(text.Length / 2, 3);
        var deltas = new List<string>();
        var (stopped, result) = model.Generate(Request("Tell me a story", sampling: new SamplingRequest { MaxNewTokens = 30, Stop = ["\u0001never", stop] }), deltas.Add);
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], stopped);
        Assert.Equal(stopped, string.Concat(deltas));
        Assert.Equal(StopReason.StopString, result.Reason);
        Assert.Equal(stop, result.StopString);
    }

    [Fact]
    public void The_end_of_sequence_token_ends_generation_and_is_not_emitted()
    {
        var folder = checkpoints.Preset("tiny-vicuna");
        using var scope = NewDisposeScope();
        int third;
        string expected;
        using (var model = GeneratorModel.Load(folder))
        {
            var prepared = model.Prepare(Request("Hello"));
            var lm = model.Model.LanguageModel;
            var ids = GreedyLogits(lm, [[.. prepared.PromptIds.Select(i => (long)i)]], steps: 3)[0].Select(l => (int)l.argmax().item<long>()).ToList();
            third = ids[2];
            Assume(ids[0] != third && ids[1] != third);
            expected = model.Tokenizer.Decode(ids.Take(2));
        }
        var copy = Path.Combine(Path.GetTempPath(), "mustafar-tests", "eos-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(copy);
        try
        {
            foreach (var file in Directory.GetFiles(folder)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            File.WriteAllText(Path.Combine(copy, GenerationDefaults.FileName), $"{{\"eos_token_id\": [2, {third}]}}");
            using var model = GeneratorModel.Load(copy);
            var (text, result) = model.Generate(Request("Hello"));
            Assert.Equal(StopReason.Eos, result.Reason);
            Assert.Equal(3, result.CompletionTokens);
            Assert.Equal(expected, text);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private static void Assume(bool condition)
    {
        if (!condition) throw new InvalidOperationException("the tiny model's greedy tokens repeat; pick another prompt");
    }

    [Fact]
    public void Cancellation_stops_a_sequence_between_tokens_and_the_others_go_on()
    {
        using var model = Load("tiny-vicuna");
        using var cancel = new CancellationTokenSource();
        var doomed = Request("first", sampling: new SamplingRequest { MaxNewTokens = 50 }, cancellation: cancel.Token);
        var survivor = Request("second", sampling: new SamplingRequest { MaxNewTokens = 6 });
        using var engine = new GenerationEngine(model);
        engine.Admit([model.Prepare(doomed), model.Prepare(survivor)]);
        engine.Step();
        cancel.Cancel();
        var events = engine.Step();
        var final = Assert.Single(events, e => e.Sequence.Request == doomed);
        Assert.Equal(StopReason.Cancelled, final.Result!.Reason);
        Assert.Equal(2, final.CompletionTokens);
        Assert.Equal(1, engine.ActiveCount);
        Assert.Equal(survivor, engine.Running.Single().Request);

        var already = engine.Admit([model.Prepare(doomed)]);
        Assert.Equal(StopReason.Cancelled, Assert.Single(already).Result!.Reason);
        Assert.Equal(1, engine.ActiveCount);

        var running = engine.Running.Single();
        Assert.Equal(StopReason.Cancelled, engine.Cancel(running)!.Result!.Reason);
        Assert.Equal(0, engine.ActiveCount);
        Assert.Null(engine.Cancel(running));
        Assert.Empty(engine.Step());
    }

    [Fact]
    public void The_context_window_ends_generation_and_an_oversized_prompt_is_refused()
    {
        var folder = checkpoints.Get("short-context", new TinyLlavaOptions { Layout = Models.Generation.CheckpointLayout.Llama, MaxPositionEmbeddings = 80 });
        using var model = GeneratorModel.Load(folder);
        var prepared = model.Prepare(Request("Hi"));
        var room = 80 - prepared.PromptTokens;
        var (_, result) = model.Generate(Request("Hi", sampling: new SamplingRequest { MaxNewTokens = 80 }));
        Assert.Equal(StopReason.ContextFull, result.Reason);
        Assert.Equal(room, result.CompletionTokens);

        var error = Assert.Throws<InputTooLargeException>(() => model.Prepare(Request(string.Join(" ", Enumerable.Repeat("What is shown in this image?", 10)))));
        Assert.Equal("messages", error.Field);
    }

    [Fact]
    public void Admission_beyond_the_batch_limit_is_refused()
    {
        using var model = Load("tiny-vicuna", new GeneratorOptions { MaxBatchSize = 2 });
        using var engine = new GenerationEngine(model);
        var three = Enumerable.Range(0, 3).Select(i => model.Prepare(Request($"q{i}"))).ToList();
        Assert.Throws<InvalidOperationException>(() => engine.Admit(three));
        engine.Admit(three.Take(2).ToList());
        Assert.Equal(0, engine.FreeSlots);
    }

    [Fact]
    public void Results_report_token_counts_and_timings()
    {
        using var model = Load();
        var (_, result) = model.Generate(Request("What is shown?", Features(model, 5), new SamplingRequest { MaxNewTokens = 4 }));
        var prepared = model.Prepare(Request("What is shown?", Features(model, 5)));
        Assert.Equal(StopReason.Length, result.Reason);
        Assert.Equal(4, result.CompletionTokens);
        Assert.Equal(model.Info.ImageTokens, result.ImageTokens);
        Assert.Equal(prepared.PromptIds.Count - 1 + model.Info.ImageTokens, result.PromptTokens);
        Assert.True(result.PrefillMs > 0 && result.DecodeMs > 0);
    }

    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Half_precision_models_generate_with_finite_logits(ScalarType dtype)
    {
        using var model = Load(options: new GeneratorOptions { DType = dtype });
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Assert.Equal(dtype, model.Model.LanguageModel.Model.EmbeddingWeight.dtype);
        var prepared = model.Prepare(Request("What is shown?", Features(model, 9)));
        var images = model.Model.ProjectImages(stack([prepared.Request.Features["clip"]]), stack([prepared.Request.Features["diffusion"]]));
        Assert.Equal(dtype, images.dtype);
        using var decoder = new LlamaBatchDecoder(model.Model.LanguageModel);
        var logits = decoder.Add([model.Model.EmbedPrompt(prepared.PromptIds, images[0])]);
        Assert.True(isfinite(logits).all().item<bool>());
        var (_, result) = model.Generate(Request("What is shown?", Features(model, 9), new SamplingRequest { MaxNewTokens = 3 }));
        Assert.Equal(3, result.CompletionTokens);
    }
}
