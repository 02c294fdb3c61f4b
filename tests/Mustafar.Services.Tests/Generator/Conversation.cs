using Grpc.Core;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Generator;
using Mustafar.Models.Generation;
using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Torch;
using TorchSharp;

namespace Mustafar.Services.Tests.Generator;

/// <summary>One question with seeded features, sent both through the wire and to the model directly.</summary>
public sealed record Conversation(string Question, int FeatureSeed = 0, DType FeatureDType = DType.Float32, SamplingParams? Sampling = null)
{
    /// <summary>Seeded random features of every expected shape, as the wire carries them.</summary>
    public IReadOnlyList<NamedTensor> Features(GeneratorModel model)
    {
        if (FeatureSeed == 0) return [];
        var random = new Random(FeatureSeed);
        return model.Info.ExpectedFeatures.Select(spec =>
        {
            var values = new float[spec.Tokens * spec.Channels];
            for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
            return TensorCodec.Named(spec.Name, TensorCodec.FromFloat32(values, [spec.Tokens, spec.Channels], FeatureDType));
        }).ToList();
    }

    public GenerateRequest ToProto(GeneratorModel model)
    {
        var request = new GenerateRequest { Sampling = Sampling, RequestId = $"test-{FeatureSeed}" };
        request.Features.Add(Features(model));
        request.Messages.Add(new ChatMessage { Role = Role.User, Content = Question });
        return request;
    }

    /// <summary>The model's own answer, generated alone on the calling thread from the same feature values.</summary>
    public (string Text, GenerationOutcome Result) Direct(GeneratorModel model)
    {
        using var scope = torch.NewDisposeScope();
        var features = Features(model).ToDictionary(f => f.Name, f => TorchTensorBridge.ToTorch(f.Tensor, f.Name));
        var sampling = GeneratorProtoMapping.ToDomain(Sampling);
        return model.Generate(new GenerationRequest { Messages = [new ConversationTurn(ChatRole.User, Question)], Features = features, Sampling = sampling });
    }

    public static SamplingParams Greedy(int maxNewTokens) => new() { MaxNewTokens = maxNewTokens, Temperature = 0 };
}

/// <summary>What a Generate stream delivered.</summary>
public sealed record Streamed(IReadOnlyList<TextDelta> Deltas, GenerationResult Done)
{
    public string Text => string.Concat(Deltas.Select(d => d.Text));

    /// <summary>Reads a whole stream, checking its shape: deltas, then exactly one done, then the end.</summary>
    public static async Task<Streamed> ReadAsync(Contracts.Generation.V1.Generator.GeneratorClient client, GenerateRequest request)
    {
        using var call = client.Generate(request, deadline: DateTime.UtcNow + Eventually.Patience);
        var deltas = new List<TextDelta>();
        GenerationResult? done = null;
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            Assert.Null(done);
            if (response.EventCase == GenerateResponse.EventOneofCase.Delta) deltas.Add(response.Delta);
            else done = response.Done;
        }
        Assert.NotNull(done);
        return new Streamed(deltas, done);
    }
}
