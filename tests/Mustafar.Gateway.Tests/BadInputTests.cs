using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;
using Mustafar.Gateway.TestServers;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Gateway.Tests;

/// <summary>Every kind of bad input gets its exact status and OpenAI-style error JSON (gRPC: its status), and no
/// service is bothered with it.</summary>
public sealed class BadInputTests(MeshFixture fixture) : IClassFixture<MeshFixture>
{
    private TestMesh Mesh => fixture.Mesh;
    private static readonly string Image = TestImages.DataUrl(TestImages.Png(8, 8, 1234));

    private async Task<System.Text.Json.JsonElement> ExpectErrorAsync(JsonNode body, int status, string? param, string code, string type = "invalid_request_error")
    {
        var generate0 = Mesh.Generator.GenerateCalls;
        using var response = await ChatApi.PostAsync(Mesh.Gateway.Http, body);
        var error = await ChatApi.ErrorAsync(response, status);
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        if (param is null) Assert.Equal(System.Text.Json.JsonValueKind.Null, error.GetProperty("param").ValueKind);
        else Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(generate0, Mesh.Generator.GenerateCalls);
        return error;
    }

    [Fact]
    public Task A_data_url_that_is_not_base64_is_400() =>
        ExpectErrorAsync(ChatApi.Request("data:image/png;base64,@@not base64@@", "Q?"), 400, "messages[0].content[0].image_url", "invalid_image_url");

    [Fact]
    public Task A_data_url_without_base64_is_400() =>
        ExpectErrorAsync(ChatApi.Request("data:image/png,rawbytes", "Q?"), 400, "messages[0].content[0].image_url", "invalid_image_url");

    [Fact]
    public async Task Bytes_that_are_not_an_image_are_400()
    {
        var error = await ExpectErrorAsync(ChatApi.Request("data:image/png;base64," + Convert.ToBase64String(Encoding.UTF8.GetBytes("just some text, not pixels")), "Q?"),
            400, "messages[0].content[0].image_url", "invalid_value");
        Assert.Contains("not a PNG, JPEG or WebP image", error.GetProperty("message").GetString());
    }

    [Fact]
    public Task A_remote_url_not_on_the_allow_list_is_400_and_never_fetched() =>
        ExpectErrorAsync(ChatApi.Request("https://images.example.com/cat.png", "Q?"), 400, "messages[0].content[0].image_url", "remote_image_not_allowed");

    [Fact]
    public Task An_unknown_model_is_404() =>
        ExpectErrorAsync(ChatApi.Request(Image, "Q?", model: "gpt-4o"), 404, "model", "model_not_found");

    [Fact]
    public Task A_missing_question_is_400()
    {
        var body = ChatApi.Request(Image, "Q?");
        body["messages"]![0]!["content"]!.AsArray().RemoveAt(1);
        return ExpectErrorAsync(body, 400, "messages[0].content", "missing_question");
    }

