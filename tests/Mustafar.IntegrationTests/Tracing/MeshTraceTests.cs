using System.Diagnostics;
using System.Net.Http.Json;
using Google.Protobuf;
using Grpc.Core;
using Mustafar.IntegrationTests.Mesh;
using Mustafar.IntegrationTests.Tracing.Otlp;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Contracts.Vqa.V1;
using Xunit.Abstractions;

namespace Mustafar.IntegrationTests.Tracing;

/// <summary>
/// One question through a mesh of real processes makes ONE trace that covers every hop, with correct parent links.
/// Every process exports with its real OTLP exporter (switched on by the standard OTEL_* variables, as an operator
/// would) over OTLP/HTTP protobuf to a receiver this test hosts: the exporter of OpenTelemetry .NET 1.21 speaks
/// gRPC and http/protobuf only (no JSON), and OpenTelemetry.Proto is not served, so the receiver parses the OTLP
/// messages from the part of the .proto it needs (otlp_trace.proto, the real field numbers).
/// </summary>
public sealed class MeshTraceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task One_question_makes_one_trace_across_every_process_with_correct_parents()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var otel = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            // Export within a fraction of a second rather than the default 5 s: the test waits for the spans.
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        };
        await using var mesh = await LocalMesh.StartAsync(new LocalMeshOptions { ServiceEnvironment = otel, GatewayEnvironment = otel });

        // The client's own span context: the gateway must continue it (W3C traceparent in, the same trace id out).
        var clientTrace = ActivityTraceId.CreateRandom().ToHexString();
        var clientSpan = ActivitySpanId.CreateRandom().ToHexString();
        using var http = new HttpClient { BaseAddress = mesh.GatewayHttp, Timeout = Patience };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(GatewayClient.ChatBody(SampleImages.Variant(7301), "What is on the table?", stream: false, maxTokens: 4)),
        };
        request.Headers.Add("traceparent", $"00-{clientTrace}-{clientSpan}-01");
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}\n{mesh.Logs}");

        // The answer names the trace: traceparent (the gateway's entry span) and x-request-id (the trace id).
        var traceparent = Assert.Single(response.Headers.GetValues("traceparent"));
        Assert.StartsWith($"00-{clientTrace}-", traceparent, StringComparison.Ordinal);
        Assert.Equal(clientTrace, Assert.Single(response.Headers.GetValues("x-request-id")));
        var entrySpanId = traceparent.Split('-')[2];

        // Every hop, each in the process that makes it.
        (string Service, Func<ReceivedSpan, bool> Is, string What)[] hops =
        [
            ("Mustafar.Gateway", s => s.SpanId == entrySpanId && s.Kind == Span.Types.SpanKind.Server, "gateway HTTP entry"),
            ("Mustafar.Gateway", s => s.Name == "cache.get", "cache lookup"),
            ("Mustafar.Gateway", s => s.Name == "pool clip/Encode", "CLIP pool call"),
            ("Mustafar.Gateway", s => s.Name == "pool diffusion/Encode", "diffusion pool call"),
            ("Mustafar.Gateway", s => s.Name == "pool generator/Generate", "generator pool call"),
            ("Mustafar.Gateway", s => s.Kind == Span.Types.SpanKind.Client && s.Name.Contains("ClipEncoder/Encode", StringComparison.Ordinal), "CLIP RPC client"),
            ("Mustafar.Gateway", s => s.Kind == Span.Types.SpanKind.Client && s.Name.Contains("DiffusionEncoder/Encode", StringComparison.Ordinal), "diffusion RPC client"),
            ("Mustafar.Gateway", s => s.Kind == Span.Types.SpanKind.Client && s.Name.Contains("Generator/Generate", StringComparison.Ordinal), "generator RPC client"),
            ("Mustafar.ClipEncoder", s => s.Kind == Span.Types.SpanKind.Server && s.Name.EndsWith("ClipEncoder/Encode", StringComparison.Ordinal), "CLIP RPC server"),
            ("Mustafar.DiffusionEncoder", s => s.Kind == Span.Types.SpanKind.Server && s.Name.EndsWith("DiffusionEncoder/Encode", StringComparison.Ordinal), "diffusion RPC server"),
            ("Mustafar.Generator", s => s.Kind == Span.Types.SpanKind.Server && s.Name.EndsWith("Generator/Generate", StringComparison.Ordinal), "generator RPC server"),
            ("Mustafar.Generator", s => s.Name == "generator.prefill", "prefill"),
            ("Mustafar.Generator", s => s.Name == "generator.first_token", "first token"),
            ("Mustafar.Generator", s => s.Name == "generator.decode", "decode"),
        ];
        List<ReceivedSpan> Trace() => receiver.Spans.Where(s => s.TraceId == clientTrace).ToList();
        List<string> Missing(List<ReceivedSpan> trace) =>
            hops.Where(h => !trace.Any(s => s.Service == h.Service && h.Is(s))).Select(h => $"{h.What} ({h.Service})").ToList();
        var waited = Stopwatch.StartNew();
        while (Missing(Trace()).Count > 0 && waited.Elapsed < Patience) await Task.Delay(200);
        var tree = new TraceTree(Trace());
        output.WriteLine($"trace {clientTrace} ({tree.Spans.Count} spans):\n{tree.Render()}");
        var missing = Missing(tree.Spans.ToList());
        Assert.True(missing.Count == 0, $"not in the trace: {string.Join(", ", missing)}\n{tree.Render()}");

        // One trace, one root: the gateway's entry, a child of the client's span; every other span's parent is in it.
        var root = Assert.Single(tree.Roots);
        Assert.Equal(entrySpanId, root.SpanId);
        Assert.Equal(clientSpan, root.ParentSpanId);

        ReceivedSpan One(string service, Func<ReceivedSpan, bool> predicate) => tree.Spans.First(s => s.Service == service && predicate(s));
        void Under(ReceivedSpan child, ReceivedSpan ancestor) =>
            Assert.True(tree.Ancestors(child).Contains(ancestor), $"{child.Name} ({child.Service}) is not under {ancestor.Name}\n{tree.Render()}");

        foreach (var (pool, service, rpc) in new[]
        {
            ("clip", "Mustafar.ClipEncoder", "ClipEncoder/Encode"),
            ("diffusion", "Mustafar.DiffusionEncoder", "DiffusionEncoder/Encode"),
            ("generator", "Mustafar.Generator", "Generator/Generate"),
        })
        {
            var call = One("Mustafar.Gateway", s => s.Name == $"pool {pool}/{rpc.Split('/')[1]}");
            Assert.Equal(pool, call.Attributes["mustafar.pool"]);
            Assert.StartsWith($"{pool}-", call.Attributes["mustafar.destination"], StringComparison.Ordinal);
            Under(call, root);
            var client = One("Mustafar.Gateway", s => s.Kind == Span.Types.SpanKind.Client && s.Name.EndsWith(rpc, StringComparison.Ordinal));
            Assert.Equal(call.SpanId, client.ParentSpanId);
            var server = One(service, s => s.Kind == Span.Types.SpanKind.Server && s.Name.EndsWith(rpc, StringComparison.Ordinal));
            Assert.Equal(client.SpanId, server.ParentSpanId);
            // What only the service knows, on its server span.
            foreach (var tag in new[] { "mustafar.queue", "mustafar.batch.size", "mustafar.queue.wait_ms", "mustafar.model" })
                Assert.True(server.Attributes.ContainsKey(tag), $"{service}'s server span has no {tag}: {string.Join(", ", server.Attributes.Keys)}");
            if (pool != "generator") Assert.True(server.Attributes.ContainsKey("mustafar.compute_ms"), $"{service}'s server span has no compute time");
        }
        var generator = One("Mustafar.Generator", s => s.Kind == Span.Types.SpanKind.Server && s.Name.EndsWith("/Generate", StringComparison.Ordinal));
        foreach (var phase in new[] { "generator.prefill", "generator.first_token", "generator.decode" })
            Assert.Equal(generator.SpanId, One("Mustafar.Generator", s => s.Name == phase).ParentSpanId);
        foreach (var lookup in tree.Spans.Where(s => s.Name == "cache.get")) Under(lookup, root);

        // The generator's log line about this generation carries the trace id (the logging scope of every process).
        var logged = mesh.Generator.RecentOutput.Split('\n');
        var line = Array.FindIndex(logged, l => l.Contains("Generation ", StringComparison.Ordinal) && l.Contains("tokens", StringComparison.Ordinal));
        Assert.True(line > 1, $"no generation log line\n{mesh.Generator.RecentOutput}");
        output.WriteLine($"generator log:\n{string.Join('\n', logged[(line - 2)..(line + 1)])}");
        Assert.Contains($"TraceId:{clientTrace}", string.Join('\n', logged[(line - 1)..(line + 1)]), StringComparison.Ordinal);

        // The gRPC entry too: Ask continues the caller's traceparent, its response headers name the trace, and the
        // generator's server span of that question is in the same trace.
        var grpcTrace = ActivityTraceId.CreateRandom().ToHexString();
        var vqa = new VisualQuestionAnswering.VisualQuestionAnsweringClient(mesh.Channel(mesh.GatewayGrpc));
        using var ask = vqa.Ask(new AskRequest
        {
            Image = ByteString.CopyFrom(SampleImages.Variant(7302)),
            Question = "What is on the table?",
            Options = new AskOptions { Sampling = new SamplingParams { MaxNewTokens = 2, Temperature = 0 } },
        }, new Metadata { { "traceparent", $"00-{grpcTrace}-{ActivitySpanId.CreateRandom().ToHexString()}-01" } });
        var headers = await ask.ResponseHeadersAsync;
        await foreach (var _ in ask.ResponseStream.ReadAllAsync()) { }
        Assert.StartsWith($"00-{grpcTrace}-", headers.GetValue("traceparent"), StringComparison.Ordinal);
        Assert.Equal(grpcTrace, headers.GetValue("x-request-id"));
        bool GeneratedInGrpcTrace() => receiver.Spans.Any(s => s.TraceId == grpcTrace && s.Service == "Mustafar.Generator" && s.Name == "generator.decode");
        waited.Restart();
        while (!GeneratedInGrpcTrace() && waited.Elapsed < Patience) await Task.Delay(200);
        Assert.True(GeneratedInGrpcTrace(), $"the gRPC question's generation is not in its trace\n{new TraceTree(receiver.Spans.Where(s => s.TraceId == grpcTrace).ToList()).Render()}");
    }
}
