using System.Net;
using System.Net.Http.Headers;

namespace Mustafar.Eval.Clients;

/// <summary>What the two HTTP clients share: one HttpClient per run with the API key, and the gateway's error answers
/// turned into <see cref="AnswerException"/>s.</summary>
internal static class HttpAnswers
{
    public static HttpClient CreateClient(EvalTarget target)
    {
        var http = new HttpClient { BaseAddress = new Uri(target.Url.ToString().TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(10) };
        if (target.ApiKey is { Length: > 0 } key) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    public static async Task<string> SendAsync(HttpClient http, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode) return body;
            var transient = response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;
            throw new AnswerException($"the gateway answered {(int)response.StatusCode}: {body}", transient);
        }
        catch (HttpRequestException e) { throw new AnswerException($"the gateway could not be reached: {e.Message}", transient: true, e); }
    }
}
