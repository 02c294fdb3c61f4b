using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Mustafar.Train.Running;

/// <summary>One record per optimizer step in OUTPUT/train_log.jsonl (appended, so a resumed run continues the file),
/// and the progress line on stderr: step, loss, learning rate, tokens/s and ETA.</summary>
public sealed class TrainingLog : IDisposable
{
    public const string FileName = "train_log.jsonl";

    private readonly StreamWriter _jsonl;
    private readonly TextWriter _console;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly int _totalSteps;
    private readonly int _firstStep;
    private long _tokens;

    public TrainingLog(string output, int totalSteps, int firstStep, TextWriter console)
    {
        _jsonl = new StreamWriter(Path.Combine(output, FileName), append: true) { AutoFlush = true };
        _console = console;
        _totalSteps = totalSteps;
        _firstStep = firstStep;
    }

    public void Step(int step, int epoch, double loss, double learningRate, double gradNorm, int tokens, int targets)
    {
        _tokens += tokens;
        var elapsed = _clock.Elapsed.TotalSeconds;
        var done = step - _firstStep;
        var tokensPerSecond = elapsed > 0 ? _tokens / elapsed : 0;
        var eta = done > 0 ? TimeSpan.FromSeconds(elapsed / done * (_totalSteps - step)) : TimeSpan.Zero;
        _jsonl.WriteLine(JsonSerializer.Serialize(new
        {
            step,
            epoch,
            loss = Math.Round(loss, 6),
            lr = learningRate,
            grad_norm = Math.Round(gradNorm, 6),
            tokens,
            targets,
            tokens_per_s = Math.Round(tokensPerSecond, 1),
            elapsed_s = Math.Round(elapsed, 2),
        }));
        _console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"step {step}/{_totalSteps} epoch {epoch} loss {loss:0.0000} lr {learningRate:0.000e+0} grad {gradNorm:0.00} {tokensPerSecond:0} tok/s ETA {Duration(eta)}"));
    }

    public void Note(string message)
    {
        _console.WriteLine(message);
        _jsonl.WriteLine(JsonSerializer.Serialize(new { note = message }));
    }

    private static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(int)span.TotalHours}h{span.Minutes:00}m"
        : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m{span.Seconds:00}s"
        : $"{span.Seconds}s";

    public void Dispose() => _jsonl.Dispose();
}
