namespace Mustafar.Deploy.Tests.Support;

/// <summary>The health-check command the images run: <c>dotnet &lt;probe dll&gt; &lt;url&gt;</c> in exec form (no
/// shell needed), checked for the path, port and loopback host it probes.</summary>
internal static class HealthCheckCommand
{
    public const string ProbeAssembly = "Mustafar.HealthProbe.dll";

    /// <summary>Problems with a probe command: it must GET <paramref name="path"/> on loopback port <paramref name="port"/>.</summary>
    public static IEnumerable<string> Problems(string where, IReadOnlyList<string> command, int port, string path)
    {
        if (command.Count < 3 || command[0] != "dotnet" || !command[1].EndsWith("/" + ProbeAssembly, StringComparison.Ordinal))
        {
            yield return $"{where}: the health check is not 'dotnet <dir>/{ProbeAssembly} URL' in exec form: [{string.Join(", ", command)}]";
            yield break;
        }
        if (!Uri.TryCreate(command[2], UriKind.Absolute, out var url))
        {
            yield return $"{where}: the health check probes '{command[2]}', which is not a URL";
            yield break;
        }
        if (url.Scheme != Uri.UriSchemeHttp || !url.IsLoopback)
            yield return $"{where}: the health check must probe http on loopback, not {url}";
        if (url.Port != port) yield return $"{where}: the health check probes port {url.Port}; the HTTP/1.1 port is {port}";
        if (url.AbsolutePath != path) yield return $"{where}: the health check probes {url.AbsolutePath}, not {path}";
    }
}
