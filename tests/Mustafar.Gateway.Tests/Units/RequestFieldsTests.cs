using Mustafar.Gateway.Api;

namespace Mustafar.Gateway.Tests.Units;

public sealed class RequestFieldsTests
{
    private const string ImagePart = "messages[0].content[1].image_url";

    [Theory]
    [InlineData("image", ImagePart)]
    [InlineData(ImagePart, ImagePart)] // the pipeline's own image errors already use the API's name
    [InlineData("prompt", "messages[2].content")]
    [InlineData("messages", "messages")]
    [InlineData("sampling.max_new_tokens", "max_tokens")]
    [InlineData("sampling.top_p", "top_p")]
    [InlineData("sampling.seed", "seed")]
    [InlineData("sampling.stop[3]", "stop")]
    [InlineData("sampling.top_k", "mustafar.top_k")]
    [InlineData("sampling.repetition_penalty", "mustafar.repetition_penalty")]
    [InlineData("timestep", "mustafar.timestep")]
    [InlineData("seed", "mustafar.seed")]
    [InlineData("taps", "mustafar.diffusion_tap")]
    [InlineData("model", "model")]
    [InlineData("features[\"clip\"]", "features[\"clip\"]")] // not the caller's field: passed on as the service named it
    public void Chat_names_the_fields_as_openai_clients_send_them(string service, string api) =>
        Assert.Equal(api, RequestFields.Chat(ImagePart, "messages[2].content", customPrompt: false, maxCompletionTokens: false).Translate(service));

    [Fact]
    public void Chat_names_the_custom_prompt_and_max_completion_tokens_when_those_were_sent()
    {
        var fields = RequestFields.Chat(ImagePart, "messages[0].content", customPrompt: true, maxCompletionTokens: true);
        Assert.Equal(("mustafar.custom_prompt", "max_completion_tokens"), (fields.Translate("prompt"), fields.Translate("sampling.max_new_tokens")));
    }

    [Theory]
    [InlineData("image", "image")]
    [InlineData("question", "question")]
    [InlineData("prompt", "question")]
    [InlineData("messages", "question")]
    [InlineData("sampling.top_p", "options.sampling.top_p")]
    [InlineData("sampling.stop[0]", "options.sampling.stop[0]")]
    [InlineData("guidance_scale", "options.guidance_scale")]
    [InlineData("model", "options.model")]
    [InlineData("taps", "options.diffusion_tap")]
    public void Ask_names_the_proto_paths_of_its_request(string service, string api) =>
        Assert.Equal(api, RequestFields.Ask(customPrompt: false).Translate(service));

    [Theory]
    [InlineData("prompt", "question")]
    [InlineData("sampling.max_new_tokens", "max_tokens")]
    [InlineData("sampling.seed", "sampling_seed")]
    [InlineData("sampling.top_k", "top_k")]
    [InlineData("seed", "seed")]
    [InlineData("timestep", "timestep")]
    public void The_form_names_its_fields(string service, string api) =>
        Assert.Equal(api, RequestFields.Form(customPrompt: false).Translate(service));
}
