using Mustafar.Serving.Tests.Host;
using Mustafar.Serving.Tests.V1;

namespace Mustafar.Serving.Tests;

public class MetricsTests
{
    [Fact]
    public async Task Metrics_expose_every_named_series_with_request_counts_by_method_and_code()
    {
        await using var host = await TestHost.StartServingAsync();
        await host.TransformAsync([1, 2, 3, 4]);
        await host.TransformAsync([4, 3, 2, 1]);
        await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => host.TransformAsync([1]));
        using (var stream = host.Client.Count(new CountRequest { Start = 10, Length = 3 }, deadline: DateTime.UtcNow + TestHost.Patience))
            while (await stream.ResponseStream.MoveNext(CancellationToken.None)) { }

        var metrics = await host.MetricsAsync();

        foreach (var family in ServingMetrics.SeriesNames)
            Assert.True(PrometheusText.Declares(metrics, family), $"/metrics lacks {family}");
        const string transform = "method=\"/mustafar.serving.testing.v1.TestModel/Transform\"";
        Assert.Equal(2, PrometheusText.Value(metrics, "mustafar_requests_total", $"{transform},code=\"OK\""));
        Assert.Equal(1, PrometheusText.Value(metrics, "mustafar_requests_total", $"{transform},code=\"InvalidArgument\""));
        Assert.Equal(3, PrometheusText.Value(metrics, "mustafar_generated_tokens_total", "queue=\"count\""));
        Assert.Equal(2, PrometheusText.Value(metrics, "mustafar_queue_wait_seconds_count", "queue=\"transform\""));
        Assert.Equal(2, PrometheusText.Value(metrics, "mustafar_compute_seconds_count", "queue=\"transform\""));
        Assert.Equal(0, PrometheusText.Value(metrics, "mustafar_queue_depth", "queue=\"transform\""));
        Assert.Equal(1, PrometheusText.Value(metrics, "mustafar_model_ready"));
        Assert.True(PrometheusText.Value(metrics, "mustafar_model_load_seconds") > 0);
        Assert.True(PrometheusText.Value(metrics, "mustafar_torch_live_tensors") >= 2, "the model's weight and bias are live tensors");
        Assert.Contains("model=\"tiny-mlp\"", metrics, StringComparison.Ordinal);
    }
}
