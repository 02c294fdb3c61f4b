using System.Diagnostics;
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
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(HostBinaries.LoadTool);
        foreach (var argument in arguments.Concat(["--json", json])) start.ArgumentList.Add(argument);
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the load tool ran past {limit}:\n{await stdout}{await stderr}");
        }
        try
        {
            var report = File.Exists(json) ? JsonNode.Parse(await File.ReadAllTextAsync(json)) : null;
            return new Result(process.ExitCode, await stdout + await stderr, report);
        }
        finally
        {
            File.Delete(json);
        }
    }
}
