using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Mustafar.Models.Tokenization;

/// <summary>
/// CLIP's word splitting, the regex
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// (IGNORECASE), evaluated by code point as Python's regex module does: a .NET Regex would test UTF-16 units
/// and misclassify letters and digits outside the BMP.
/// </summary>
internal sealed class ClipPreTokenizer : PreTokenizer
{
    private static readonly string[] Literals = ["<|startoftext|>", "<|endoftext|>", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

    public static ClipPreTokenizer Instance { get; } = new();

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => Split(text);

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Split(text.ToString());

    public static List<(int Offset, int Length)> Split(string text)
    {
        var words = new List<(int, int)>();
        var i = 0;
        while (i < text.Length)
        {
            var literal = Literals.FirstOrDefault(l => i + l.Length <= text.Length
                                                       && string.Compare(text, i, l, 0, l.Length, StringComparison.OrdinalIgnoreCase) == 0);
            if (literal is not null)
            {
                words.Add((i, literal.Length));
                i += literal.Length;
                continue;
            }
            var kind = KindAt(text, i, out var width);
            switch (kind)
            {
                case CharKind.Space:
                    i += width;
                    break;
                case CharKind.Number:
                    words.Add((i, width));
                    i += width;
                    break;
                default:
                    var start = i;
                    while (i < text.Length && KindAt(text, i, out var w) == kind) i += w;
                    words.Add((start, i - start));
                    break;
            }
        }
        return words;
    }

    private enum CharKind { Space, Letter, Number, Other }

    private static CharKind KindAt(string text, int index, out int width)
    {
        if (Rune.DecodeFromUtf16(text.AsSpan(index), out var rune, out width) != System.Buffers.OperationStatus.Done)
            return CharKind.Other;
        if (Rune.IsWhiteSpace(rune)) return CharKind.Space;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharKind.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharKind.Number,
            _ => CharKind.Other,
        };
    }
}
