using Mustafar.Models.Tokenization;

namespace Mustafar.CheckpointWriters;

/// <summary>
/// Builds a small but real SentencePiece BPE model in the Llama-2 layout, for tiny test and demo checkpoints: the
/// real 500 KB Llama-2 tokenizer.model cannot be assumed present on a fresh machine, and it may not be committed
/// here, so the model is trained on the spot. Layout as Llama-2: &lt;unk&gt; 0, &lt;s&gt; 1, &lt;/s&gt; 2, byte pieces
/// &lt;0x00&gt;..&lt;0xFF&gt; at 3..258 (byte fallback), then merged pieces in merge order (score = -rank), then single
/// characters; identity normalizer with a dummy prefix and no whitespace collapsing, digits split. BPE merges are
/// learned deterministically from a built-in English corpus, so every build gives the same bytes.
/// </summary>
public static class LlamaTinySentencePiece
{
    /// <summary>The corpus: the Vicuna/LLaVA system lines and turns, and the kind of answer a VQA model gives.</summary>
    private const string Corpus =
        "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, " +
        "and polite answers to the user's questions. A chat between a curious human and an artificial intelligence " +
        "assistant. The assistant gives helpful, detailed, and polite answers to the human's questions. USER: ASSISTANT: " +
        "What is shown in this image? What is in the picture? Describe the image in detail. How many people are there? " +
        "What color is the car? Where is the cat? Is there a dog in the image? What is the man doing? What is on the table? " +
        "The image shows a cat sitting on a wooden table next to a window. There are two people standing in the street. " +
        "The car is red and it is parked in front of a house. A dog is lying on the grass in the park. The man is riding a " +
        "bicycle on the road. There is a cup of coffee and a book on the table. The sky is blue and the sun is shining. " +
        "Yes, there is a small white dog on the left side of the picture. No, the picture does not show any animals. " +
        "It is a photo of a city with tall buildings, trees and people walking on the sidewalk at night.";

    private const char SpaceMark = '\u2581';

    /// <summary>Trains merges until the vocabulary reaches <paramref name="vocabSize"/> pieces (or the corpus runs out
    /// of pairs seen twice) and returns the model.</summary>
    /// <param name="extraCorpus">More text to learn merges from, after the built-in corpus: a model's own training
    /// text (the demo model's synthetic questions and answers), so that its words become whole pieces.</param>
    public static LlamaSentencePieceModel Build(int vocabSize = 512, string extraCorpus = "")
    {
        var pieces = new List<SentencePiece>
        {
            new("<unk>", 0, SentencePieceType.Unknown),
            new("<s>", 0, SentencePieceType.Control),
            new("</s>", 0, SentencePieceType.Control),
        };
        for (var b = 0; b < 256; b++) pieces.Add(new SentencePiece($"<0x{b:X2}>", 0, SentencePieceType.Byte));

        // Every printable ASCII character is a piece, so plain English never needs byte fallback; digits stay single.
        var characters = Enumerable.Range(32, 95).Select(c => c == ' ' ? SpaceMark : (char)c).Distinct().Order().ToList();
        var budget = vocabSize - pieces.Count - characters.Count;
        if (budget < 0) throw new ArgumentOutOfRangeException(nameof(vocabSize), $"at least {pieces.Count + characters.Count} pieces are needed");

        var merges = LearnMerges(budget, Corpus + " " + extraCorpus);
        var rank = 0;
        foreach (var merge in merges) pieces.Add(new SentencePiece(merge, -rank++, SentencePieceType.Normal));
        foreach (var c in characters) pieces.Add(new SentencePiece(c.ToString(), -rank++, SentencePieceType.Normal));

        return new LlamaSentencePieceModel
        {
            Pieces = pieces,
            ModelType = LlamaSentencePieceModel.ModelTypeBpe,
            ByteFallback = true,
            SplitDigits = true,
            UnkId = 0,
            BosId = 1,
            EosId = 2,
            PadId = -1,
            NormalizerName = "identity",
            AddDummyPrefix = true,
            RemoveExtraWhitespaces = false,
            EscapeWhitespaces = true,
        };
    }

    /// <summary>Classic BPE over the corpus's words ("▁word"): repeatedly merge the most frequent adjacent pair (ties
    /// broken by ordinal order), never across digits, keeping merges seen at least twice.</summary>
    private static List<string> LearnMerges(int budget, string corpus)
    {
        var words = corpus.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .GroupBy(w => SpaceMark + w)
            .Select(g => (Symbols: g.Key.Select(c => c.ToString()).ToList(), Count: g.Count()))
            .ToList();
        var merges = new List<string>();
        while (merges.Count < budget)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var (symbols, count) in words)
                for (var i = 0; i + 1 < symbols.Count; i++)
                    if (!symbols[i].Any(char.IsDigit) && !symbols[i + 1].Any(char.IsDigit))
                        pairs[(symbols[i], symbols[i + 1])] = pairs.GetValueOrDefault((symbols[i], symbols[i + 1])) + count;
            if (pairs.Count == 0) break;
            var best = pairs.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1 + p.Key.Item2, StringComparer.Ordinal).First();
            if (best.Value < 2) break;
            var (left, right) = best.Key;
            merges.Add(left + right);
            foreach (var (symbols, _) in words)
                for (var i = 0; i + 1 < symbols.Count; i++)
                    if (symbols[i] == left && symbols[i + 1] == right)
                    {
                        symbols[i] = left + right;
                        symbols.RemoveAt(i + 1);
                    }
        }
        return merges;
    }
}
