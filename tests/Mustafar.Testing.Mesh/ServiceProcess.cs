using System.Collections.Concurrent;
using System.Diagnostics;

namespace Mustafar.Testing.Mesh;

/// <summary>
/// One mesh process (a model service or the gateway) started as `dotnet app.dll` with environment configuration.
/// Its output is kept (the last lines, for failure messages) and it can be stopped gracefully (SIGTERM, the
/// services drain), killed (SIGKILL, a crash) and started again on the same ports.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly string _assembly;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    public string Name { get; }

    /// <summary>The HTTP/1 base address that serves /readyz, /healthz and /metrics.</summary>
    public Uri HttpAddress { get; }

    public ServiceProcess(string name, string assembly, Uri httpAddress, IReadOnlyDictionary<string, string> environment)
    {
        Name = name;
        _assembly = assembly;
        HttpAddress = httpAddress;
        _environment = environment;
    }

    public bool IsRunning => _process is { HasExited: false };

    public int? ProcessId => _process?.Id;

    public void Start()
    {
        if (IsRunning) throw new InvalidOperationException($"{Name} is already running");
        var start = new ProcessStartInfo("dotnet", [_assembly])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in _environment) start.Environment[key] = value;
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        _output.Enqueue(line);
        while (_output.Count > 200) _output.TryDequeue(out _);
    }

    /// <summary>The last lines the process printed, for failure messages.</summary>
    public string RecentOutput => $"---- {Name} (last lines)\n{string.Join('\n', _output)}";

    /// <summary>Waits until /readyz answers 200; fails with the process's output if it exits or the time runs out.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process is { HasExited: true })
            {
                // The exit can be seen before the last lines (an unhandled exception's message) are read.
                await _process.WaitForExitAsync();
                throw new ServiceExitedException(Name, _process.ExitCode, RecentOutput);
            }
            try
            {
                using var response = await http.GetAsync(new Uri(HttpAddress, "/readyz"));
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{Name} was not ready within {timeout}\n{RecentOutput}");
    }

    /// <summary>SIGKILL: the process dies at once, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM: the services stop accepting, drain in-flight work, then exit.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process is null || _process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }
}
