using System.Net;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Contracts.Generation.V1;
using Mustafar.IntegrationTests.Mesh;
using Mustafar.Contracts.Vqa.V1;
using Xunit.Abstractions;

namespace Mustafar.IntegrationTests.Faults;

/// <summary>
/// A CLIP encoder that is too slow for the request deadline. The slowness is injected with the serving runtime's
/// chaos-testing knob Mustafar:Faults:QueueDelayMs rather than with a delaying TCP proxy in the harness: the delay
/// then sits where a real overload would (requests waiting in the batcher's queue, with the gateway's deadline sent
/// along as grpc-timeout), and the service's own metrics can show whether the work stopped. A proxy would only delay
/// bytes, and the service could not tell us whether it ever computed the request.
/// The question gets HTTP 504 / DEADLINE_EXCEEDED, and the encoder drops the request without computing it.
/// </summary>
public sealed class SlowEncoderTests(ITestOutputHelper output)
{
    private const int InjectedDelayMs = 6000;

    [Fact]
    public async Task A_question_past_its_deadline_gets_504_or_deadline_exceeded_and_the_encoder_never_computes_it()
    {
        await using var mesh = await LocalMesh.StartAsync(new LocalMeshOptions
        {
            ClipEnvironment = new Dictionary<string, string> { ["MUSTAFAR__Faults__QueueDelayMs"] = $"{InjectedDelayMs}" },
            // The gateway's own deadline for HTTP questions (gRPC callers set theirs).
            GatewayEnvironment = new Dictionary<string, string> { ["Gateway__Limits__RequestTimeout"] = "00:00:02" },
        });
        var clip = mesh.ClipEncoders[0].HttpAddress;
        var (expiredBefore, unfinishedBefore) = (await ExpiredAsync(clip), await UnfinishedEncodesAsync(clip));
        var (batchesBefore, rowsBefore) = (await BatchesAsync(clip), await RowsAsync(clip));

        using var client = new GatewayClient(mesh.GatewayHttp);
        using var http = await client.PostAsync(GatewayClient.ChatBody(SampleImages.Variant(4000), "What is on the table?", stream: false));
        var httpBody = JsonNode.Parse(await http.Content.ReadAsStringAsync())!;
        output.WriteLine($"HTTP: {(int)http.StatusCode} {httpBody.ToJsonString()}");
        Assert.Equal(HttpStatusCode.GatewayTimeout, http.StatusCode);
        Assert.Equal("timeout_error", httpBody["error"]!["type"]!.GetValue<string>());

        var vqa = new VisualQuestionAnswering.VisualQuestionAnsweringClient(mesh.Channel(mesh.GatewayGrpc));
        var grpc = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = vqa.Ask(new AskRequest
            {
                Image = ByteString.CopyFrom(SampleImages.Variant(4001)),
                Question = "What is on the table?",
                Options = new AskOptions { Sampling = new SamplingParams { MaxNewTokens = 4 } },
            }, deadline: DateTime.UtcNow.AddSeconds(2));
            await foreach (var _ in call.ResponseStream.ReadAllAsync()) { }
        });
        output.WriteLine($"gRPC: {grpc.StatusCode} {grpc.Status.Detail}");
        Assert.Equal(StatusCode.DeadlineExceeded, grpc.StatusCode);

        // Their Encode calls ended cancelled or past their deadline, having left the encoder's queue unrun (a call whose
        // deadline passed before it reached the queue is refused before it and not counted there; on a slow CI machine
        // a question can even run out of time before its CLIP call is sent, so count the calls).
        await Bounded.UntilAsync(async () => await ServiceMetrics.SumAsync(clip, "mustafar_inflight_requests") == 0,
            "the CLIP encoder has no call in flight", TimeSpan.FromSeconds(30));
        var (ended, expired) = (await UnfinishedEncodesAsync(clip) - unfinishedBefore, await ExpiredAsync(clip) - expiredBefore);
        output.WriteLine($"CLIP encoder: {ended} Encode call(s) ended cancelled or past their deadline, {expired} left the queue unrun");
        Assert.InRange(ended, 1, 2);
        Assert.InRange(expired, 1, ended);
        // None of them was computed: after the delay a later request runs in a batch of its own, the only batch.
        var direct = new ClipEncoder.ClipEncoderClient(mesh.Channel(mesh.ClipGrpc[0]));
        await direct.EncodeAsync(new EncodeRequest { Image = ByteString.CopyFrom(SampleImages.Variant(4002)) }, deadline: DateTime.UtcNow.AddMinutes(1));
        var (batches, rows) = (await BatchesAsync(clip) - batchesBefore, await RowsAsync(clip) - rowsBefore);
        output.WriteLine($"CLIP encoder: {batches} forward pass(es) ran, for {rows} request(s)");
        Assert.Equal((1, 1), (batches, rows));
        Assert.Equal(0, await ServiceMetrics.SumAsync(clip, "mustafar_queue_depth", "queue=\"encode\""));
    }

    private static async Task<double> UnfinishedEncodesAsync(Uri service) =>
        await ServiceMetrics.SumAsync(service, "mustafar_requests_total", "/Encode\"", "code=\"Cancelled\"")
        + await ServiceMetrics.SumAsync(service, "mustafar_requests_total", "/Encode\"", "code=\"DeadlineExceeded\"");

    private static Task<double> ExpiredAsync(Uri service) => ServiceMetrics.SumAsync(service, "mustafar_queue_expired_total", "queue=\"encode\"");

    private static Task<double> RowsAsync(Uri service) => ServiceMetrics.SumAsync(service, "mustafar_batch_size_sum", "queue=\"encode\"");

    private static Task<double> BatchesAsync(Uri service) => ServiceMetrics.SumAsync(service, "mustafar_batch_size_count", "queue=\"encode\"");
}
