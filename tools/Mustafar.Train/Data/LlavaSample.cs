namespace Mustafar.Train.Data;

/// <summary>One turn of a LLaVA conversation: "human" or "gpt" and its text.</summary>
public sealed record LlavaTurn(string From, string Value);

/// <summary>One record of a LLaVA JSON file (LLaVA-Pretrain-558K, LLaVA-Mix-665K, the synthetic set): an id, an
/// image path relative to the image folder (null for a text-only sample) and the conversation.</summary>
public sealed record LlavaSample(string Id, string? Image, IReadOnlyList<LlavaTurn> Conversations)
{
    public const string Human = "human";
    public const string Gpt = "gpt";

    /// <summary>The paper's diffusion prompt: the first human turn without the image placeholder.</summary>
    public string Question => Conversations.First(t => t.From == Human).Value
        .Replace(Mustafar.Models.Tokenization.LlamaTextTokenizer.ImagePlaceholder, "", StringComparison.Ordinal).Trim();
}
