using System.Text.Json.Nodes;

namespace Mustafar.IntegrationTests.Mesh;

/// <summary>The load tool run as its users run it: `dotnet Mustafar.Load.dll ...` in its own process.</summary>
public static class LoadToolProcess
{
    public sealed record Result(int ExitCode, string Output, JsonNode? Report);

    /// <summary>Runs the tool with <paramref name="arguments"/> plus --json to a temporary file, bounded by
    /// <paramref name="limit"/> (the process is killed past it), and returns its exit code, output and JSON report.</summary>
    public static async Task<Result> RunAsync(IEnumerable<string> arguments, TimeSpan limit)
    {
        var json = Path.Combine(Path.GetTempPath(), $"mustafar-load-{Guid.NewGuid():N}.json");
        try
        {
            var run = await ToolProcess.RunAsync(ToolBinaries.LoadTool, arguments.Concat(["--json", json]), limit);
            var report = File.Exists(json) ? JsonNode.Parse(await File.ReadAllTextAsync(json)) : null;
            return new Result(run.ExitCode, run.Output, report);
        }
        finally
        {
            File.Delete(json);
        }
    }
}
