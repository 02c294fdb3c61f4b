namespace Mustafar.Models.Tokenization;

/// <summary>CLIP's (and GPT-2's) bytes_to_unicode: every byte gets a printable character, in CLIP's vocabulary
/// order (printable Latin-1 bytes first, the rest mapped to U+0100 and up). "!" is therefore id 0.</summary>
public static class ClipByteLevel
{
    public static IReadOnlyList<char> ByteCharacters { get; } = Build();

    private static char[] Build()
    {
        var bytes = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range(0xA1, 0xAC - 0xA1 + 1))
            .Concat(Enumerable.Range(0xAE, 0xFF - 0xAE + 1)).ToList();
        var chars = bytes.Select(b => (char)b).ToList();
        var extra = 0;
        for (var b = 0; b < 256; b++)
        {
            if (bytes.Contains(b)) continue;
            bytes.Add(b);
            chars.Add((char)(256 + extra++));
        }
        return [.. chars];
    }
}
