using Mustafar.Models.Tokenization;
using TorchSharp;

namespace Mustafar.Models.Generation;

/// <summary>How to load and serve a generator checkpoint. The host binds these from configuration.</summary>
public sealed record GeneratorOptions
{
    /// <summary>Compute dtype the modules are built in (float32, float16 or bfloat16).</summary>
    public torch.ScalarType DType { get; init; } = torch.ScalarType.Float32;
    public torch.Device Device { get; init; } = torch.CPU;
    /// <summary>Largest number of sequences decoded together.</summary>
    public int MaxBatchSize { get; init; } = 8;
    /// <summary>Largest accepted max_new_tokens.</summary>
    public int MaxNewTokensLimit { get; init; } = 2048;
    /// <summary>max_new_tokens when neither the request nor generation_config.json sets it.</summary>
    public int DefaultMaxNewTokens { get; init; } = 512;
    /// <summary>Conversation template: vicuna_v1 (LLaVA-1.5 training and evaluation) or llava_v1.</summary>
    public string ConversationTemplate { get; init; } = "vicuna_v1";
    /// <summary>How image prompts are tokenized; null: the layout's own (llava-hf: added token, original: LLaVA's chunks).</summary>
    public ImagePromptTokenization? ImageTokenization { get; init; }
    /// <summary>Folder with tokenizer.model (+ tokenizer_config.json); null: the checkpoint folder.</summary>
    public string? TokenizerPath { get; init; }
    /// <summary>Identifier reported in ModelInfo; null: the config's _name_or_path, else the folder name.</summary>
    public string? ModelId { get; init; }
}
