using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mustafar.Serving.Tests.Host;
using Mustafar.Serving.Tests.V1;

namespace Mustafar.Serving.Tests;

public class ErrorMappingTests
{
    [Theory]
    [InlineData("invalid", StatusCode.InvalidArgument, "image.width: must be positive")]
    [InlineData("too_large", StatusCode.InvalidArgument, "image: has 99000000 pixels; the limit is 16777216")]
    [InlineData("unavailable", StatusCode.Unavailable, "the feature store is unreachable")]
    [InlineData("queue_full", StatusCode.ResourceExhausted, "queue is full")]
    public async Task Domain_errors_map_to_their_status_with_a_message_that_says_what_to_fix(string kind, StatusCode code, string message)
    {
        await using var host = await TestHost.StartServingAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => FailAsync(host, kind));
        Assert.Equal(code, error.StatusCode);
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);
        Assert.Null(error.Trailers.GetValue(ErrorMapper.CorrelationIdTrailer));
    }

    [Fact]
    public async Task Invalid_input_names_its_field_in_the_message_and_a_trailer_and_size_limits_say_so()
    {
        await using var host = await TestHost.StartServingAsync();
        var invalid = await Assert.ThrowsAsync<RpcException>(() => host.TransformAsync([1, 2, 3]));
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Equal("values: must hold 4 numbers, not 3", invalid.Status.Detail);
        Assert.Equal("values", invalid.Trailers.GetValue(ErrorMapper.FieldTrailer));
        Assert.Null(invalid.Trailers.GetValue(ErrorMapper.ErrorKindTrailer));

        var tooLarge = await Assert.ThrowsAsync<RpcException>(() => host.TransformAsync(new float[2000]));
        Assert.Equal(StatusCode.InvalidArgument, tooLarge.StatusCode);
        Assert.StartsWith("values: holds 2000 numbers", tooLarge.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(ErrorMapper.TooLarge, tooLarge.Trailers.GetValue(ErrorMapper.ErrorKindTrailer));

        // The service keeps serving afterwards.
        Assert.Equal(TinyMlp.Width, (await host.TransformAsync([1, 2, 3, 4])).Values.Count);
    }

    [Theory]
    [InlineData("internal")]
    [InlineData("internal_on_thread")]
    public async Task Unexpected_errors_are_internal_with_a_correlation_id_and_no_detail_or_stack_trace(string kind)
    {
        await using var host = await TestHost.StartServingAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => FailAsync(host, kind));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        var correlationId = error.Trailers.GetValue(ErrorMapper.CorrelationIdTrailer);
        Assert.NotNull(correlationId);
        Assert.Equal(32, correlationId.Length);
        Assert.Equal($"internal error; correlation id {correlationId}", error.Status.Detail);
        Assert.DoesNotContain("secret", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", error.Status.Detail, StringComparison.Ordinal);
        Assert.Null(error.Status.DebugException);
        // The log has what the caller does not: the exception, under the same correlation id.
        var logged = Assert.Single(host.Probe.Logs.Entries,
            e => e.Exception is not null && e.Message.Contains(correlationId, StringComparison.Ordinal));
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.Contains("secret", logged.Exception?.Message, StringComparison.Ordinal);

        Assert.Equal(TinyMlp.Width, (await host.TransformAsync([1, 2, 3, 4])).Values.Count);
        var metrics = await host.MetricsAsync();
        Assert.Equal(1, PrometheusText.Value(metrics, "mustafar_requests_total", "code=\"Internal\""));
    }

    private static async Task FailAsync(TestHost host, string kind) =>
        await host.Client.FailAsync(new FailRequest { Kind = kind }, deadline: DateTime.UtcNow + TestHost.Patience);
}
