using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Mustafar.Testing;

namespace Mustafar.IntegrationTests.Clients;

/// <summary>What a client in another stack printed and returned.</summary>
public sealed record ClientRun(string Command, int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The JSON document the client printed last, failing with everything it said when there is none or
    /// the run failed.</summary>
    public JsonObject Result()
    {
        var line = Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        JsonObject? json = null;
        try
        {
            json = line is null ? null : JsonNode.Parse(line) as JsonObject;
        }
        catch (System.Text.Json.JsonException) { }
        if (ExitCode != 0 || json is null || json["ok"]?.GetValue<bool>() != true)
            throw new InvalidOperationException($"`{Command}` exited with {ExitCode}\n--- stdout\n{Tail(Stdout)}\n--- stderr\n{Tail(Stderr)}");
        return json;
    }

    private static string Tail(string text) => text.Length > 4000 ? "..." + text[^4000..] : text;
}

/// <summary>
/// Runs the clients under <c>tests/clients/</c> as the separate processes they are. Their runtimes (Node.js and
/// its packages, Debian's python3-grpcio and protoc) are installed by <c>deploy/scripts/bootstrap.sh</c>; a missing
/// one FAILS the test with what to install, because a skipped client test would prove nothing.
/// </summary>
public static class ExternalClient
{
    public static string ClientsRoot { get; } = Path.Combine(RepoPaths.Root, "tests", "clients");
    public static string NodeClient { get; } = Path.Combine(ClientsRoot, "node");
    public static string PythonClient { get; } = Path.Combine(ClientsRoot, "python");

    /// <summary>The Debian interpreter: a pyenv or venv python3 earlier on PATH cannot see Debian's python3-grpcio.</summary>
    public const string SystemPython = "/usr/bin/python3";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>Runs <c>node</c> in the Node client's folder, after checking that its packages are installed.</summary>
    public static Task<ClientRun> NodeAsync(params string[] arguments)
    {
        if (!Directory.Exists(Path.Combine(NodeClient, "node_modules", "@grpc", "grpc-js")) || !Directory.Exists(Path.Combine(NodeClient, "node_modules", "openai")))
            throw new InvalidOperationException(
                $"the Node client's packages are not installed in {NodeClient}/node_modules: run deploy/scripts/bootstrap.sh (it runs npm ci there)");
        return RunAsync("node", NodeClient, arguments);
    }

    public static Task<ClientRun> PythonAsync(params string[] arguments)
    {
        if (!File.Exists(SystemPython))
            throw new InvalidOperationException($"{SystemPython} does not exist: install python3 and python3-grpcio (deploy/scripts/bootstrap.sh does on Debian)");
        return RunAsync(SystemPython, PythonClient, arguments);
    }

    private static async Task<ClientRun> RunAsync(string executable, string workingDirectory, string[] arguments)
    {
        var command = $"{executable} {string.Join(' ', arguments.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a))}";
        var start = new ProcessStartInfo(executable, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start");
        }
        catch (Win32Exception error)
        {
            throw new InvalidOperationException(
                $"cannot run {executable} ({error.Message}): install it (deploy/scripts/bootstrap.sh installs Node.js 20 and python3-grpcio on Debian)", error);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(Timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"`{command}` did not finish within {Timeout}\n--- stderr\n{await stderr}");
            }
            return new ClientRun(command, process.ExitCode, await stdout, await stderr);
        }
    }
}
