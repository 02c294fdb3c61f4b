using System.Text.Json.Nodes;

namespace Mustafar.IntegrationTests.Mesh;

/// <summary>The gateway's view of its pools, from its /readyz JSON.</summary>
public static class GatewayReadiness
{
    /// <summary>How many destinations of <paramref name="cluster"/> the gateway considers available now.</summary>
    public static async Task<int> AvailableAsync(Uri gatewayHttp, string cluster)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri(gatewayHttp, "/readyz"));
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return json["pools"]!.AsArray().Single(p => p!["cluster"]!.GetValue<string>() == cluster)!["available"]!.GetValue<int>();
    }

    /// <summary>Waits (bounded) until the gateway reports <paramref name="expected"/> available destinations.</summary>
    public static async Task WaitForAvailableAsync(Uri gatewayHttp, string cluster, int expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (await AvailableAsync(gatewayHttp, cluster) != expected)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the gateway did not report {expected} available {cluster} destination(s) within {timeout}");
            await Task.Delay(100);
        }
    }
}
