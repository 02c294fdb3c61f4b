using Mustafar.Models.Checkpoints;
using Mustafar.Models.Fusion;
using Mustafar.Models.Tokenization;
using Mustafar.Tensors;

namespace Mustafar.Models.Generation;

/// <summary>
/// A loaded generator: the language model with its fusion module, the tokenizer, the conversation template and
/// the sampling defaults. <see cref="Prepare"/> validates and tokenizes a request (any thread; it runs no forward);
/// a <see cref="GenerationEngine"/> on the inference thread decodes prepared requests in batches.
/// </summary>
public sealed class GeneratorModel : IDisposable
{
    public LlavaForConditionalGeneration Model { get; }

    /// <summary>The module tree, for the kernel self-check.</summary>
    public IReadOnlyList<TorchSharp.torch.nn.Module> Modules => [Model];
    public LlamaTextTokenizer Tokenizer { get; }
    public ConversationTemplate Template { get; }
    public GeneratorOptions Options { get; }
    public GeneratorModelInfo Info { get; }
    public LoadReport LoadReport { get; }
    /// <summary>Token ids that end generation (generation_config.json, else config.json).</summary>
    public IReadOnlyList<int> EosIds { get; }
    public ImagePromptTokenization ImageTokenization { get; }

    public GeneratorCheckpointConfig Config => Model.Config;
    public FusionConfig? Fusion => Model.Config.Fusion;

    private GeneratorModel(LlavaForConditionalGeneration model, LoadReport report, LlamaTextTokenizer tokenizer, GeneratorOptions options,
        SamplingParameters defaults, IReadOnlyList<int> eosIds, string modelId)
    {
        Model = model;
        LoadReport = report;
        Tokenizer = tokenizer;
        Options = options;
        Template = ConversationTemplate.Get(options.ConversationTemplate);
        EosIds = eosIds;
        ImageTokenization = options.ImageTokenization ?? model.Config.ImageTokenization;
        var text = model.Config.Text;
        Info = new GeneratorModelInfo
        {
            ModelId = modelId,
            FusionMode = Fusion?.Mode,
            ExpectedFeatures = Fusion?.ExpectedFeatures ?? [],
            ImageTokens = Fusion?.ImageTokens ?? 0,
            ContextLength = text.MaxPositionEmbeddings,
            VocabSize = text.VocabSize,
            MaxNewTokensLimit = Math.Min(options.MaxNewTokensLimit, text.MaxPositionEmbeddings),
            ConversationTemplate = Template.Name,
            ComputeDType = options.DType,
            Device = options.Device.ToString(),
            MaxBatchSize = options.MaxBatchSize,
            DefaultSampling = defaults,
            Layout = model.Config.Layout,
        };
    }

    /// <summary>Loads a checkpoint folder (config.json, safetensors, tokenizer.model, optional generation_config.json).</summary>
    public static GeneratorModel Load(string folder, GeneratorOptions? options = null)
    {
        options ??= new GeneratorOptions();
        if (options.MaxBatchSize < 1) throw new ArgumentException("MaxBatchSize must be at least 1", nameof(options));
        var tokenizer = LlamaTextTokenizer.Load(options.TokenizerPath ?? folder);
        var (model, report) = GeneratorWeights.Load(folder, options.Device, options.DType);
        try
        {
            var text = model.Config.Text;
            if (tokenizer.VocabSize > text.VocabSize)
                throw new InvalidDataException($"{folder}: the tokenizer has {tokenizer.VocabSize} ids but the model only {text.VocabSize} embeddings");
            var (defaults, generationEos) = GenerationDefaults.Load(folder, options.DefaultMaxNewTokens);
            var limit = Math.Min(options.MaxNewTokensLimit, text.MaxPositionEmbeddings);
            defaults = defaults with { MaxNewTokens = Math.Min(defaults.MaxNewTokens, limit) };
            defaults.Validate(text.VocabSize, limit);
            var modelId = options.ModelId ?? (model.Config.NameOrPath is { Length: > 0 } name ? name : Path.GetFileName(Path.GetFullPath(folder).TrimEnd('/')));
            return new GeneratorModel(model, report, tokenizer, options, defaults, generationEos ?? text.EosTokenIds, modelId);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Validates a request and tokenizes its prompt. Bad input is an <see cref="InvalidInputException"/> naming
    /// the field (messages[i].role, features["diffusion"], sampling.top_p, fusion_mode, ...).</summary>
    public PreparedGeneration Prepare(GenerationRequest request)
    {
        var hasImage = request.Features.Count > 0;
        if (request.FusionMode is { } mode && mode != Fusion?.Mode)
            throw new InvalidInputException("fusion_mode",
                Fusion is null ? "this model is text-only and has no fusion module" : $"{mode.ConfigName()} is not this model's mode ({Fusion.Mode.ConfigName()})");
        if (hasImage)
        {
            if (Fusion is null) throw new InvalidInputException("features", "this model is text-only; send no features");
            VisualFeatureValidator.Validate(request.Features, Fusion);
        }

        var parts = Template.Build(request.Messages, hasImage, Tokenizer.EosId);
        var ids = Tokenizer.Encode(parts, ImageTokenization, Config.ImageTokenId);
        var imageTokens = hasImage ? Fusion!.ImageTokens : 0;
        var promptTokens = ids.Count - (hasImage ? 1 : 0) + imageTokens;
        if (promptTokens >= Info.ContextLength)
            throw new InputTooLargeException("messages", $"the prompt is {promptTokens} tokens ({imageTokens} visual); the context window is {Info.ContextLength}");
        return new PreparedGeneration
        {
            Request = request,
            PromptIds = ids,
            Sampling = SamplingParameters.Resolve(request.Sampling, Info.DefaultSampling, Info.VocabSize, Info.MaxNewTokensLimit),
            PromptTokens = promptTokens,
            ImageTokens = imageTokens,
        };
    }

    /// <summary>Generates one request to the end on the calling thread, reporting deltas as they are decoded.
    /// The service batches through <see cref="GenerationEngine"/> instead; this is the same path with one sequence.</summary>
    public (string Text, GenerationOutcome Result) Generate(GenerationRequest request, Action<string>? onDelta = null)
    {
        var prepared = Prepare(request);
        using var engine = new GenerationEngine(this);
        var text = new System.Text.StringBuilder();
        var events = engine.Admit([prepared]);
        while (true)
        {
            foreach (var e in events)
            {
                if (e.Delta.Length > 0)
                {
                    text.Append(e.Delta);
                    onDelta?.Invoke(e.Delta);
                }
                if (e.Result is { } result) return (text.ToString(), result);
            }
            events = engine.Step();
        }
    }

    public void Dispose() => Model.Dispose();
}
