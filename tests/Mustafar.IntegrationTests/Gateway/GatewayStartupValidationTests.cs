using Mustafar.IntegrationTests.Mesh;
using Mustafar.ServiceDefaults;
using Mustafar.Testing;

namespace Mustafar.IntegrationTests.Gateway;

/// <summary>
/// The real gateway process refuses a bad configuration before it listens: exit code 2, and every problem named by
/// its configuration key in one start (options, cache options and proxy routes alike), whichever way it was given
/// (the <c>MUSTAFAR__</c> environment, unprefixed environment, the command line).
/// </summary>
public sealed class GatewayStartupValidationTests
{
    [Fact]
    public async Task A_gateway_with_bad_options_exits_with_code_2_naming_every_problem()
    {
        var environment = new Dictionary<string, string>
        {
            ["MUSTAFAR__Gateway__Limits__MaxConcurrentRequests"] = "0",
            ["MUSTAFAR__Gateway__Cache__Ttl"] = "-00:00:01",
            ["Gateway__Cache__MaxValueBytes"] = "0",
            ["Gateway__Cache__LeasePollInterval"] = "00:00:00",
            ["MUSTAFAR__Gateway__Upstream__ConnectTimeout"] = "00:00:00",
            ["MUSTAFAR__ReverseProxy__Clusters__clip__Destinations__clip-0__Address"] = "not an address",
            ["MUSTAFAR__ReverseProxy__Routes__generator__ClusterId"] = "generators",
            // Nothing may listen or connect before the configuration is accepted: these would collide otherwise.
            ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{FreePorts.Next()}",
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{FreePorts.Next()}",
        };
        var run = await ToolProcess.RunAsync(HostBinaries.Gateway, ["--Gateway:Pools:Diffusion="], TimeSpan.FromMinutes(2), environment);

        Assert.True(run.ExitCode == StartupValidation.InvalidConfigurationExitCode, $"exit code {run.ExitCode}\n{run.Output}");
        string[] expected =
        [
            "Gateway:Limits:MaxConcurrentRequests must be at least 1, not 0",
            "Gateway:Cache:Ttl must be a positive duration, not -00:00:01",
            "Gateway:Cache:MaxValueBytes must be positive, not 0",
            "Gateway:Cache:LeasePollInterval must be a positive duration, not 00:00:00",
            "Gateway:Upstream:ConnectTimeout must be a positive duration, not 00:00:00",
            "Gateway:Pools:Diffusion must name a ReverseProxy cluster, not be empty",
            "ReverseProxy:Clusters:clip:Destinations:clip-0:Address must be an absolute http:// or https:// address, not 'not an address'",
            "ReverseProxy:Routes:generator:ClusterId 'generators' names no cluster under ReverseProxy:Clusters",
        ];
        var missing = expected.Where(problem => !run.Stderr.Contains(problem, StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, $"not named:\n{string.Join('\n', missing)}\n---- stderr\n{run.Stderr}");
        Assert.StartsWith("Invalid configuration:", run.Stderr, StringComparison.Ordinal);
        // Each problem once, although every section's validator reports them all.
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(lines.Length, lines.Distinct(StringComparer.Ordinal).Count());
    }
}
