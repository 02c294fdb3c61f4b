using Mustafar.Models.Checkpoints;
using Mustafar.Models.Diffusion.Scheduling;
using Mustafar.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Diffusion;

/// <summary>Parity of the noise schedule with diffusers' DDPMScheduler (scheduler fixture). libtorch's float32
/// linspace rounds a few values one ulp differently from the reference's torch 1.13 (vectorised arange), so the
/// schedule is compared at ulp level rather than bit for bit.</summary>
public sealed class DdpmNoiseScheduleTests
{
    [SkippableFact]
    public void Betas_alphas_cumprod_and_add_noise_match_diffusers()
    {
        var folder = ReferenceFixtures.Require("scheduler");
        using var scope = NewDisposeScope();
        using var schedule = DdpmNoiseSchedule.Load(Path.Combine(folder, "scheduler_config.json"));
        var inputs = FixtureTensors.Read(folder, "inputs.safetensors");
        var outputs = FixtureTensors.Read(folder, "outputs.safetensors");

        FixtureTensors.AssertClose(outputs["betas"], schedule.Betas, 1e-8, "betas");
        FixtureTensors.AssertClose(outputs["alphas"], schedule.Alphas, 1e-7, "alphas");
        FixtureTensors.AssertClose(outputs["alphas_cumprod"], schedule.AlphasCumprod, 1e-7, "alphas_cumprod");
        var (original, noise) = (inputs["original"], inputs["noise"]);
        var batch = original.shape[0];
        foreach (var t in inputs["timesteps"].data<long>().ToArray())
        {
            var noisy = schedule.AddNoise(original, noise, full(batch, t, dtype: int64));
            FixtureTensors.AssertClose(outputs[$"noisy_t{t}"], noisy, 1e-6, $"noisy_t{t}");
        }
        FixtureTensors.AssertClose(outputs["noisy_mixed"], schedule.AddNoise(original, noise, inputs["mixed_timesteps"]), 1e-6, "noisy_mixed");
    }

    [Fact]
    public void Linear_schedules_work_and_unknown_schedules_fail_naming_the_value()
    {
        using var scope = NewDisposeScope();
        var linear = new HfConfig(new() { ["beta_schedule"] = "linear", ["num_train_timesteps"] = 10, ["beta_start"] = 0.1, ["beta_end"] = 0.2 }, "test");
        using var schedule = DdpmNoiseSchedule.FromConfig(linear);
        Assert.Equal(0.2f, schedule.Betas[9].item<float>(), 6);
        Assert.Equal(0.9f * 0.8f, schedule.AlphasCumprod[9].item<float>() / schedule.AlphasCumprod[8].item<float>() * 0.9f, 5);

        var unknown = new HfConfig(new() { ["beta_schedule"] = "sigmoid" }, "test");
        var error = Assert.Throws<NotSupportedException>(() => DdpmNoiseSchedule.FromConfig(unknown));
        Assert.Contains("sigmoid", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Timesteps_outside_the_schedule_are_refused()
    {
        using var scope = NewDisposeScope();
        using var schedule = DdpmNoiseSchedule.FromConfig(new HfConfig(new() { ["num_train_timesteps"] = 10 }, "test"));
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.AddNoise(zeros(1, 2), zeros(1, 2), tensor(new long[] { 10 })));
    }
}
