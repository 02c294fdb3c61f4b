using Microsoft.Extensions.Configuration;
using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Mustafar.IntegrationTests.Tracing.Otlp;

namespace Mustafar.IntegrationTests.Tracing;

/// <summary>One span as an exporter sent it, with the service.name of the process that made it.</summary>
public sealed record ReceivedSpan(string Service, string TraceId, string SpanId, string ParentSpanId, string Name, Span.Types.SpanKind Kind,
    ulong StartNanos, ulong EndNanos, IReadOnlyDictionary<string, string> Attributes)
{
    public double DurationMs => (EndNanos - StartNanos) / 1e6;
}

/// <summary>
/// A minimal OTLP/HTTP trace receiver on loopback (what an OpenTelemetry Collector's otlp receiver does for
/// <c>POST /v1/traces</c> with <c>application/x-protobuf</c>): the mesh's processes export to it with their real OTLP
/// exporter (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>), and the test reads
/// every span they sent.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    /// <summary>The base address to give as OTEL_EXPORTER_OTLP_ENDPOINT (the exporter adds /v1/traces).</summary>
    public Uri Endpoint => new(_app.Urls.First());

    public IReadOnlyCollection<ReceivedSpan> Spans => _spans;

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        // The gateway's appsettings.json is copied beside the tests: its Kestrel endpoints (0.0.0.0:8080 for HTTP/1.1,
        // :8081 for HTTP/2 only) would replace this address, and the exporters would be sent to one of them.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            receiver.Add(ExportTraceServiceRequest.Parser.ParseFrom(body.ToArray()));
            // An empty ExportTraceServiceResponse: all accepted.
            context.Response.ContentType = "application/x-protobuf";
            context.Response.StatusCode = StatusCodes.Status200OK;
        });
        await app.StartAsync();
        return receiver;
    }

    private void Add(ExportTraceServiceRequest request)
    {
        foreach (var resource in request.ResourceSpans)
        {
            var service = resource.Resource?.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value.StringValue ?? "";
            foreach (var scope in resource.ScopeSpans)
            foreach (var span in scope.Spans)
            {
                _spans.Enqueue(new ReceivedSpan(service, Convert.ToHexStringLower(span.TraceId.Span), Convert.ToHexStringLower(span.SpanId.Span),
                    Convert.ToHexStringLower(span.ParentSpanId.Span), span.Name, span.Kind, span.StartTimeUnixNano, span.EndTimeUnixNano,
                    span.Attributes.ToDictionary(a => a.Key, a => Text(a.Value))));
            }
        }
    }

    private static string Text(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString("R", CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
