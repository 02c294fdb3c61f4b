using System.Text.Json.Nodes;

namespace Mustafar.Testing.Mesh;

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

    /// <summary>Waits (bounded) until /readyz is 200 with every destination of every pool available: the gateway's
    /// probes may have found a service still loading, and it takes no requests there until a probe finds it ready.</summary>
    public static async Task WaitForAllAvailableAsync(Uri gatewayHttp, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var response = await http.GetAsync(new Uri(gatewayHttp, "/readyz"));
            var body = await response.Content.ReadAsStringAsync();
            var pools = JsonNode.Parse(body)!["pools"]!.AsArray();
            if (response.IsSuccessStatusCode && pools.All(p => p!["available"]!.GetValue<int>() == p["destinations"]!.GetValue<int>())) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the gateway did not see every destination available within {timeout}: {body}");
            await Task.Delay(100);
        }
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
