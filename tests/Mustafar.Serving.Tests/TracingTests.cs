using System.Collections.ObjectModel;
using System.Diagnostics;
using Mustafar.ServiceDefaults;
using Mustafar.Serving.Tests.Host;
using Mustafar.Serving.Tests.V1;
using OpenTelemetry.Trace;

namespace Mustafar.Serving.Tests;

/// <summary>A host continues the caller's W3C trace, and the batcher puts what only the service knows (queue, batch
/// size, queue wait, compute time, model) on the call's server span. Read with the in-memory exporter.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task A_batched_call_continues_the_callers_trace_and_its_server_span_carries_the_batch()
    {
        var exported = new ExportedSpans();
        await using var host = await TestHost.StartAsync(TestHost.NewCheckpointFolder(), configure:
            builder => builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(exported)));
        await host.WaitUntilServingAsync();

        // The caller's span. The test process traces too (the host's provider listens to the gRPC client here as
        // well), so the call's client span is its child and sends the traceparent, as the gateway's does.
        var request = new TransformRequest();
        request.Values.Add([1, 2, 3, 4]);
        ActivityTraceId trace;
        ActivitySpanId callerSpan;
        using (var caller = MeshTracing.Source.StartActivity("caller"))
        {
            Assert.NotNull(caller);
            trace = caller.TraceId;
            callerSpan = caller.SpanId;
            await host.Client.TransformAsync(request, deadline: DateTime.UtcNow + TestHost.Patience);
        }

        // The server span ends after the response is sent: wait for the exporter to have it.
        Activity? Server() => exported.Snapshot().FirstOrDefault(a => a.TraceId == trace && a.Kind == ActivityKind.Server
            && a.DisplayName.EndsWith("/Transform", StringComparison.Ordinal));
        await Eventually.TrueAsync(() => Server() is not null, "the Transform call's server span was not exported");
        var server = Server()!;
        var client = Assert.Single(exported.Snapshot(), a => a.SpanId == server.ParentSpanId);
        Assert.Equal(ActivityKind.Client, client.Kind);
        Assert.Equal(callerSpan, client.ParentSpanId);
        Assert.Equal("tiny-mlp", server.GetTagItem(SpanTags.Model));
        Assert.Equal("transform", server.GetTagItem(SpanTags.Queue));
        Assert.Equal(1, server.GetTagItem(SpanTags.BatchSize));
        Assert.IsType<double>(server.GetTagItem(SpanTags.QueueWaitMs));
        Assert.True((double)server.GetTagItem(SpanTags.ComputeMs)! >= 0);
    }
}

/// <summary>The in-memory exporter's collection, written by the thread that ends a span and read by the test.</summary>
internal sealed class ExportedSpans : Collection<Activity>
{
    private readonly Lock _gate = new();

    protected override void InsertItem(int index, Activity item)
    {
        lock (_gate) base.InsertItem(index, item);
    }

    public Activity[] Snapshot()
    {
        lock (_gate) return [.. this];
    }
}
