using System.Text.Json.Nodes;
using Mustafar.IntegrationTests.Mesh;

namespace Mustafar.IntegrationTests.BadInput;

/// <summary>
/// Malformed requests to the gateway's HTTP API, by group. Decisions they pin down:
/// <list type="bullet">
/// <item>Unknown JSON fields are ignored, at the top level and inside "mustafar", as OpenAI does (clients send fields
/// newer than the server knows); so are unknown multipart fields.</item>
/// <item>A body that is not declared as JSON is 415, also when the Content-Type is missing; so is anything but gRPC
/// on a proxied gRPC route. A known path asked with another method is 405.</item>
/// <item>A size limit, the gateway's or a service's (pixels, characters, tokens of the context window) is 413
/// "too_large"; the param names the caller's field.</item>
/// <item>Errors that the services raise name the caller's field: OpenAI's names ("max_tokens", "top_p"), the
/// Mustafar options under "mustafar." and the image part's path.</item>
/// <item>Text is taken as sent (NUL, bidirectional overrides, zero-width and combining characters), except an
/// unpaired surrogate escape, which no UTF-8 message can carry: 400.</item>
/// </list>
/// </summary>
public static class HttpCases
{
    /// <summary>The image part of <see cref="BadInputFixture.GoodChat"/> (text first, then the image).</summary>
    private const string ImageParam = "messages[0].content[1].image_url";
    private const string QuestionParam = "messages[0].content";
    private const string TextParam = "messages[0].content[0].text";

    public static readonly IReadOnlyDictionary<string, Func<IEnumerable<BadInputCase>>> Groups = new Dictionary<string, Func<IEnumerable<BadInputCase>>>
    {
        ["http-images"] = Images,
        ["http-body"] = Bodies,
        ["http-numbers"] = Numbers,
        ["http-text"] = Text,
        ["http-openai-fields"] = OpenAiFields,
    };

    private static BadInputCase Chat(string name, Func<JsonObject> body, Outcome expected) =>
        new(name, f => Probes.HttpAsync(f.Http, Probes.Json(body())), expected);

    /// <summary>A case whose JSON is edited as text (for what a JSON writer would never produce).</summary>
    private static BadInputCase ChatText(string name, Func<string> body, Outcome expected) =>
        new(name, f => Probes.HttpAsync(f.Http, Probes.Json(body())), expected);

    /// <summary>A case whose JSON is sent as raw bytes (for bytes that are not UTF-8).</summary>
    private static BadInputCase ChatBytes(string name, Func<byte[]> body, Outcome expected) => new(name, f =>
    {
        var content = new ByteArrayContent(body());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return Probes.HttpAsync(f.Http, content);
    }, expected);

    /// <summary>The JSON of <paramref name="body"/> with <paramref name="marker"/> replaced by raw bytes.</summary>
    private static byte[] WithRawBytes(JsonObject body, string marker, byte[] bytes)
    {
        var parts = body.ToJsonString().Split(marker);
        return [.. System.Text.Encoding.UTF8.GetBytes(parts[0]), .. bytes, .. System.Text.Encoding.UTF8.GetBytes(parts[1])];
    }

    private static BadInputCase Form(string name, (string, string)[] fields, Outcome expected) =>
        new(name, f => Probes.HttpAsync(f.Http, Probes.Form(SampleImages.StillLife, [("question", BadInputFixture.Question), ("max_tokens", "2"), .. fields]), "/v1/vqa"), expected);

    private static JsonObject Good() => BadInputFixture.GoodChat();

    private static JsonObject With(string field, JsonNode? value)
    {
        var body = Good();
        body[field] = value;
        return body;
    }

    private static JsonObject WithOption(string option, JsonNode? value)
    {
        var body = Good();
        body["mustafar"]![option] = value;
        return body;
    }

    private static JsonObject WithImage(byte[] image) => GatewayClient.ChatBody(image, BadInputFixture.Question, stream: false, maxTokens: 2);

    private static ByteArrayContent Bytes(int length, string? contentType)
    {
        var content = new ByteArrayContent(new byte[length]);
        if (contentType is not null) content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        return content;
    }

    private static JsonObject WithBypass(JsonObject body)
    {
        body["mustafar"] = new JsonObject { ["bypass_cache"] = true };
        return body;
    }

