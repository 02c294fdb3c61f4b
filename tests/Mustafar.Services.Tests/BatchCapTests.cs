using Mustafar.ClipEncoder;
using Mustafar.DiffusionEncoder;
using Mustafar.Generator;
using Mustafar.Models.Clip;
using Mustafar.Models.Diffusion;
using Mustafar.Models.Generation;
using Mustafar.Services.Tests.Clip;
using Mustafar.Services.Tests.Diffusion;
using Mustafar.Services.Tests.Generator;
using Mustafar.Services.Tests.Host;
using Mustafar.Testing;
using Mustafar.Contracts.Clip.V1;

namespace Mustafar.Services.Tests;

/// <summary>Each model service measures its own per-item time at start-up (encoders: per image or U-Net row; the
/// generator: per sequence of one decode step) and caps its batches where it stops improving: the cap is reported in
/// GetModelInfo and as a metric, and never exceeds the configured MaxBatchSize.</summary>
public sealed class BatchCapTests
{
    [Fact]
    public async Task The_clip_encoder_reports_its_calibrated_cap_within_the_configured_bound()
    {
        var settings = ClipHostFixture.Settings(maxBatchSize: 4);
        settings.Remove("Batching:CalibrateBatchSize");
        await using var host = await ServiceHost<ClipEncoderService, ClipVisionEncoder>.StartServingAsync(HostCheckpoints.Clip, ClipEncoderService.Loader, settings);
        var info = await new Mustafar.Contracts.Clip.V1.ClipEncoder.ClipEncoderClient(host.Channel).GetModelInfoAsync(new GetModelInfoRequest());
        var calibration = host.Runtime.Calibration!;
        Assert.Equal(4, info.MaxBatchSize);
        Assert.InRange(info.BatchCap, 1, 4);
        Assert.Equal(calibration.Cap, info.BatchCap);
        Assert.Equal(1, calibration.Measured[0].Size);
        Assert.Contains(calibration.Measured, m => m.Size == info.BatchCap);
        Assert.Equal(info.BatchCap, PrometheusText.Value(await host.MetricsAsync(), "mustafar_batch_cap"));
    }

    [Fact]
    public async Task The_diffusion_encoder_caps_rows_at_two_or_more_and_uncalibrated_reports_the_configured_size()
    {
        var settings = DiffusionHostFixture.Settings(maxBatchSize: 4);
        settings.Remove("Batching:CalibrateBatchSize");
        await using (var host = await ServiceHost<DiffusionEncoderService, StableDiffusionFeatureExtractor>.StartServingAsync(
            HostCheckpoints.Diffusion, DiffusionEncoderService.Loader, settings))
        {
            var info = await new Mustafar.Contracts.Diffusion.V1.DiffusionEncoder.DiffusionEncoderClient(host.Channel)
                .GetModelInfoAsync(new Mustafar.Contracts.Diffusion.V1.GetModelInfoRequest());
            Assert.InRange(info.BatchCap, 2, 4); // a guided request takes two rows
            Assert.Equal(2, host.Runtime.Calibration!.Measured[0].Size);
            Assert.Equal(info.BatchCap, PrometheusText.Value(await host.MetricsAsync(), "mustafar_batch_cap"));
        }

        await using var fixedSize = await ServiceHost<DiffusionEncoderService, StableDiffusionFeatureExtractor>.StartServingAsync(
            HostCheckpoints.Diffusion, DiffusionEncoderService.Loader, DiffusionHostFixture.Settings(maxBatchSize: 4));
        Assert.Null(fixedSize.Runtime.Calibration);
        var uncalibrated = await new Mustafar.Contracts.Diffusion.V1.DiffusionEncoder.DiffusionEncoderClient(fixedSize.Channel)
            .GetModelInfoAsync(new Mustafar.Contracts.Diffusion.V1.GetModelInfoRequest());
        Assert.Equal(4, uncalibrated.BatchCap);
    }

    [Fact]
    public async Task The_generator_reports_its_calibrated_decode_batch_cap_within_the_configured_bound()
    {
        var settings = GeneratorHostFixture.Settings(maxBatchSize: 4);
        settings.Remove("Batching:CalibrateBatchSize");
        await using var host = await ServiceHost<GeneratorService, GeneratorModel>.StartServingAsync(HostCheckpoints.Generator, GeneratorService.Loader, settings);
        var info = await new Mustafar.Contracts.Generation.V1.Generator.GeneratorClient(host.Channel).GetModelInfoAsync(new Mustafar.Contracts.Generation.V1.GetModelInfoRequest());
        var calibration = host.Runtime.Calibration!;
        Assert.Equal(4, info.MaxBatchSize);
        Assert.InRange(info.BatchCap, 1, info.MaxBatchSize);
        Assert.Equal(calibration.Cap, info.BatchCap);
        Assert.Equal(4, calibration.Configured);
        Assert.Equal(1, calibration.Measured[0].Size);
        Assert.All(calibration.Measured, m => Assert.True(m.PerItemMs > 0, $"b{m.Size} measured {m.PerItemMs} ms per sequence"));
        Assert.Contains(calibration.Measured, m => m.Size == info.BatchCap);
        Assert.Equal(info.BatchCap, PrometheusText.Value(await host.MetricsAsync(), "mustafar_batch_cap"));
    }
}