    [Fact]
    public Task Two_images_are_400()
    {
        var body = ChatApi.Request(Image, "Q?");
        body["messages"]![0]!["content"]!.AsArray().Add(new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = Image } });
        return ExpectErrorAsync(body, 400, "messages[0].content[2].image_url", "too_many_images");
    }

    [Fact]
    public Task No_image_is_400() =>
        ExpectErrorAsync(new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hello?" }) }, 400, "messages", "missing_image");

    [Fact]
    public Task Malformed_json_is_400() =>
        ExpectErrorAsync(JsonNode.Parse("{\"messages\": [{\"role\": \"user\", \"content\": 5}], \"temperature\": \"hot\"}")!, 400, "temperature", "invalid_json");

    [Fact]
    public Task A_bad_prompt_mode_is_400() =>
        ExpectErrorAsync(ChatApi.Request(Image, "Q?", new JsonObject { ["prompt_mode"] = "loud" }), 400, "mustafar.prompt_mode", "invalid_value");

    [Fact]
    public Task A_timestep_outside_the_schedule_is_400() =>
        ExpectErrorAsync(ChatApi.Request(Image, "Q?", new JsonObject { ["timestep"] = 5000 }), 400, "mustafar.timestep", "invalid_value");

    [Fact]
    public Task A_tap_of_the_wrong_size_for_the_generator_is_400() =>
        ExpectErrorAsync(ChatApi.Request(Image, "Q?", new JsonObject { ["diffusion_tap"] = TestDiffusionEncoder.SmallTap }), 400, "mustafar.diffusion_tap", "invalid_value");

    [Fact]
    public async Task An_oversized_body_is_413()
    {
        await using var gateway = await Mesh.StartGatewayAsync(s => s.Set("Gateway:Limits:MaxRequestBodyBytes", 64 * 1024));
        var big = TestImages.DataUrl(new byte[100 * 1024]);
        using var response = await ChatApi.PostAsync(gateway.Http, ChatApi.Request(big, "Q?"));
        var error = await ChatApi.ErrorAsync(response, 413);
        Assert.Equal("request_too_large", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_oversized_chunked_body_is_413_too()
    {
        await using var gateway = await Mesh.StartGatewayAsync(s => s.Set("Gateway:Limits:MaxRequestBodyBytes", 64 * 1024));
        var json = ChatApi.Request(TestImages.DataUrl(new byte[100 * 1024]), "Q?").ToJsonString();
        using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await gateway.Http.SendAsync(request);
        await ChatApi.ErrorAsync(response, 413);
    }

    [Fact]
    public async Task An_image_over_the_image_limit_is_413()
    {
        await using var gateway = await Mesh.StartGatewayAsync(s => s.Set("Gateway:Limits:MaxImagePixels", 16));
        using var response = await ChatApi.PostAsync(gateway.Http, ChatApi.Request(Image, "Q?"));
        var error = await ChatApi.ErrorAsync(response, 413);
        Assert.Equal("messages[0].content[0].image_url", error.GetProperty("param").GetString());
        Assert.Equal("too_large", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Vqa_form_without_a_question_or_an_image_is_400()
    {
        using var noQuestion = new MultipartFormDataContent { { new ByteArrayContent(TestImages.Unique()), "image", "a.png" } };
        var error = await ChatApi.ErrorAsync(await Mesh.Gateway.Http.PostAsync("/v1/vqa", noQuestion), 400);
        Assert.Equal("question", error.GetProperty("param").GetString());

        using var noImage = new MultipartFormDataContent { { new StringContent("Q?"), "question" } };
        error = await ChatApi.ErrorAsync(await Mesh.Gateway.Http.PostAsync("/v1/vqa", noImage), 400);
        Assert.Equal("image", error.GetProperty("param").GetString());

        using var json = new StringContent("{}", Encoding.UTF8, "application/json");
        error = await ChatApi.ErrorAsync(await Mesh.Gateway.Http.PostAsync("/v1/vqa", json), 415);
        Assert.Equal("invalid_content_type", error.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData(null)]
    public async Task A_chat_body_not_declared_as_json_is_415(string? contentType)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(ChatApi.Request(Image, "Q?").ToJsonString()));
        if (contentType is not null) content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        var error = await ChatApi.ErrorAsync(await Mesh.Gateway.Http.PostAsync("/v1/chat/completions", content), 415);
        Assert.Equal("invalid_content_type", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_lone_surrogate_escape_is_400_naming_the_field()
    {
        var json = ChatApi.Request(Image, "LONE").ToJsonString().Replace("LONE", "a\\ud800b", StringComparison.Ordinal);
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        var error = await ChatApi.ErrorAsync(await Mesh.Gateway.Http.PostAsync("/v1/chat/completions", content), 400);
        Assert.Equal("messages[0].content[1].text", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_is_400_without_dotnet_type_names()
    {
        var body = ChatApi.Request(Image, "Q?");
        body["max_tokens"] = 1L << 40;
        var error = await ExpectErrorAsync(body, 400, "max_tokens", "invalid_json");
        Assert.Equal("the body is not a valid chat completion request: max_tokens must be an integer from -2147483648 to 2147483647",
            error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Unknown_paths_and_models_answer_404_json()
    {
        var error = await ChatApi.ErrorAsync(await Mesh.Gateway.Http.GetAsync("/v1/nothing-here"), 404);
        Assert.Equal("unknown_url", error.GetProperty("code").GetString());
        error = await ChatApi.ErrorAsync(await Mesh.Gateway.Http.GetAsync("/v1/models/gpt-4o"), 404);
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("", "Q?", StatusCode.InvalidArgument, "image")]
    [InlineData("not an image", "Q?", StatusCode.InvalidArgument, "image")]
    [InlineData("png", "", StatusCode.InvalidArgument, "question")]
    [InlineData("png", "Q?", StatusCode.NotFound, "options.model", "other-model")]
    public async Task Grpc_bad_input_gets_its_status_with_the_field_named(string image, string question, StatusCode status, string field, string model = "")
    {
        var bytes = image == "png" ? TestImages.Unique() : Encoding.UTF8.GetBytes(image);
        var request = new AskRequest { Image = Google.Protobuf.ByteString.CopyFrom(bytes), Question = question, Options = new AskOptions { Model = model } };
        using var call = Mesh.Gateway.Vqa.Ask(request, deadline: DateTime.UtcNow.AddSeconds(30));
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(status, error.StatusCode);
        Assert.StartsWith(field + ":", error.Status.Detail);
    }

    [Fact]
    public async Task Grpc_image_over_the_limit_is_resource_exhausted()
    {
        await using var gateway = await Mesh.StartGatewayAsync(s => s.Set("Gateway:Limits:MaxImageBytes", 64));
        using var call = gateway.Vqa.Ask(new AskRequest { Image = Google.Protobuf.ByteString.CopyFrom(TestImages.Unique()), Question = "Q?" });
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task A_remote_url_on_the_allow_list_is_fetched()
    {
        Mesh.GeneratorHost.Files["photo.png"] = TestImages.Unique();
        await using var gateway = await Mesh.StartGatewayAsync(s => s.Set("Gateway:RemoteImages:AllowedHosts:0", "127.0.0.1"));
        var completion = await ChatApi.AskAsync(gateway.Http, ChatApi.Request($"{Mesh.GeneratorHost.HealthAddress}/files/photo.png", "Q?"));
        Assert.Equal(TestFeatureMath.Sha256(Mesh.GeneratorHost.Files["photo.png"]), completion.GetProperty("mustafar").GetProperty("image_id").GetString());

        using var missing = await ChatApi.PostAsync(gateway.Http, ChatApi.Request($"{Mesh.GeneratorHost.HealthAddress}/files/missing.png", "Q?"));
        var error = await ChatApi.ErrorAsync(missing, (int)HttpStatusCode.BadRequest);
        Assert.Equal("image_fetch_failed", error.GetProperty("code").GetString());
        Assert.Equal("fetching the image failed: HTTP 404", error.GetProperty("message").GetString()); // nothing about redirects

        using var redirected = await ChatApi.PostAsync(gateway.Http, ChatApi.Request($"{Mesh.GeneratorHost.HealthAddress}/redirect/photo.png", "Q?"));
        error = await ChatApi.ErrorAsync(redirected, (int)HttpStatusCode.BadRequest);
        Assert.Equal("fetching the image failed: HTTP 302 (redirects are not followed)", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_zero_max_completion_tokens_names_max_completion_tokens()
    {
        var body = ChatApi.Request(Image, "Q?");
        body.Remove("max_tokens");
        body["max_completion_tokens"] = 0;
        await ExpectErrorAsync(body, 400, "max_completion_tokens", "invalid_value");
    }

    [Fact]
    public async Task A_form_integer_past_its_range_is_out_of_range_not_not_an_integer()
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(TestImages.Unique()), "image", "a.png" },
            { new StringContent("Q?"), "question" },
            { new StringContent("2147483648"), "max_tokens" },
        };
        var error = await ChatApi.ErrorAsync(await Mesh.Gateway.Http.PostAsync("/v1/vqa", form), 400);
        Assert.Equal("max_tokens", error.GetProperty("param").GetString());
        Assert.Equal("2147483648 is out of range: an integer from -2147483648 to 2147483647", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("GET", "/v1/chat/completions", "POST")]
    [InlineData("PUT", "/v1/vqa", "POST")]
    [InlineData("POST", "/v1/models", "GET")]
    [InlineData("DELETE", "/v1/models/some-model", "GET")]
    public async Task A_known_path_with_the_wrong_method_is_405_with_allow(string method, string path, string allowed)
    {
        using var response = await Mesh.Gateway.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(allowed, string.Join(",", response.Content.Headers.Allow));
        var error = await ChatApi.ErrorAsync(response, 405);
        Assert.Equal("method_not_allowed", error.GetProperty("code").GetString());
    }
}
