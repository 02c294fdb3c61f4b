using System.Net;
using Grpc.Core;
using Mustafar.Contracts.Clip.V1;
using Mustafar.ClipEncoder;
using Mustafar.Models.Clip;
using Mustafar.Services.Tests.Host;
using Mustafar.Torch;
using TorchSharp;
using Grpc.Health.V1;

namespace Mustafar.Services.Tests.Clip;

/// <summary>ClipEncoder hosts of their own: batching under concurrent clients, and health while loading.</summary>
public sealed class ClipEncoderHostTests
{
    private readonly string _folder = HostCheckpoints.Clip;

    [Fact]
    public async Task Sixteen_concurrent_clients_get_their_own_features_from_shared_batches()
    {
        // A long delay lets batches fill on a slow machine; a full batch of eight runs at once.
        await using var host = await ServiceHost<ClipEncoderService, ClipVisionEncoder>.StartServingAsync(_folder, ClipEncoderService.Loader,
            ClipHostFixture.Settings(maxBatchSize: 8, maxBatchDelayMs: 2000));
        var client = new Contracts.Clip.V1.ClipEncoder.ClipEncoderClient(host.Channel);
        var images = Enumerable.Range(0, 16).Select(i => TestImages.GradientPng(20 + 3 * i, 50 - 2 * i, seed: 100 + i)).ToArray();
        // Mixed options in one queue: each request gets its own layer and tokens out of the shared pass.
        var options = Enumerable.Range(0, 16).Select(i => new EncodeOptions
        {
            SelectLayer = i % 3 - 2,
            SelectFeature = i % 2 == 0 ? FeatureSelect.Patch : FeatureSelect.ClsPatch,
        }).ToArray();
        using var start = new ManualResetEventSlim();
        var calls = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            start.Wait(Eventually.Patience);
            return await client.EncodeAsync(new EncodeRequest { Image = Google.Protobuf.ByteString.CopyFrom(images[i]), Options = options[i] },
                deadline: ServiceHost<ClipEncoderService, ClipVisionEncoder>.Deadline);
        })).ToArray();
        start.Set();
        var responses = await Task.WhenAll(calls);

        using var direct = ClipVisionEncoder.Load(_folder);
        using var scope = torch.NewDisposeScope();
        for (var i = 0; i < 16; i++)
        {
            var expected = direct.Encode([direct.Preprocess(images[i])], options[i].SelectLayer,
                options[i].SelectFeature == FeatureSelect.ClsPatch ? ClipFeatureSelect.ClsPatch : ClipFeatureSelect.Patch)[0];
            var actual = TorchTensorBridge.ToTorch(responses[i].Features, "features");
            Assert.Equal(expected.shape, actual.shape);
            // Batched kernels may round differently from a batch of one.
            var diff = (expected - actual).abs().max().item<float>();
            Assert.True(diff < 1e-5, $"client {i}: max |diff| {diff}");
        }
        var (batches, requests) = await host.BatchesAsync("encode");
        Assert.Equal(16, requests); // the warm-up runs on the inference thread directly, not through the queue
        Assert.True(requests / batches > 1, $"{requests} requests in {batches} batches");
    }

    [Fact]
    public async Task Health_is_not_serving_until_the_model_has_loaded_then_serving()
    {
        using var gate = new ManualResetEventSlim(false);
        await using var host = await ServiceHost<ClipEncoderService, ClipVisionEncoder>.StartAsync(_folder, ServiceHost<ClipEncoderService, ClipVisionEncoder>.Gated(ClipEncoderService.Loader, gate), ClipHostFixture.Settings());
        var client = new Contracts.Clip.V1.ClipEncoder.ClipEncoderClient(host.Channel);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await host.HealthAsync());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await host.HealthAsync("mustafar.clip.v1.ClipEncoder"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await host.GetStatusAsync("/readyz"));
        Assert.Equal(HttpStatusCode.OK, await host.GetStatusAsync("/healthz"));
        var early = await Assert.ThrowsAsync<RpcException>(() => client.EncodeAsync(
            new EncodeRequest { Image = Google.Protobuf.ByteString.CopyFrom(TestImages.GradientPng(20, 20, seed: 1)) }, deadline: ServiceHost<ClipEncoderService, ClipVisionEncoder>.Deadline).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, early.StatusCode);

        gate.Set();
        await host.WaitUntilServingAsync();
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await host.HealthAsync("mustafar.clip.v1.ClipEncoder"));
        Assert.Equal(HttpStatusCode.OK, await host.GetStatusAsync("/readyz"));
        var response = await client.EncodeAsync(new EncodeRequest { Image = Google.Protobuf.ByteString.CopyFrom(TestImages.GradientPng(20, 20, seed: 1)) },
            deadline: ServiceHost<ClipEncoderService, ClipVisionEncoder>.Deadline);
        Assert.Equal(2, response.Features.Shape.Count);
    }
}
