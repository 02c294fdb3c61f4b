using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mustafar.IntegrationTests.Mesh;
using Mustafar.Testing;

namespace Mustafar.IntegrationTests.Gateway;

/// <summary>
/// The Grafana dashboard shipped in <c>deploy/grafana/</c> queries only series the mesh exports: after one question,
/// every metric its panels name is a family on the /metrics page of the gateway or of a model service (real
/// processes), so a renamed or dropped metric breaks this test rather than a production dashboard.
/// </summary>
[Collection(StandardMeshCollection.Name)]
public sealed partial class DashboardMetricsTests(MeshFixture fixture)
{
    private static readonly string DashboardPath = Path.Combine(RepoPaths.Root, "deploy", "grafana", "mustafar-mesh.json");

    [Fact]
    public async Task Every_metric_the_dashboard_queries_is_exported_by_the_mesh()
    {
        var queried = Queried(JsonNode.Parse(await File.ReadAllTextAsync(DashboardPath))!);
        Assert.Contains("mustafar_time_to_first_token_seconds", queried);
        Assert.Contains("mustafar_gateway_requests_total", queried);

        using var client = new GatewayClient(fixture.Mesh.GatewayHttp);
        await client.ChatAsync(GatewayClient.ChatBody(SampleImages.Variant(4500), "What is on the table?", stream: false, maxTokens: 3));

        var exported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var process in fixture.Mesh.Processes)
            exported.UnionWith(await ServiceMetrics.FamiliesAsync(process.HttpAddress));
        Assert.Empty(queried.Except(exported).Order());
    }

    /// <summary>Every metric name in the panels' PromQL, a histogram's _bucket/_sum/_count series read as its family.</summary>
    private static SortedSet<string> Queried(JsonNode dashboard)
    {
        var expressions = dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray()).Select(t => t!["expr"]!.GetValue<string>());
        return new SortedSet<string>(expressions.SelectMany(e => MetricName().Matches(e)).Select(m => HistogramSeries().Replace(m.Value, "")), StringComparer.Ordinal);
    }

    [GeneratedRegex(@"\bmustafar_[a-z0-9_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"_(bucket|sum|count)$")]
    private static partial Regex HistogramSeries();
}
