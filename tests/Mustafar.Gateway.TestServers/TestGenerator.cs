using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Gateway.TestServers;

/// <summary>
/// A test generator: checks the features it gets against its expected features (names, shapes, dtype) and
/// streams an answer of words chosen by a hash of the exact feature bytes, the conversation and the sampling
/// settings, so an answer equals another exactly when they were produced from the same inputs. Counts calls;
/// <see cref="Gate"/> holds calls before the first token, and <see cref="CancelledCalls"/> counts calls whose
/// caller cancelled them.
/// </summary>
public sealed class TestGenerator : Generator.GeneratorBase
{
    private static readonly string[] Vocabulary =
        ["a", "cat", "sits", "on", "the", "red", "mat", "near", "two", "dogs", "under", "blue", "sky", "with", "green", "trees"];
    private int _calls;
    private int _cancelled;

    public string ModelId { get; set; } = "test-llava";
    public FusionMode FusionMode { get; set; } = FusionMode.ConcatTokens;
    public DType ComputeDType { get; set; } = DType.Float32;
    public int GenerateCalls => Volatile.Read(ref _calls);
    public int CancelledCalls => Volatile.Read(ref _cancelled);
    public CallGate Gate { get; } = new();

    /// <summary>When set, the stream fails with UNAVAILABLE after this many deltas (0: before any output).</summary>
    public int? FailAfterDeltas { get; set; }

    public static FeatureSpec ClipSpec => new()
    {
        Name = "clip", Source = FeatureSource.Clip, Tokens = TestClipEncoder.Grid * TestClipEncoder.Grid, Channels = TestClipEncoder.Hidden,
        GridHeight = TestClipEncoder.Grid, GridWidth = TestClipEncoder.Grid, ClipSelectLayer = -2, ClipKeepCls = false,
    };

    public static FeatureSpec DiffusionSpec => new()
    {
        Name = "diffusion", Source = FeatureSource.Diffusion, Tokens = TestDiffusionEncoder.Grid * TestDiffusionEncoder.Grid,
        Channels = TestDiffusionEncoder.Channels, GridHeight = TestDiffusionEncoder.Grid, GridWidth = TestDiffusionEncoder.Grid,
        DiffusionTap = TestDiffusionEncoder.DefaultTap,
    };

    private IEnumerable<FeatureSpec> Expected => FusionMode == FusionMode.ClipOnly ? [ClipSpec] : [ClipSpec, DiffusionSpec];

    public override Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context)
    {
        var info = new ModelInfo
        {
            ModelId = ModelId,
            FusionMode = FusionMode,
            ImageTokens = Expected.Sum(s => s.Tokens),
            ContextLength = 2048,
            VocabSize = Vocabulary.Length,
            MaxNewTokensLimit = 64,
            ConversationTemplate = "vicuna_v1",
            ComputeDtype = ComputeDType,
            Device = "cpu",
            MaxBatchSize = 4,
            DefaultSampling = new SamplingParams { MaxNewTokens = 8, Temperature = 0 },
        };
        info.SupportedFusionModes.Add(FusionMode);
        info.ExpectedFeatures.AddRange(Expected);
        return Task.FromResult(info);
    }

    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context)
    {
        Interlocked.Increment(ref _calls);
        try
        {
            await Gate.PassAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancelled);
            throw;
        }
        if (request.FusionMode != FusionMode.Unspecified && request.FusionMode != FusionMode)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"fusion_mode: this model runs {FusionMode}"));
        var imageTokens = CheckFeatures(request);
        var answerLength = request.Sampling is { HasMaxNewTokens: true } sampling ? Math.Min(sampling.MaxNewTokens, 64) : 8;

        var hash = SHA256.HashData(Fingerprint(request));
        var completion = 0;
        for (var i = 0; i < answerLength; i++)
        {
            if (FailAfterDeltas == i) throw new RpcException(new Status(StatusCode.Unavailable, "test generator: failing as configured"));
            var word = Vocabulary[hash[i % hash.Length] % Vocabulary.Length];
            completion++;
            await responseStream.WriteAsync(new GenerateResponse
            {
                Delta = new TextDelta { Text = (i == 0 ? "" : " ") + word, CompletionTokens = completion },
            }, context.CancellationToken).ConfigureAwait(false);
        }
        var promptTokens = imageTokens + request.Messages.Sum(m => m.Content.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        await responseStream.WriteAsync(new GenerateResponse
        {
            Done = new GenerationResult
            {
                FinishReason = request.Sampling is { HasMaxNewTokens: true } ? FinishReason.Length : FinishReason.Eos,
                PromptTokens = promptTokens,
                CompletionTokens = completion,
                ImageTokens = imageTokens,
            },
        }, context.CancellationToken).ConfigureAwait(false);
    }

    private int CheckFeatures(GenerateRequest request)
    {
        var tokens = 0;
        foreach (var spec in Expected)
        {
            var named = request.Features.FirstOrDefault(f => f.Name == spec.Name)
                ?? throw new RpcException(new Status(StatusCode.InvalidArgument, $"features: '{spec.Name}' is missing"));
            try
            {
                var view = TensorView.Open(named.Tensor, $"features[{spec.Name}].tensor");
                TensorValidator.ExpectShape(view, $"features[{spec.Name}].tensor", spec.Tokens, spec.Channels);
                if (view.DType != ComputeDType)
                    throw new InvalidInputException($"features[{spec.Name}].tensor.dtype", $"is {DTypes.Name(view.DType)}, the model computes in {DTypes.Name(ComputeDType)}");
            }
            catch (InvalidInputException error)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, error.Message));
            }
            tokens += spec.Tokens;
        }
        return tokens;
    }

    /// <summary>Everything the answer depends on, in a fixed order.</summary>
    private static byte[] Fingerprint(GenerateRequest request)
    {
        using var buffer = new MemoryStream();
        foreach (var feature in request.Features.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            buffer.Write(Encoding.UTF8.GetBytes(feature.Name));
            buffer.Write(feature.Tensor.Data.Span);
        }
        foreach (var message in request.Messages) buffer.Write(Encoding.UTF8.GetBytes($"{message.Role}:{message.Content}\n"));
        if (request.Sampling is not null) buffer.Write(request.Sampling.ToByteArray());
        return buffer.ToArray();
    }
}
