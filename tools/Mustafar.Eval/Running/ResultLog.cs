using System.Text;
using System.Text.Json;

namespace Mustafar.Eval.Running;

/// <summary>The --out JSONL file: each answer is appended and flushed as it arrives, so an interrupted run loses at
/// most the questions in flight; a new run reads the answers back and asks only the rest. A torn last line (the
/// process was killed mid-write) is ignored and its item asked again.</summary>
public sealed class ResultLog : IDisposable
{
    private readonly FileStream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Dictionary<(string Variant, string Id), string> _answers = [];

    private ResultLog(FileStream stream) => _stream = stream;

    /// <summary>Opens (or creates) the file and reads the answers already in it.</summary>
    public static ResultLog Open(string path)
    {
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        var log = new ResultLog(stream);
        using (var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true))
            while (reader.ReadLine() is { } line)
                if (TryParse(line) is { } answer) log._answers[(answer.Variant, answer.Id)] = answer.Answer;
        log.EndWithNewline();
        return log;
    }

    public int Count => _answers.Count;

    /// <summary>The answer already given to item <paramref name="id"/> under <paramref name="variant"/>, if any.</summary>
    public string? AnswerOf(string variant, string id) => _answers.GetValueOrDefault((variant, id));

    public async Task AppendAsync(LoggedAnswer answer, CancellationToken cancellationToken)
    {
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(answer) + "\n");
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await _stream.WriteAsync(line, cancellationToken);
            await _stream.FlushAsync(cancellationToken);
            _answers[(answer.Variant, answer.Id)] = answer.Answer;
        }
        finally { _writeLock.Release(); }
    }

    public void Dispose()
    {
        _stream.Dispose();
        _writeLock.Dispose();
    }

    private static LoggedAnswer? TryParse(string line)
    {
        if (string.IsNullOrWhiteSpace(line)) return null;
        try { return JsonSerializer.Deserialize<LoggedAnswer>(line) is { Id: not null, Variant: not null, Answer: not null } answer ? answer : null; }
        catch (JsonException) { return null; }
    }

    /// <summary>Appends after a torn last line would glue the next answer to it; start on a fresh line instead.</summary>
    private void EndWithNewline()
    {
        _stream.Seek(0, SeekOrigin.End);
        if (_stream.Length == 0) return;
        _stream.Seek(-1, SeekOrigin.End);
        var last = _stream.ReadByte();
        if (last != '\n') _stream.WriteByte((byte)'\n');
        _stream.Seek(0, SeekOrigin.End);
    }
}