    /// <summary>Sends a request <paramref name="times"/> times, one after the other, for answers that depend on a race.</summary>
    private static async Task<Outcome> RepeatedAsync(int times, Func<Task<Outcome>> send)
    {
        var outcomes = new List<Outcome>();
        for (var i = 0; i < times; i++) outcomes.Add(await send());
        return Unanimous(outcomes);
    }

    /// <summary>Sends a request <paramref name="times"/> times at once (the encoders answer in varying order).</summary>
    private static async Task<Outcome> ConcurrentAsync(int times, Func<Task<Outcome>> send) =>
        Unanimous(await Task.WhenAll(Enumerable.Range(0, times).Select(_ => send())));

    /// <summary>The one outcome every try got, or an outcome that lists the different ones (and matches no case).</summary>
    private static Outcome Unanimous(IReadOnlyCollection<Outcome> outcomes)
    {
        var distinct = outcomes.Distinct().ToList();
        return distinct.Count == 1 ? distinct[0]
            : new Outcome($"different answers to the same request: {string.Join("; ", distinct.Select(o => $"{o} x{outcomes.Count(x => x == o)}"))}");
    }

    private static JsonObject WithImageUrl(string url)
    {
        var body = Good();
        body["messages"]![0]!["content"]![1]!["image_url"]!["url"] = url;
        return body;
    }

    private static JsonObject WithQuestion(string question) => GatewayClient.ChatBody(SampleImages.StillLife, question, stream: false, maxTokens: 2);

    private static IEnumerable<BadInputCase> Images() =>
    [
        Chat("truncated PNG", () => WithImage(MalformedImages.TruncatedPng), Outcome.Http400(ImageParam)),
        new("truncated PNG, cache bypassed, 16 at once (both encoders reject it in parallel; the cancelled one is not the answer)",
            f => ConcurrentAsync(16, () => Probes.HttpAsync(f.Http, Probes.Json(WithBypass(WithImage(MalformedImages.TruncatedPng))))), Outcome.Http400(ImageParam)),
        Chat("PNG cut inside its header", () => WithImage(MalformedImages.TruncatedHeader), Outcome.Http400(ImageParam)),
        Chat("JPEG marker then noise", () => WithImage(MalformedImages.BrokenJpeg), Outcome.Http400(ImageParam)),
        Chat("text, not an image", () => WithImage(MalformedImages.NotAnImage), Outcome.Http400(ImageParam)),
        Chat("zip bomb: 100000 x 100000 declared, 300 bytes sent", () => WithImage(MalformedImages.Bomb(100_000, 100_000)), Outcome.Http413(ImageParam)),
        new("bomb within the gateway's pixel cap but over the services'", f => Probes.HttpAsync(f.Http, Probes.Json(WithImage(f.BombOverServiceCap))), Outcome.Http413(ImageParam)),
        Chat("0 x 0 PNG", () => WithImage(MalformedImages.ZeroByZero), Outcome.Http400(ImageParam)),
        // A strip past 1000:1 is refused from its header by the gateway (the encoders would refuse it too); one
        // within it is served, padded to a square that is never drawn. 30000 x 1 was 502 upstream_error (overflow).
        Chat("20000 x 1 PNG (aspect ratio past 1000:1)", () => WithImage(MalformedImages.Strip(20_000, 1)), Outcome.Http400(ImageParam)),
        Chat("30000 x 1 PNG", () => WithImage(MalformedImages.Strip(30_000, 1)), Outcome.Http400(ImageParam)),
        Chat("1 x 30000 PNG", () => WithImage(MalformedImages.Strip(1, 30_000)), Outcome.Http400(ImageParam)),
        Chat("1000000 x 1 PNG", () => WithImage(MalformedImages.Strip(1_000_000, 1)), Outcome.Http400(ImageParam)),
        Chat("20000 x 20 PNG (1000:1, served)", () => WithImage(MalformedImages.Strip(20_000, 20)), Outcome.HttpOk),
        Chat("16-bit greyscale PNG (served)", () => WithImage(MalformedImages.SixteenBitGrey()), Outcome.HttpOk),
        new("30000 x 1 PNG to the form endpoint", f => Probes.HttpAsync(f.Http,
            Probes.Form(MalformedImages.Strip(30_000, 1), ("question", BadInputFixture.Question), ("max_tokens", "2")), "/v1/vqa"), Outcome.Http400("image")),
        Chat("empty data: URL", () => WithImageUrl("data:image/png;base64,"), Outcome.Http400(ImageParam)),
        Chat("invalid base64", () => WithImageUrl("data:image/png;base64,@@not*base64@@"), Outcome.Http400(ImageParam, "invalid_image_url")),
        Chat("data: URL of a non-image type", () => WithImageUrl("data:text/plain;base64,aGVsbG8="), Outcome.Http400(ImageParam, "invalid_image_url")),
        Chat("data: URL without base64", () => WithImageUrl("data:image/png,rawbytes"), Outcome.Http400(ImageParam, "invalid_image_url")),
        Chat("remote URL not on the allow-list", () => WithImageUrl("http://169.254.169.254/latest/meta-data"), Outcome.Http400(ImageParam, "remote_image_not_allowed")),
        Chat("image_url that is a number", () =>
        {
            var body = Good();
            body["messages"]![0]!["content"]![1]!["image_url"] = 5;
            return body;
        }, Outcome.Http400(ImageParam + ".url")),
    ];

