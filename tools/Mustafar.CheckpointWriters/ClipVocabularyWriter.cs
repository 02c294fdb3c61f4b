using System.Text.Json;

using Mustafar.Models.Tokenization;

namespace Mustafar.CheckpointWriters;

/// <summary>
/// Writes a small, self-made CLIP-style BPE tokenizer folder (vocab.json, merges.txt, tokenizer_config.json,
/// special_tokens_map.json) for tiny test and demo pipelines that must work without the real 49408-token vocabulary:
/// the 256 byte characters, the same with "&lt;/w&gt;", merges that spell out a list of common English words
/// left to right, then &lt;|startoftext|&gt; and &lt;|endoftext|&gt;. Any text still tokenizes (unknown words
/// fall back to byte pieces); the ids are simply not CLIP's.
/// </summary>
public static class ClipVocabularyWriter
{
    private static readonly string[] Words =
    [
        "a", "an", "the", "of", "in", "on", "at", "to", "is", "are", "and", "or", "with", "this", "that", "it", "what",
        "which", "who", "where", "when", "why", "how", "many", "much", "color", "colour", "shown", "image", "picture",
        "photo", "cat", "dog", "man", "woman", "person", "people", "car", "red", "blue", "green", "yellow", "black",
        "white", "left", "right", "top", "bottom", "front", "behind", "next", "there", "do", "does", "you", "see",
        "holding", "sitting", "standing", "table", "street", "sky", "tree", "water", "room", "two", "three", "one",
        "describe", "detail", "animal", "object", "near", "side", "above", "below",
    ];

    /// <summary>Writes the folder with SD 2's special tokens (pad "!" = id 0) and the given context length.</summary>
    public static int Write(string folder, int modelMaxLength = 77)
    {
        Directory.CreateDirectory(folder);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        void AddToken(string token) => vocab.TryAdd(token, vocab.Count);
        foreach (var c in ClipByteLevel.ByteCharacters) AddToken(c.ToString());
        foreach (var c in ClipByteLevel.ByteCharacters) AddToken(c + "</w>");
        var merges = new List<string>();
        foreach (var word in Words)
        {
            var pieces = word.Select(c => c.ToString()).ToList();
            pieces[^1] += "</w>";
            var merged = pieces[0];
            foreach (var next in pieces.Skip(1))
            {
                var line = $"{merged} {next}";
                merged += next;
                if (vocab.ContainsKey(merged)) continue;
                merges.Add(line);
                AddToken(merged);
            }
        }
        AddToken("<|startoftext|>");
        AddToken("<|endoftext|>");

        File.WriteAllText(Path.Combine(folder, "vocab.json"), JsonSerializer.Serialize(vocab));
        File.WriteAllLines(Path.Combine(folder, "merges.txt"), ["#version: 0.2", .. merges]);
        var special = new Dictionary<string, object>
        {
            ["bos_token"] = "<|startoftext|>", ["eos_token"] = "<|endoftext|>", ["unk_token"] = "<|endoftext|>", ["pad_token"] = "!",
        };
        File.WriteAllText(Path.Combine(folder, "special_tokens_map.json"), JsonSerializer.Serialize(special));
        special["model_max_length"] = modelMaxLength;
        special["tokenizer_class"] = "CLIPTokenizer";
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), JsonSerializer.Serialize(special));
        return vocab.Count;
    }
}
