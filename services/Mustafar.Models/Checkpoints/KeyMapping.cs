namespace Mustafar.Models.Checkpoints;

/// <summary>
/// How a checkpoint's keys map onto one module's state-dict keys. A checkpoint often holds more than the module
/// (a CLIPModel file has text weights; a LLaVA file has the vision tower, the projector and the language model).
/// Keys under <see cref="Prefix"/> belong to the module; keys under <see cref="IgnorePrefixes"/> belong to other
/// parts and are skipped; anything else is unexpected and fails the load.
/// </summary>
public sealed record KeyMapping
{
    /// <summary>The prefix the module's keys carry in the checkpoint, stripped before matching ("vision_model.").</summary>
    public string Prefix { get; init; } = "";

    /// <summary>Checkpoint keys starting with any of these belong to other parts: skipped and counted.</summary>
    public IReadOnlyList<string> IgnorePrefixes { get; init; } = [];

    /// <summary>Checkpoint keys ending with any of these are skipped: non-persistent buffers that older libraries
    /// saved ("embeddings.position_ids", "rotary_emb.inv_freq"), as transformers drops them on load.</summary>
    public IReadOnlyList<string> IgnoreSuffixes { get; init; } = [];

    /// <summary>Renames a key after the prefix is stripped (legacy aliases, layout differences); identity when null.</summary>
    public Func<string, string>? Rename { get; init; }

    /// <summary>Module keys allowed to be absent from the checkpoint (for example a tied lm_head).</summary>
    public IReadOnlyList<string> OptionalModuleKeys { get; init; } = [];

    /// <summary>Skip (and count) every key outside <see cref="Prefix"/> instead of failing on it: for a module that
    /// is one part of a checkpoint whose other parts another loader reads strictly (the CLIP tower inside a LLaVA
    /// checkpoint, whose language model, projector and fusion modules belong to the generator).</summary>
    public bool IgnoreOutsidePrefix { get; init; }

    /// <summary>Identity mapping: the checkpoint holds exactly this module.</summary>
    public static KeyMapping Exact { get; } = new();

    internal string? ToModuleKey(string checkpointKey, out string? ignoredBecause)
    {
        ignoredBecause = IgnorePrefixes.FirstOrDefault(p => checkpointKey.StartsWith(p, StringComparison.Ordinal))
            ?? IgnoreSuffixes.FirstOrDefault(s => checkpointKey.EndsWith(s, StringComparison.Ordinal));
        if (ignoredBecause is not null) return null;
        if (!checkpointKey.StartsWith(Prefix, StringComparison.Ordinal))
        {
            if (IgnoreOutsidePrefix) ignoredBecause = $"(outside '{Prefix}')";
            return null;
        }
        var stripped = checkpointKey[Prefix.Length..];
        return Rename is null ? stripped : Rename(stripped);
    }
}