    private static IEnumerable<BadInputCase> Bodies() =>
    [
        new("100 MB body", f => Probes.HttpAsync(f.Http, new HugeJsonContent(100L << 20), expectContinue: true), Outcome.Http413(null, "request_too_large")),
        new("text/plain body", f => Probes.HttpAsync(f.Http, new StringContent(Good().ToJsonString(), System.Text.Encoding.UTF8, "text/plain")),
            Outcome.Http(415, null, "invalid_request_error", "invalid_content_type")),
        new("no Content-Type", f =>
        {
            var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(Good().ToJsonString()));
            return Probes.HttpAsync(f.Http, content);
        }, Outcome.Http(415, null, "invalid_request_error", "invalid_content_type")),
        new("form data to the chat endpoint", f => Probes.HttpAsync(f.Http, Probes.Form(SampleImages.StillLife, ("question", "Q?"))),
            Outcome.Http(415, null, "invalid_request_error", "invalid_content_type")),
        new("JSON to the form endpoint", f => Probes.HttpAsync(f.Http, Probes.Json(Good()), "/v1/vqa"),
            Outcome.Http(415, null, "invalid_request_error", "invalid_content_type")),
        .. new[] { "application/json", "text/plain", "application/grpc-web", null }.Select(contentType =>
            new BadInputCase($"{contentType ?? "no"} Content-Type to a proxied gRPC method, 5 times (never forwarded, never blames the destination)",
                f => RepeatedAsync(5, () => Probes.HttpAsync(f.GrpcPortHttp, Bytes(256 * 1024, contentType), "/mustafar.clip.v1.ClipEncoder/Encode", http2: true)),
                Outcome.Http(415, null, "invalid_request_error", "invalid_content_type"))),
        new("GET /v1/chat/completions", f => Probes.HttpAsync(f.Http, null, method: HttpMethod.Get), Outcome.Http(405, null, "invalid_request_error", "method_not_allowed")),
        new("PUT /v1/vqa", f => Probes.HttpAsync(f.Http, Probes.Json("{}"), "/v1/vqa", method: HttpMethod.Put), Outcome.Http(405, null, "invalid_request_error", "method_not_allowed")),
        ChatText("malformed JSON", () => """{"max_tokens": tru}""", Outcome.Http400("max_tokens", "invalid_json")),
        ChatText("truncated JSON", () => Good().ToJsonString()[..40], Outcome.Http400(null, "invalid_json")),
        ChatText("empty body", () => "", Outcome.Http400(null, "invalid_json")),
        ChatText("a JSON array", () => "[]", Outcome.Http400(null, "invalid_json")),
        ChatText("messages is an object", () => """{"messages": {}}""", Outcome.Http400("messages", "invalid_json")),
        ChatText("100000 tiny messages", () => "{\"messages\": [" + string.Join(",", Enumerable.Repeat("{\"role\":\"user\",\"content\":\"x\"}", 100_000)) + "]}",
            Outcome.Http413("messages")),
        ChatText("a message of 100000 tiny content parts", () => "{\"messages\": [{\"role\":\"user\",\"content\":[" +
            string.Join(",", Enumerable.Repeat("{\"type\":\"text\",\"text\":\"x\"}", 100_000)) + "]}]}", Outcome.Http413("messages")),
        Chat("no messages", () => With("messages", new JsonArray()), Outcome.Http400("messages")),
        Chat("n = 2", () => With("n", 2), Outcome.Http400("n")),
        Chat("unknown fields everywhere (ignored)", () =>
        {
            var body = With("user", "alice");
            body["frobnicate"] = new JsonObject { ["x"] = 1 };
            body["mustafar"]!["future_option"] = "x";
            body["messages"]![0]!["name"] = "alice";
            return body;
        }, Outcome.HttpOk),
        Form("unknown form field (ignored)", [("frobnicate", "1")], Outcome.HttpOk),
        new("form without the image", f =>
        {
            var form = new MultipartFormDataContent { { new StringContent("Q?"), "question" } };
            return Probes.HttpAsync(f.Http, form, "/v1/vqa");
        }, Outcome.Http400("image", "missing_image")),
    ];

    private static BadInputCase Unsupported(string field, JsonNode value) =>
        Chat($"{field} {value.ToJsonString()}", () => With(field, value), Outcome.Http400(field, "unsupported_parameter"));

    /// <summary>OpenAI fields the gateway does not implement: each is refused naming it, unless its value asks for
    /// nothing; stream_options belongs to streams.</summary>
    private static IEnumerable<BadInputCase> OpenAiFields() =>
    [
        Unsupported("response_format", new JsonObject { ["type"] = "json_object" }),
        Unsupported("response_format", new JsonObject { ["type"] = "json_schema", ["json_schema"] = new JsonObject { ["name"] = "x" } }),
        Unsupported("tools", new JsonArray(new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = "f" } })),
        Unsupported("tool_choice", "auto"),
        Unsupported("tool_choice", "required"),
        Chat("frequency_penalty 2.5", () => With("frequency_penalty", 2.5), Outcome.Http400("frequency_penalty")),
        Chat("presence_penalty -3", () => With("presence_penalty", -3), Outcome.Http400("presence_penalty")),
        Chat("frequency_penalty \"1\"", () => With("frequency_penalty", "1"), Outcome.Http400("frequency_penalty", "invalid_json")),
        Chat("logit_bias key not a token id", () => With("logit_bias", new JsonObject { ["abc"] = 1 }), Outcome.Http400("logit_bias.abc")),
        Chat("logit_bias value 101", () => With("logit_bias", new JsonObject { ["5"] = 101 }), Outcome.Http400("logit_bias.5")),
        Chat("logit_bias token id beyond the vocabulary", () => With("logit_bias", new JsonObject { ["99999999"] = 1 }), Outcome.Http400("logit_bias")),
        Chat("logit_bias with 301 entries", () => With("logit_bias", new JsonObject(Enumerable.Range(0, 301).Select(i => KeyValuePair.Create($"{i}", (JsonNode?)1)))), Outcome.Http400("logit_bias")),
        Chat("top_logprobs 21", () => { var body = With("logprobs", true); body["top_logprobs"] = 21; return body; }, Outcome.Http400("top_logprobs")),
        Chat("top_logprobs without logprobs", () => With("top_logprobs", 2), Outcome.Http400("top_logprobs")),
        Chat("logprobs \"yes\"", () => With("logprobs", "yes"), Outcome.Http400("logprobs", "invalid_json")),
        Chat("logprobs, top_logprobs, penalties and a logit_bias (accepted)", () =>
        {
            var body = With("logprobs", true);
            (body["top_logprobs"], body["frequency_penalty"], body["presence_penalty"], body["logit_bias"]) = (3, 0.5, -1, new JsonObject { ["5"] = -100 });
            return body;
        }, Outcome.HttpOk),
        Chat("every unsupported field at its no-op value (accepted)", () =>
        {
            var body = With("response_format", new JsonObject { ["type"] = "text" });
            (body["logprobs"], body["top_logprobs"], body["tools"], body["tool_choice"]) = (false, 0, new JsonArray(), "none");
            (body["frequency_penalty"], body["presence_penalty"], body["logit_bias"]) = (0, 0.0, new JsonObject());
            return body;
        }, Outcome.HttpOk),
        Chat("the unsupported fields as null (accepted)", () =>
        {
            var body = Good();
            foreach (var field in (string[])["response_format", "logprobs", "top_logprobs", "tools", "tool_choice", "frequency_penalty", "presence_penalty", "logit_bias"])
                body[field] = null;
            return body;
        }, Outcome.HttpOk),
        Chat("stream_options without stream", () => With("stream_options", new JsonObject { ["include_usage"] = true }), Outcome.Http400("stream_options")),
    ];

    private static IEnumerable<BadInputCase> Numbers() =>
    [
        Chat("max_tokens -1", () => With("max_tokens", -1), Outcome.Http400("max_tokens")),
        Chat("max_tokens 0", () => With("max_tokens", 0), Outcome.Http400("max_tokens")),
        Chat("max_tokens 10^9", () => With("max_tokens", 1_000_000_000), Outcome.Http400("max_tokens")),
        Chat("max_tokens 2^40", () => With("max_tokens", 1L << 40), Outcome.Http400("max_tokens", "invalid_json")),
        Chat("max_tokens 1.5", () => With("max_tokens", 1.5), Outcome.Http400("max_tokens", "invalid_json")),
        Chat("max_tokens \"5\"", () => With("max_tokens", "5"), Outcome.Http400("max_tokens", "invalid_json")),
        Chat("max_completion_tokens 0", () => With("max_completion_tokens", 0), Outcome.Http400("max_completion_tokens")),
        Chat("max_completion_tokens 10^9", () => With("max_completion_tokens", 1_000_000_000), Outcome.Http400("max_completion_tokens")),
        Chat("temperature -1", () => With("temperature", -1), Outcome.Http400("temperature")),
        Chat("temperature 10^9", () => With("temperature", 1e9), Outcome.Http400("temperature")),
        Chat("temperature 1e39 (float overflow)", () => With("temperature", 1e39), Outcome.Http400("temperature")),
        Chat("top_p 0", () => With("top_p", 0), Outcome.Http400("top_p")),
        Chat("top_p 2", () => With("top_p", 2), Outcome.Http400("top_p")),
        Chat("seed -1", () => With("seed", -1), Outcome.Http400("seed")),
        Chat("seed 2^70", () => With("seed", JsonNode.Parse("1180591620717411303424")), Outcome.Http400("seed", "invalid_json")),
        Chat("stop: 9 strings", () => With("stop", new JsonArray([.. Enumerable.Range(0, 9).Select(i => (JsonNode)$"s{i}")])), Outcome.Http400("stop")),
        Chat("stop: 65 characters", () => With("stop", new string('x', 65)), Outcome.Http400("stop")),
        Chat("stop: a number", () => With("stop", 5), Outcome.Http400("stop")),
        Chat("mustafar.top_k -5", () => WithOption("top_k", -5), Outcome.Http400("mustafar.top_k")),
        Chat("mustafar.top_k 10^9", () => WithOption("top_k", 1_000_000_000), Outcome.Http400("mustafar.top_k")),
        Chat("mustafar.repetition_penalty 0", () => WithOption("repetition_penalty", 0), Outcome.Http400("mustafar.repetition_penalty")),
        Chat("mustafar.repetition_penalty 10^6", () => WithOption("repetition_penalty", 1e6), Outcome.Http400("mustafar.repetition_penalty")),
        Chat("mustafar.timestep -1", () => WithOption("timestep", -1), Outcome.Http400("mustafar.timestep")),
        Chat("mustafar.timestep 10^6", () => WithOption("timestep", 1_000_000), Outcome.Http400("mustafar.timestep")),
        Chat("mustafar.seed -1", () => WithOption("seed", -1), Outcome.Http400("mustafar.seed", "invalid_json")),
        Chat("mustafar.seed 2^70", () => WithOption("seed", JsonNode.Parse("1180591620717411303424")), Outcome.Http400("mustafar.seed", "invalid_json")),
        Chat("mustafar.guidance_scale -1", () => WithOption("guidance_scale", -1), Outcome.Http400("mustafar.guidance_scale")),
        Chat("mustafar.guidance_scale 10^30", () => WithOption("guidance_scale", 1e30), Outcome.Http400("mustafar.guidance_scale")),
        Chat("mustafar.guidance_scale 1e39 (float overflow)", () => WithOption("guidance_scale", 1e39), Outcome.Http400("mustafar.guidance_scale")),
        Form("form seed -1", [("seed", "-1")], Outcome.Http400("seed")),
        Form("form sampling_seed -5", [("sampling_seed", "-5")], Outcome.Http400("sampling_seed")),
        Form("form top_k -1", [("top_k", "-1")], Outcome.Http400("top_k")),
        Form("form timestep 10^6", [("timestep", "1000000")], Outcome.Http400("timestep")),
        Form("form max_tokens 2^31 (an integer out of range)", [("max_tokens", "2147483648")], Outcome.Http400("max_tokens")),
        Form("form max_tokens abc", [("max_tokens", "abc")], Outcome.Http400("max_tokens")),
        Form("form guidance_scale 1000", [("guidance_scale", "1000")], Outcome.Http400("guidance_scale")),
        Form("form temperature NaN", [("temperature", "NaN")], Outcome.Http400("temperature")),
        Form("form bypass_cache maybe", [("bypass_cache", "maybe")], Outcome.Http400("bypass_cache")),
    ];

    private static string LoneSurrogate(JsonObject body, string marker) => body.ToJsonString().Replace(marker, "\\ud800", StringComparison.Ordinal);

    private static IEnumerable<BadInputCase> Text() =>
    [
        ChatText("lone surrogate escape in the question", () => LoneSurrogate(WithQuestion("What LONE is it?"), "LONE"), Outcome.Http400(TextParam)),
        ChatText("lone low surrogate in a string content", () => """{"messages": [{"role": "user", "content": "x\udfff"}]}""", Outcome.Http400("messages[0].content")),
        ChatText("lone surrogate in stop", () => LoneSurrogate(With("stop", new JsonArray("ok", "LONE")), "LONE"), Outcome.Http400("stop[1]")),
        ChatText("lone surrogate in mustafar.custom_prompt", () => LoneSurrogate(WithOption("custom_prompt", "LONE"), "LONE"),
            Outcome.Http400("mustafar.custom_prompt", "invalid_json")),
        ChatBytes("raw invalid UTF-8 in the question", () => WithRawBytes(WithQuestion("What RAW is it?"), "RAW", [0xC3, 0x28]),
            Outcome.Http400(TextParam, "invalid_utf8")),
        ChatBytes("a raw Latin-1 byte in stop", () => WithRawBytes(With("stop", "caf\u00E9RAW"), "RAW", [0xE9]), Outcome.Http400("stop", "invalid_utf8")),
        Chat("NUL characters in the question", () => WithQuestion("What\0is\0on the table?"), Outcome.HttpOk),
        Chat("RTL override, zero-width and combining characters", () => WithQuestion("\u202Eelbat\u202C \u200B\u200D\u2060 e\u0301\u0302\u0303\u0304 \u05E9\u05DC\u05D5\u05DD \u0645\u0631\u062D\u0628\u0627 👍🏽?"), Outcome.HttpOk),
        Chat("only combining marks", () => WithQuestion(string.Concat(Enumerable.Repeat("\u0301", 50))), Outcome.HttpOk),
        Chat("question of 100000 characters", () => WithQuestion(new string('x', 100_000)), Outcome.Http413(QuestionParam)),
        Chat("question past the context window", () => WithQuestion(string.Concat(Enumerable.Repeat("word ", 3000))), Outcome.Http413("messages")),
        Chat("custom prompt of 40000 characters", () =>
        {
            var body = WithOption("prompt_mode", "custom");
            body["mustafar"]!["custom_prompt"] = new string('y', 40_000);
            return body;
        }, Outcome.Http413("mustafar.custom_prompt")),
        Chat("system prompt of 40000 characters", () => WithOption("system_prompt", new string('z', 40_000)), Outcome.Http413("messages")),
        Chat("unknown model", () => With("model", "gpt-4o"), Outcome.Http(404, "model", "invalid_request_error", "model_not_found")),
        Chat("unknown diffusion tap", () => WithOption("diffusion_tap", "U-L9-R9-Nope"), Outcome.Http400("mustafar.diffusion_tap")),
        Chat("diffusion tap of the wrong size", () => WithOption("diffusion_tap", "Time-Emb"), Outcome.Http400("mustafar.diffusion_tap")),
        Chat("unknown prompt_mode", () => WithOption("prompt_mode", "loud"), Outcome.Http400("mustafar.prompt_mode")),
        Chat("custom prompt_mode without a prompt", () => WithOption("prompt_mode", "custom"), Outcome.Http400("mustafar.custom_prompt")),
        Chat("unknown role", () =>
        {
            var body = Good();
            body["messages"]![0]!["role"] = "robot";
            return body;
        }, Outcome.Http400("messages[0].role")),
        Chat("the last message is the assistant's", () =>
        {
            var body = Good();
            body["messages"]!.AsArray().Add(new JsonObject { ["role"] = "assistant", ["content"] = "A table." });
            return body;
        }, Outcome.Http400("messages[1].role")),
        Chat("two images", () =>
        {
            var body = Good();
            body["messages"]![0]!["content"]!.AsArray().Add(body["messages"]![0]!["content"]![1]!.DeepClone());
            return body;
        }, Outcome.Http400("messages[0].content[2].image_url", "too_many_images")),
    ];
}
