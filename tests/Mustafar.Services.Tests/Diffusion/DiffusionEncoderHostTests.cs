using System.Net;
using Grpc.Core;
using Mustafar.DiffusionEncoder;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Services.Tests.Host;
using Mustafar.Torch;
using TorchSharp;
using Grpc.Health.V1;
using Mustafar.Models.Diffusion;

namespace Mustafar.Services.Tests.Diffusion;

/// <summary>DiffusionEncoder hosts of their own: batching of compatible requests under concurrent clients, and
/// health while loading.</summary>
public sealed class DiffusionEncoderHostTests
{
    [Fact]
    public async Task Sixteen_concurrent_clients_get_their_own_features_and_only_compatible_requests_share_a_pass()
    {
        // Eight U-Net rows per pass; a long delay lets batches fill on a slow machine, a full one runs at once.
        await using var host = await ServiceHost<DiffusionEncoderService, StableDiffusionFeatureExtractor>.StartServingAsync(HostCheckpoints.Diffusion, DiffusionEncoderService.Loader,
            DiffusionHostFixture.Settings(maxBatchSize: 8, maxBatchDelayMs: 2000));
        var client = new Contracts.Diffusion.V1.DiffusionEncoder.DiffusionEncoderClient(host.Channel);
        var images = Enumerable.Range(0, 16).Select(i => TestImages.GradientPng(40 + i, 70 - i, seed: 200 + i)).ToArray();
        // Two timesteps (never batched together) and every variant; guided requests with a prompt take two rows.
        var cases = Enumerable.Range(0, 16).Select(i => new DiffusionCase(
            Prompt: $"question number {i}", Timestep: i % 2 == 0 ? 50 : 400, Seed: (ulong)i, Scale: 3,
            Variant: (FeatureVariant)(1 + i % 3))).ToArray();
        using var start = new ManualResetEventSlim();
        var calls = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            start.Wait(Eventually.Patience);
            return await client.EncodeAsync(cases[i].ToProto(images[i]), deadline: ServiceHost<DiffusionEncoderService, StableDiffusionFeatureExtractor>.Deadline);
        })).ToArray();
        start.Set();
        // A batch mixing timesteps would fail: the extractor refuses one.
        var responses = await Task.WhenAll(calls);

        using var direct = DiffusionHostFixture.LoadDirect();
        using var scope = torch.NewDisposeScope();
        for (var i = 0; i < 16; i++)
        {
            var expected = direct.Extract([direct.Prepare(cases[i].ToModel(images[i]))])[0];
            Assert.Equal(expected.Settings.UNetRows, responses[i].Settings.UnetRows);
            Assert.Equal(cases[i].Timestep, responses[i].Settings.Timestep);
            var actual = TorchTensorBridge.ToTorch(responses[i].Features[0].Features, "features");
            var diff = (expected.Features[0].Tokens - actual).abs().max().item<float>();
            // Equal up to the rounding of batched kernels; the noise is drawn per request from its own seed.
            Assert.True(diff < 1e-5, $"client {i}: max |diff| {diff}");
        }
        var (batches, requests) = await host.BatchesAsync("encode");
        Assert.Equal(16, requests);
        Assert.True(requests / batches > 1, $"{requests} requests in {batches} batches");
    }

    [Fact]
    public async Task Health_is_not_serving_until_the_pipeline_has_loaded_then_serving()
    {
        using var gate = new ManualResetEventSlim(false);
        await using var host = await ServiceHost<DiffusionEncoderService, StableDiffusionFeatureExtractor>.StartAsync(HostCheckpoints.Diffusion,
            ServiceHost<DiffusionEncoderService, StableDiffusionFeatureExtractor>.Gated(DiffusionEncoderService.Loader, gate), DiffusionHostFixture.Settings());
        var client = new Contracts.Diffusion.V1.DiffusionEncoder.DiffusionEncoderClient(host.Channel);
        var request = new DiffusionCase().ToProto(TestImages.GradientPng(30, 30, seed: 1));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await host.HealthAsync());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await host.HealthAsync("mustafar.diffusion.v1.DiffusionEncoder"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await host.GetStatusAsync("/readyz"));
        var early = await Assert.ThrowsAsync<RpcException>(() => client.EncodeAsync(request, deadline: ServiceHost<DiffusionEncoderService, StableDiffusionFeatureExtractor>.Deadline).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, early.StatusCode);

        gate.Set();
        await host.WaitUntilServingAsync();
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await host.HealthAsync("mustafar.diffusion.v1.DiffusionEncoder"));
        Assert.Equal(HttpStatusCode.OK, await host.GetStatusAsync("/readyz"));
        Assert.Single((await client.EncodeAsync(request, deadline: ServiceHost<DiffusionEncoderService, StableDiffusionFeatureExtractor>.Deadline)).Features);
    }

    [Fact]
    public async Task A_batch_limit_below_one_guided_request_is_refused_at_load_naming_the_key()
    {
        await using var host = await ServiceHost<DiffusionEncoderService, StableDiffusionFeatureExtractor>.StartAsync(HostCheckpoints.Diffusion, DiffusionEncoderService.Loader,
            DiffusionHostFixture.Settings(maxBatchSize: 1));
        await Eventually.TrueAsync(() => host.Runtime.Status.State == Serving.ServingState.Failed, "the load failed");
        Assert.Contains("Mustafar:Batching:MaxBatchSize", host.Runtime.Status.FailureReason, StringComparison.Ordinal);
    }
}
