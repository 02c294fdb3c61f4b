using System.Collections.Concurrent;
using System.Text.Json;

namespace Mustafar.Gateway.Api;

/// <summary>
/// Request fields the gateway neither implements nor refuses are ignored, as OpenAI ignores fields it does not
/// know; each name is logged once per process, so an operator sees what clients send that has no effect. The names
/// come from clients, so at most <see cref="MaxNames"/> are remembered (each cut to <see cref="MaxNameLength"/>
/// printable characters); past that, one line says the rest go unlogged.
/// </summary>
public sealed partial class IgnoredFieldLog(ILogger<IgnoredFieldLog> logger)
{
    public const int MaxNames = 256;
    public const int MaxNameLength = 64;

    private readonly ConcurrentDictionary<string, byte> _logged = new(StringComparer.Ordinal);
    private int _full;

    public void Note(string api, IReadOnlyDictionary<string, JsonElement>? fields)
    {
        if (fields is null) return;
        foreach (var name in fields.Keys)
        {
            var shown = Printable(name);
            if (_logged.ContainsKey(shown)) continue;
            if (_logged.Count >= MaxNames)
            {
                if (Interlocked.Exchange(ref _full, 1) == 0) LogFull(logger, MaxNames);
                return;
            }
            if (_logged.TryAdd(shown, 0)) LogIgnored(logger, api, shown);
        }
    }

    private static string Printable(string name)
    {
        var cut = name.Length > MaxNameLength ? name[..MaxNameLength] + "..." : name;
        return string.Concat(cut.Select(c => char.IsControl(c) ? '?' : c));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Api}: the request field \"{Field}\" is not one this gateway knows; it is ignored, as OpenAI ignores unknown fields (logged once)")]
    private static partial void LogIgnored(ILogger logger, string api, string field);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} distinct ignored request fields logged; further ones are ignored without a log line")]
    private static partial void LogFull(ILogger logger, int count);
}
