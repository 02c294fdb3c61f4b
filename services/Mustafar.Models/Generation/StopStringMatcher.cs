namespace Mustafar.Models.Generation;

/// <summary>
/// Holds back streamed text that might be the start of a stop string, so a stop string is never emitted, even
/// when its characters arrive in different tokens. Text is released as soon as it can no longer begin a stop string.
/// </summary>
internal sealed class StopStringMatcher(IReadOnlyList<string> stops)
{
    private string _pending = "";

    /// <summary>The stop string found, once one is.</summary>
    public string? Matched { get; private set; }

    /// <summary>Adds decoded text; returns the text that is safe to emit. After a match, returns the text before the
    /// stop string and nothing afterwards.</summary>
    public string Push(string text)
    {
        if (Matched is not null) return "";
        if (stops.Count == 0) return text;
        _pending += text;

        // The earliest stop string in the pending text wins. Text before the pending buffer can hold no stop string's
        // start, or it would have been held back.
        var (at, match) = (-1, (string?)null);
        foreach (var stop in stops)
        {
            var index = _pending.IndexOf(stop, StringComparison.Ordinal);
            if (index >= 0 && (at < 0 || index < at || (index == at && stop.Length > match!.Length))) (at, match) = (index, stop);
        }
        if (match is not null)
        {
            Matched = match;
            var before = _pending[..at];
            _pending = "";
            return before;
        }

        var hold = LongestSuffixStartingAStop();
        var ready = _pending[..^hold];
        _pending = _pending[^hold..];
        return ready;
    }

    /// <summary>Releases what is held back when generation ends for another reason.</summary>
    public string Flush()
    {
        var rest = Matched is null ? _pending : "";
        _pending = "";
        return rest;
    }

    private int LongestSuffixStartingAStop()
    {
        var longest = 0;
        foreach (var stop in stops)
            for (var length = Math.Min(stop.Length - 1, _pending.Length); length > longest; length--)
                if (_pending.AsSpan(_pending.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
        return longest;
    }
}
