using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Gateway.Pipeline;
using Mustafar.Tensors;

namespace Mustafar.Gateway.Tests.Units;

public class DiffusionConditioningTests
{
    private static readonly ModelInfo Service = new()
    {
        ModelId = "sd", NumTrainTimesteps = 1000, DefaultTimestep = 50, DefaultSeed = 7, DefaultGuidanceScale = 0f,
        DefaultTaps = { "U-L1-R1-B0-Cross-Q" },
    };

    private static Contracts.Generation.V1.FeatureSpec Trained(string prompt = "", int? timestep = null, float? scale = null)
    {
        var spec = new Contracts.Generation.V1.FeatureSpec { Name = "diffusion", DiffusionTap = "U-L1-R1-B0-Cross-Q", Tokens = 256, Channels = 1280, DiffusionPromptMode = prompt };
        if (timestep is { } t) spec.DiffusionTimestep = t;
        if (scale is { } s) spec.DiffusionGuidanceScale = s;
        return spec;
    }

    [Fact]
    public void Without_request_or_gateway_settings_the_trained_settings_apply()
    {
        var resolved = DiffusionConditioning.Resolve(new DiffusionChoice(), "what is red?", new DiffusionDefaults(), Service, Trained("question", 100, 4f));
        Assert.Equal((DiffusionPromptMode.Question, "what is red?", 100, 4f, 7UL), (resolved.PromptMode, resolved.Prompt, resolved.Timestep, resolved.GuidanceScale, resolved.Seed));
    }

    [Fact]
    public void A_module_trained_on_unconditional_features_gets_the_empty_prompt_by_default()
    {
        var resolved = DiffusionConditioning.Resolve(new DiffusionChoice(), "what is red?", new DiffusionDefaults(), Service, Trained("empty"));
        Assert.Equal(DiffusionPromptMode.Empty, resolved.PromptMode);
        Assert.Equal("", resolved.Prompt);
        Assert.False(resolved.NeedsConditional);
    }

    [Fact]
    public void Gateway_configuration_overrides_the_trained_settings_and_the_request_overrides_both()
    {
        var gateway = new DiffusionDefaults { PromptMode = DiffusionPromptMode.Empty, Timestep = 10, GuidanceScale = 1f };
        var fromGateway = DiffusionConditioning.Resolve(new DiffusionChoice(), "q", gateway, Service, Trained("question", 100, 4f));
        Assert.Equal((DiffusionPromptMode.Empty, 10, 1f), (fromGateway.PromptMode, fromGateway.Timestep, fromGateway.GuidanceScale));

        var request = new DiffusionChoice { PromptMode = DiffusionPromptMode.Question, Timestep = 250, GuidanceScale = 7f };
        var fromRequest = DiffusionConditioning.Resolve(request, "q", gateway, Service, Trained("question", 100, 4f));
        Assert.Equal((DiffusionPromptMode.Question, 250, 7f), (fromRequest.PromptMode, fromRequest.Timestep, fromRequest.GuidanceScale));
    }

    [Fact]
    public void Without_trained_settings_the_service_defaults_apply()
    {
        var resolved = DiffusionConditioning.Resolve(new DiffusionChoice(), "q", new DiffusionDefaults(), Service, Trained());
        Assert.Equal((DiffusionPromptMode.Question, 50, 0f), (resolved.PromptMode, resolved.Timestep, resolved.GuidanceScale));
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(100.5f)]
    [InlineData(1e30f)]
    public void A_guidance_scale_outside_0_to_100_names_the_field(float scale)
    {
        var error = Assert.Throws<InvalidInputException>(() =>
            DiffusionConditioning.Resolve(new DiffusionChoice { GuidanceScale = scale }, "q", new DiffusionDefaults(), Service, Trained()));
        Assert.Equal("guidance_scale", error.Field);
    }

    [Fact]
    public void A_timestep_outside_the_schedule_names_the_field()
    {
        var error = Assert.Throws<InvalidInputException>(() =>
            DiffusionConditioning.Resolve(new DiffusionChoice { Timestep = 1000 }, "q", new DiffusionDefaults(), Service, Trained()));
        Assert.Equal("timestep", error.Field);
    }
}
