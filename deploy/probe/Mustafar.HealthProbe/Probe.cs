using System.Globalization;
using System.Net;

namespace Mustafar.HealthProbe;

/// <summary>
/// One health check as Docker's HEALTHCHECK (and compose's healthcheck) runs it: a GET of an http:// URL over
/// HTTP/1.1, healthy only for a 2xx answer within the timeout. The exit code is what Docker reads; the one line
/// written is what <c>docker inspect</c> shows in the health log.
/// </summary>
internal static class Probe
{
    public const int Healthy = 0;
    public const int Unhealthy = 1;
    public const int Usage = 2;

    /// <summary>Docker kills a health check that outlives its own --timeout; stay well inside the usual 5 s.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (!TryParse(args, out var url, out var timeout, out var problem))
        {
            await error.WriteLineAsync($"{problem}\nusage: Mustafar.HealthProbe URL [TIMEOUT_SECONDS]").ConfigureAwait(false);
            return Usage;
        }
        var (code, message) = await CheckAsync(url, timeout).ConfigureAwait(false);
        await (code == Healthy ? output : error).WriteLineAsync(message).ConfigureAwait(false);
        return code;
    }

    /// <summary>GETs <paramref name="url"/> once; the exit code and a line saying what was seen.</summary>
    public static async Task<(int Code, string Message)> CheckAsync(Uri url, TimeSpan timeout)
    {
        // No proxy: a container's HTTP_PROXY must never route a loopback health check elsewhere.
        using var handler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = timeout };
        using var client = new HttpClient(handler) { Timeout = timeout };
        using var request = new HttpRequestMessage(HttpMethod.Get, url) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            return (response.IsSuccessStatusCode ? Healthy : Unhealthy, $"{url} -> {status} {response.ReasonPhrase}");
        }
        catch (Exception failure) when (failure is HttpRequestException or TaskCanceledException)
        {
            var reason = failure is TaskCanceledException ? $"no answer within {timeout.TotalSeconds:0.###} s" : failure.Message;
            return (Unhealthy, $"{url} -> {reason}");
        }
    }

    private static bool TryParse(string[] args, out Uri url, out TimeSpan timeout, out string problem)
    {
        url = null!;
        timeout = DefaultTimeout;
        problem = "";
        if (args.Length is < 1 or > 2)
        {
            problem = "expected a URL and at most a timeout";
            return false;
        }
        if (!Uri.TryCreate(args[0], UriKind.Absolute, out var parsed) || parsed.Scheme != Uri.UriSchemeHttp)
        {
            problem = $"'{args[0]}' is not an http:// URL";
            return false;
        }
        url = parsed;
        if (args.Length == 2)
        {
            if (!double.TryParse(args[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                || !double.IsFinite(seconds) || seconds <= 0 || seconds > 300)
            {
                problem = $"timeout '{args[1]}' must be a number of seconds in (0, 300]";
                return false;
            }
            timeout = TimeSpan.FromSeconds(seconds);
        }
        return true;
    }
}
