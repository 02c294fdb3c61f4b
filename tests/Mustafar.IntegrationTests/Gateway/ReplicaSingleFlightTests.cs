using System.Text.Json.Nodes;
using Mustafar.IntegrationTests.Mesh;
using Xunit.Abstractions;

namespace Mustafar.IntegrationTests.Gateway;

/// <summary>
/// Two real gateway processes over one real Redis and the real diffusion encoder: the same cold image asked of both at
/// the same moment is encoded once (the Redis lease), and a new question about it later, at either gateway, runs
/// without the VAE (the cached latent). Counted at the encoder's own metrics. The encoder's queue is slowed with the
/// serving runtime's fault knob so that the two requests surely overlap: the second arrives while the first waits.
/// </summary>
public sealed class ReplicaSingleFlightTests(ITestOutputHelper output)
{
    private const int InjectedDelayMs = 1500;

    [Fact]
    public async Task Two_gateways_asking_for_one_cold_image_at_once_encode_it_once_and_a_new_question_skips_the_vae()
    {
        await using var mesh = await LocalMesh.StartAsync(new LocalMeshOptions
        {
            GatewayReplicas = 2,
            DiffusionEnvironment = new Dictionary<string, string> { ["MUSTAFAR__Faults__QueueDelayMs"] = $"{InjectedDelayMs}" },
            // A lease or read that times out degrades to computing, by design; on a loaded 2-core machine the 100 ms
            // production default is exceeded at times, which would make the count below 2 for the wrong reason.
            GatewayEnvironment = new Dictionary<string, string> { ["Gateway__Cache__OperationTimeout"] = "00:00:02" },
        });
        var diffusion = mesh.DiffusionEncoder.HttpAddress;
        async Task<(double Encodes, double VaeImages)> EncoderCountsAsync() => (
            await ServiceMetrics.SumAsync(diffusion, "mustafar_requests_total", "/Encode\""),
            await ServiceMetrics.SumAsync(diffusion, "mustafar_diffusion_vae_images_total"));
        async Task<double> LeaseWaitsAsync() =>
            (await Task.WhenAll(mesh.Gateways.Select(g =>
                ServiceMetrics.SumAsync(g.HttpAddress, "mustafar_gateway_cache_leases_total", "outcome=\"acquired_after_wait\"")))).Sum();
        using var first = new GatewayClient(mesh.Gateways[0].HttpAddress);
        using var second = new GatewayClient(mesh.Gateways[1].HttpAddress);
        // s = 4 needs both halves of the diffusion feature.
        JsonObject Body(byte[] image, string question) =>
            GatewayClient.ChatBody(image, question, stream: false, mustafar: new JsonObject { ["guidance_scale"] = 4 });

        for (var i = 0; i < 2; i++)
        {
            var image = SampleImages.Variant(6000 + i);
            var (encodes0, vae0) = await EncoderCountsAsync();
            var waits0 = await LeaseWaitsAsync();

            var answers = await Task.WhenAll(first.ChatAsync(Body(image, "What is on the table?")), second.ChatAsync(Body(image, "What is on the table?")));
            var (encodes1, vae1) = await EncoderCountsAsync();
            var statuses = answers.Select(a => a.Body["mustafar"]!["cache"]!.ToJsonString()).ToList();
            output.WriteLine($"image {i}: {string.Join(" | ", statuses)}; encodes +{encodes1 - encodes0}, VAE images +{vae1 - vae0}");
            Assert.Equal((1.0, 1.0), (encodes1 - encodes0, vae1 - vae0));
            Assert.True(await LeaseWaitsAsync() - waits0 >= 1, "the second gateway waited for the first one's lease");
            Assert.Equal(answers[0].Text, answers[1].Text);

            // A new question about the now-known image, at the other gateway: one Encode, no VAE.
            var newQuestion = await (i == 0 ? second : first).ChatAsync(Body(image, "Is the apple red?"));
            var (encodes2, vae2) = await EncoderCountsAsync();
            Assert.Equal((1.0, 0.0), (encodes2 - encodes1, vae2 - vae1));
            Assert.Equal("""{"clip":"hit","diffusion_conditional":"miss","diffusion_unconditional":"hit"}""",
                newQuestion.Body["mustafar"]!["cache"]!.ToJsonString());
        }
    }
}
