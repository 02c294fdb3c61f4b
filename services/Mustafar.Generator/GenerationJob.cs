using System.Diagnostics;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Models.Fusion;
using Mustafar.Models.Generation;
using Mustafar.Serving;
using Mustafar.Tensors;
using Mustafar.Torch;
using TorchSharp;

namespace Mustafar.Generator;

/// <summary>
/// One validated, tokenized generation request on its way from the caller's thread to the inference thread. Its
/// features stay in the received message's bytes (validated views); the caller's thread makes tensors of them only
/// to validate and disposes them at once, and the inference thread makes its own for the prefill
/// (<see cref="FeatureTensors"/>) and disposes those. So no tensor crosses threads, and nothing the decoder still
/// needs can be freed by a caller that left.
/// </summary>
public sealed class GenerationJob
{
    private readonly IReadOnlyDictionary<string, TensorView> _features;

    private GenerationJob(PreparedGeneration prepared, IReadOnlyDictionary<string, TensorView> features)
    {
        Prepared = prepared;
        _features = features;
    }

    /// <summary>The validated request; its features are the validation tensors, already disposed: the prefill
    /// takes <see cref="FeatureTensors"/> instead.</summary>
    public PreparedGeneration Prepared { get; }

    /// <summary>When the caller submitted it (queue time runs from here to the prefill).</summary>
    public long SubmittedAt { get; } = Stopwatch.GetTimestamp();

    /// <summary>The caller's span (its call's server span) when it prepared the job: the parent of its prefill span.</summary>
    public ActivityContext Trace { get; } = Activity.Current?.Context ?? default;

    /// <summary>Checks every field (each error names it: messages[i].role, features["clip"], sampling.top_p,
    /// fusion_mode, ...) and tokenizes the prompt.</summary>
    public static GenerationJob Prepare(GenerateRequest request, GeneratorModel model, LimitsOptions limits, CancellationToken cancellation)
    {
        var views = new Dictionary<string, TensorView>(StringComparer.Ordinal);
        for (var i = 0; i < request.Features.Count; i++)
        {
            var named = request.Features[i];
            if (string.IsNullOrEmpty(named.Name)) throw new InvalidInputException($"features[{i}].name", "is empty");
            var field = VisualFeatureValidator.Field(named.Name);
            if (views.ContainsKey(named.Name)) throw new InvalidInputException(field, "is sent twice");
            views[named.Name] = TensorView.Open(named.Tensor, field, limits.ToTensorLimits());
        }
        var messages = Messages(request, limits);
        using var scope = torch.NewDisposeScope();
        var prepared = model.Prepare(new GenerationRequest
        {
            Messages = messages,
            Features = views.ToDictionary(kv => kv.Key, kv => TorchTensorBridge.ToTorch(kv.Value), StringComparer.Ordinal),
            Sampling = GeneratorProtoMapping.ToDomain(request.Sampling),
            FusionMode = GeneratorProtoMapping.ToDomain(request.FusionMode),
            RequestId = request.RequestId,
            Cancellation = cancellation,
        });
        return new GenerationJob(prepared, views);
    }

    /// <summary>The request with its features as new tensors, for the prefill on the inference thread (in the
    /// caller's dispose scope there).</summary>
    public PreparedGeneration FeatureTensors() => _features.Count == 0 ? Prepared : Prepared with
    {
        Request = Prepared.Request with { Features = _features.ToDictionary(kv => kv.Key, kv => TorchTensorBridge.ToTorch(kv.Value)) },
    };

    /// <summary>The conversation, refused when longer in all than <see cref="LimitsOptions.MaxPromptChars"/>.</summary>
    private static List<ConversationTurn> Messages(GenerateRequest request, LimitsOptions limits)
    {
        var characters = request.Messages.Sum(m => (long)m.Content.Length);
        if (characters > limits.MaxPromptChars)
            throw new InputTooLargeException("messages", $"the conversation is {characters} characters, more than the limit of {limits.MaxPromptChars}");
        return GeneratorProtoMapping.ToDomain(request.Messages);
    }
}
