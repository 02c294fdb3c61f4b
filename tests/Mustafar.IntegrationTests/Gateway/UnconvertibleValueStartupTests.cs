using Mustafar.IntegrationTests.Mesh;
using Mustafar.ServiceDefaults;
using Mustafar.Testing;

namespace Mustafar.IntegrationTests.Gateway;

/// <summary>
/// A value that cannot become its option's type (<c>abc</c> for an integer) is a configuration problem like any
/// other, in every process of the mesh and whichever way it is given (a <c>MUSTAFAR__</c> environment variable, a
/// <c>--Key=value</c> argument, an appsettings file): the real process exits with code 2 and names the key once,
/// instead of crashing on the configuration binder's exception.
/// </summary>
public sealed class UnconvertibleValueStartupTests
{
    public static TheoryData<string, string> Cases
    {
        get
        {
            var cases = new TheoryData<string, string>();
            foreach (var host in new[] { "gateway", "clip-encoder", "diffusion-encoder", "generator" })
            foreach (var source in new[] { "environment", "argument", "appsettings" })
                cases.Add(host, source);
            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_value_that_does_not_convert_exits_with_code_2_naming_its_key_once(string host, string source)
    {
        var gateway = host == "gateway";
        // An integer option every host reads while it is being built or started.
        var key = gateway ? "Gateway:Limits:MaxConcurrentRequests" : "Mustafar:Batching:MaxBatchSize";
        const string value = "abc";
        var dll = host switch
        {
            "gateway" => HostBinaries.Gateway,
            "clip-encoder" => HostBinaries.ClipEncoder,
            "diffusion-encoder" => HostBinaries.DiffusionEncoder,
            _ => HostBinaries.Generator,
        };
        // Nothing may listen before the configuration is accepted; free ports in case something did.
        var environment = gateway
            ? new Dictionary<string, string>
            {
                ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{FreePorts.Next()}",
                ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{FreePorts.Next()}",
            }
            : new Dictionary<string, string> { ["MUSTAFAR__Server__GrpcPort"] = "0", ["MUSTAFAR__Server__HttpPort"] = "0" };
        var arguments = new List<string>();
        string? contentRoot = null;
        switch (source)
        {
            case "environment":
                environment[MustafarEnvironment.ToVariable(key)] = value;
                break;
            case "argument":
                arguments.Add($"--{key}={value}");
                break;
            default:
                // The host's own appsettings.json, and the bad value in the environment's file beside it.
                contentRoot = RepoPaths.NewTempFolder("unconvertible-value");
                File.Copy(Path.Combine(Path.GetDirectoryName(dll)!, "appsettings.json"), Path.Combine(contentRoot, "appsettings.json"));
                var parts = key.Split(':');
                var json = parts.Reverse().Aggregate($"\"{value}\"", (inner, part) => $"{{ \"{part}\": {inner} }}");
                await File.WriteAllTextAsync(Path.Combine(contentRoot, "appsettings.StartupValidation.json"), json);
                environment["ASPNETCORE_ENVIRONMENT"] = "StartupValidation";
                arguments.Add($"--contentRoot={contentRoot}");
                break;
        }

        try
        {
            var run = await ToolProcess.RunAsync(dll, arguments, TimeSpan.FromMinutes(2), environment);

            Assert.True(run.ExitCode == StartupValidation.InvalidConfigurationExitCode, $"exit code {run.ExitCode}\n{run.Output}");
            Assert.StartsWith("Invalid configuration:", run.Stderr, StringComparison.Ordinal);
            var problem = $"{key} must be an integer from -2147483648 to 2147483647, not '{value}'";
            Assert.True(run.Stderr.Contains($"  {problem}\n", StringComparison.Ordinal), $"not named: {problem}\n---- stderr\n{run.Stderr}");
            Assert.True(Occurrences(run.Output, key) == 1, $"{key} is named {Occurrences(run.Output, key)} times\n{run.Output}");
            Assert.DoesNotContain("Unhandled exception", run.Output, StringComparison.Ordinal);
        }
        finally
        {
            if (contentRoot is not null) Directory.Delete(contentRoot, recursive: true);
        }
    }

    private static int Occurrences(string text, string key)
    {
        var count = 0;
        for (var at = text.IndexOf(key, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(key, at + key.Length, StringComparison.OrdinalIgnoreCase))
            count++;
        return count;
    }
}
