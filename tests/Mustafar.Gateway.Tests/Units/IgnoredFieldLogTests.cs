using System.Text.Json;
using Microsoft.Extensions.Logging.Testing;
using Mustafar.Gateway.Api;

namespace Mustafar.Gateway.Tests.Units;

public sealed class IgnoredFieldLogTests
{
    private static Dictionary<string, JsonElement> Fields(params string[] names) =>
        names.ToDictionary(n => n, _ => JsonDocument.Parse("1").RootElement);

    [Fact]
    public void Each_ignored_field_name_is_logged_once()
    {
        var logger = new FakeLogger<IgnoredFieldLog>();
        var log = new IgnoredFieldLog(logger);
        log.Note("chat", Fields("store", "metadata"));
        log.Note("chat", Fields("store", "service_tier"));
        log.Note("chat", null);
        var lines = logger.Collector.GetSnapshot().Select(r => r.Message).ToArray();
        Assert.Equal(3, lines.Length);
        Assert.Single(lines, l => l.Contains("\"store\"", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("\"service_tier\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Client_chosen_names_cannot_grow_the_log_or_the_memory_without_bound()
    {
        var logger = new FakeLogger<IgnoredFieldLog>();
        var log = new IgnoredFieldLog(logger);
        for (var i = 0; i < 3 * IgnoredFieldLog.MaxNames; i++) log.Note("chat", Fields($"field{i}\n" + new string('x', 500)));
        var lines = logger.Collector.GetSnapshot().Select(r => r.Message).ToArray();
        Assert.Equal(IgnoredFieldLog.MaxNames + 1, lines.Length);
        Assert.All(lines, l => Assert.True(l.Length < 300 && !l.Contains('\n', StringComparison.Ordinal), l));
    }
}
