namespace Mustafar.Models.Tokenization;

/// <summary>A token transformers splits out of the text before tokenizing it (every special token and every
/// entry of <c>added_tokens_decoder</c>), with its whitespace-eating flags.</summary>
public sealed record ClipAddedToken(string Content, int Id, bool LeftStrip = false, bool RightStrip = false);

/// <summary>One piece of the text: an added token, or plain text for the BPE model.</summary>
internal readonly record struct ClipTextPiece(string Text, ClipAddedToken? Token);

/// <summary>
/// Splits text around added tokens as transformers' slow tokenizers do (its trie): scanning left to right, the
/// earliest match wins and, among matches starting there, the longest. This is why SD 2's tokenizer, whose pad
/// token "!" is a special token, turns every "!" in a prompt into id 0 instead of BPE-merging it.
/// </summary>
internal sealed class ClipAddedTokens
{
    private readonly ClipAddedToken[] _byLength;

    public ClipAddedTokens(IEnumerable<ClipAddedToken> tokens)
    {
        _byLength = tokens.Where(t => t.Content.Length > 0)
            .DistinctBy(t => t.Content, StringComparer.Ordinal)
            .OrderByDescending(t => t.Content.Length)
            .ToArray();
    }

    public IReadOnlyList<ClipAddedToken> Tokens => _byLength;

    public List<ClipTextPiece> Split(string text)
    {
        var pieces = new List<ClipTextPiece>();
        var start = 0;
        for (var i = 0; i < text.Length;)
        {
            var match = Array.Find(_byLength, t => i + t.Content.Length <= text.Length
                                                   && string.CompareOrdinal(text, i, t.Content, 0, t.Content.Length) == 0);
            if (match is null)
            {
                i++;
                continue;
            }
            if (i > start) pieces.Add(new ClipTextPiece(text[start..i], null));
            pieces.Add(new ClipTextPiece(match.Content, match));
            i += match.Content.Length;
            start = i;
        }
        if (start < text.Length) pieces.Add(new ClipTextPiece(text[start..], null));
        return StripAroundTokens(pieces);
    }

    // An added token with rstrip eats the whitespace after it, one with lstrip the whitespace before it.
    private static List<ClipTextPiece> StripAroundTokens(List<ClipTextPiece> pieces)
    {
        for (var i = 0; i < pieces.Count; i++)
        {
            if (pieces[i].Token is not { } token) continue;
            if (token.RightStrip && i + 1 < pieces.Count && pieces[i + 1].Token is null)
                pieces[i + 1] = new ClipTextPiece(pieces[i + 1].Text.TrimStart(), null);
            if (token.LeftStrip && i > 0 && pieces[i - 1].Token is null)
                pieces[i - 1] = new ClipTextPiece(pieces[i - 1].Text.TrimEnd(), null);
        }
        return pieces.Where(p => p.Token is not null || p.Text.Length > 0).ToList();
    }
}
