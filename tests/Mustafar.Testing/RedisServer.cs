using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Mustafar.Testing;

/// <summary>
/// A real redis-server for one test fixture: a private process on a free loopback port, with persistence off
/// (<c>--save '' --appendonly no</c>). Tests can <see cref="StopAsync"/> it mid-run to simulate an outage and
/// <see cref="StartAsync"/> it again on the same port. Each start waits until Redis answers PING. Only the process
/// this object started is ever stopped, by its own handle.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private Process? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    /// <summary>"127.0.0.1:PORT", a StackExchange.Redis configuration string.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts a server on a free port. Skips the test (with the reason) when redis-server is not installed.</summary>
    public static async Task<RedisServer> StartNewAsync()
    {
        Prerequisites.Require(FindExecutable() is not null, "redis-server is not installed (deploy/scripts/bootstrap.sh installs it)");
        var server = new RedisServer(FreePorts.Next());
        await server.StartAsync().ConfigureAwait(false);
        return server;
    }

    /// <summary>Starts (or restarts) the server on <see cref="Port"/> and waits for PONG.</summary>
    public async Task StartAsync()
    {
        if (IsRunning) return;
        var start = new ProcessStartInfo(FindExecutable() ?? "redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no" })
            start.ArgumentList.Add(argument);
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + StartTimeout;
        while (!await PingAsync().ConfigureAwait(false))
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"redis-server exited with code {_process.ExitCode} while starting on port {Port}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"redis-server on port {Port} did not answer PING within {StartTimeout}");
            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    /// <summary>Kills the server (an outage, not a clean shutdown) and waits until it is gone.</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            _process.Kill();
            using var timeout = new CancellationTokenSource(StartTimeout);
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        _process.Dispose();
        _process = null;
    }

    /// <summary>True when a server on the port answers PING with PONG.</summary>
    public async Task<bool> PingAsync() => await CommandAsync("PING").ConfigureAwait(false) is { } reply && reply.StartsWith("+PONG", StringComparison.Ordinal);

    /// <summary>Makes Redis slow without disconnecting anyone: every client's commands wait for
    /// <paramref name="duration"/> (CLIENT PAUSE), as under a stall of the server.</summary>
    public async Task PauseAsync(TimeSpan duration)
    {
        var reply = await CommandAsync($"CLIENT PAUSE {(long)duration.TotalMilliseconds}").ConfigureAwait(false);
        if (reply?.StartsWith("+OK", StringComparison.Ordinal) != true)
            throw new InvalidOperationException($"CLIENT PAUSE failed: {reply ?? "no reply"}");
    }

    /// <summary>Sends one inline command on a fresh connection and returns the first line of the reply, or null
    /// when nothing answers.</summary>
    private async Task<string?> CommandAsync(string command)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync("127.0.0.1", Port, timeout.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), timeout.Token).ConfigureAwait(false);
            var buffer = new byte[256];
            var read = await stream.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
            return read > 0 ? Encoding.ASCII.GetString(buffer, 0, read) : null;
        }
        catch (Exception error) when (error is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    private static string? FindExecutable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "redis-server"))
            .FirstOrDefault(File.Exists);

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}
