using System.Diagnostics;
using System.Globalization;

namespace Mustafar.Eval.Running;

/// <summary>"label 120/500 24% 3.1 items/s ETA 2m03s" on stderr. On a terminal the line is redrawn in place; when
/// stderr is a file or a pipe (CI logs) a line is written at every tenth of the run instead of hundreds of redraws.</summary>
public sealed class ProgressLine(TextWriter output, string label, int total, bool redraw)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private int _done;
    private int _lastTenth = -1;

    public static ProgressLine ForConsole(string label, int total) => new(Console.Error, label, total, !Console.IsErrorRedirected);

    public void Advance()
    {
        lock (_lock)
        {
            _done++;
            var tenth = total == 0 ? 10 : _done * 10 / total;
            if (!redraw && tenth == _lastTenth) return;
            _lastTenth = tenth;
            if (redraw) output.Write("\r" + Describe(_done, _clock.Elapsed) + "   ");
            else output.WriteLine(Describe(_done, _clock.Elapsed));
        }
    }

    public void Finish()
    {
        lock (_lock) if (redraw) output.WriteLine();
    }

    /// <summary>The text of the line after <paramref name="done"/> items in <paramref name="elapsed"/>.</summary>
    public string Describe(int done, TimeSpan elapsed)
    {
        var rate = elapsed.TotalSeconds > 0 ? done / elapsed.TotalSeconds : 0;
        var eta = rate > 0 ? Duration(TimeSpan.FromSeconds((total - done) / rate)) : "?";
        var percent = total == 0 ? 100 : done * 100 / total;
        return string.Create(CultureInfo.InvariantCulture, $"{label} {done}/{total} {percent}% {rate:0.0} items/s ETA {eta}");
    }

    private static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(int)span.TotalHours}h{span.Minutes:00}m"
        : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m{span.Seconds:00}s"
        : $"{span.Seconds}s";
}
