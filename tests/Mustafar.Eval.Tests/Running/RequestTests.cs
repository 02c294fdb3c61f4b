using Mustafar.Eval.Clients;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Eval.Tests.Running;

/// <summary>The options of a run reach the gateway under the names each API gives them.</summary>
public sealed class RequestTests
{
    private static readonly EvalTarget Base = new(new Uri("http://127.0.0.1:8080"), AnswerApi.Chat, new AskSettings());

    [Fact]
    public void A_variant_overrides_the_base_settings()
    {
        var (name, target) = TargetOptions.ParseVariant("s4:guidance=4,prompt=empty,timestep=50,api=grpc,url=http://127.0.0.1:8081", Base);

        Assert.Equal("s4", name);
        Assert.Equal((4f, "empty", 50, AnswerApi.Grpc), (target.Settings.GuidanceScale, target.Settings.PromptMode, target.Settings.Timestep, target.Api));
        Assert.Equal(new Uri("http://127.0.0.1:8081"), target.Url);
        Assert.Equal(0f, target.Settings.Temperature);
        Assert.Contains("checkpoint", Assert.Throws<ArgumentException>(() => TargetOptions.ParseVariant("clip:fusion=clip-only", Base)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Chat_body_is_greedy_with_the_image_as_a_data_url_and_the_mustafar_extension()
    {
        var settings = new AskSettings { MaxTokens = 8, GuidanceScale = 4, PromptMode = "custom", CustomPrompt = "a photo", DiffusionTap = "U-L1-R1-B0-Cross-Q" };
        var body = ChatCompletionsClient.Body([0x89, (byte)'P', (byte)'N', (byte)'G'], "What colour?", settings);

        Assert.Equal(0f, body["temperature"]!.GetValue<float>());
        Assert.Equal(8, body["max_tokens"]!.GetValue<int>());
        Assert.StartsWith("data:image/png;base64,", body["messages"]![0]!["content"]![0]!["image_url"]!["url"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("What colour?", body["messages"]![0]!["content"]![1]!["text"]!.GetValue<string>());
        Assert.Equal("""{"prompt_mode":"custom","custom_prompt":"a photo","guidance_scale":4,"diffusion_tap":"U-L1-R1-B0-Cross-Q"}""", body["mustafar"]!.ToJsonString());
    }

    [Fact]
    public void Vqa_form_fields_and_grpc_options_carry_the_same_settings()
    {
        var settings = new AskSettings { GuidanceScale = 1.5f, Timestep = 10, PromptMode = "empty", DiffusionSeed = 3 };

        var fields = VqaFormClient.Fields("q", settings).ToDictionary(f => f.Name, f => f.Value);
        Assert.Equal(("1.5", "10", "empty", "3", "0"), (fields["guidance_scale"], fields["timestep"], fields["prompt_mode"], fields["seed"], fields["temperature"]));
        var request = GrpcAskClient.Request([1], "q", settings);
        Assert.Equal((1.5f, 10, PromptMode.Empty, 3UL, 0f), (request.Options.GuidanceScale, request.Options.Timestep, request.Options.PromptMode, request.Options.Seed, request.Options.Sampling.Temperature));
    }
}
