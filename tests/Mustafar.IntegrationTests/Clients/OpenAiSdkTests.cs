using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Mustafar.IntegrationTests.Mesh;
using Mustafar.Models.Tokenization;
using Mustafar.Testing;
using Xunit.Abstractions;

namespace Mustafar.IntegrationTests.Clients;

/// <summary>
/// The official OpenAI Node SDK (<c>tests/clients/node/openai_sdk.js</c>, the <c>openai</c> npm package) against a
/// mesh of real processes: chat with an image, non-streaming and streaming, include_usage, logprobs, a logit_bias,
/// OpenAI's penalties, seed reproducibility, and each refused field with its 400, as the SDK reports them.
/// </summary>
[Collection(StandardMeshCollection.Name)]
public sealed class OpenAiSdkTests(MeshFixture fixture, ITestOutputHelper output)
{
    private const int MaxTokens = 6;
    private const int TopLogprobs = 3;

    [Fact]
    public async Task The_official_openai_sdk_gets_what_openai_documents()
    {
        var tokenizer = LlamaTextTokenizer.Load((await LocalMesh.DemoModelsAsync(new LocalMeshOptions().Fusion)).Generator);
        var biasToken = tokenizer.Encode("table")[^1];
        var imagePath = Path.Combine(RepoPaths.NewTempFolder("openai-sdk"), "image.png");
        await File.WriteAllBytesAsync(imagePath, SampleImages.Variant(4400));

        var run = await ExternalClient.NodeAsync("openai_sdk.js", "--base-url", new Uri(fixture.Mesh.GatewayHttp, "/v1").ToString(),
            "--image", imagePath, "--question", "What is on the table?", "--bias-token", biasToken.ToString(CultureInfo.InvariantCulture),
            "--max-tokens", MaxTokens.ToString(CultureInfo.InvariantCulture));
        var r = run.Result();
        output.WriteLine($"openai SDK {r["sdk"]}, models {r["models"]!.ToJsonString()}, greedy answer {r["plain"]!["content"]!.ToJsonString()}");

        // Non-streaming and streaming give the same greedy answer; usage only where include_usage asks for it.
        var plain = r["plain"]!;
        Assert.Equal("chat.completion", plain["object"]!.GetValue<string>());
        var completionTokens = plain["usage"]!["completion_tokens"]!.GetValue<int>();
        Assert.InRange(completionTokens, 1, MaxTokens);
        Assert.Null(plain["logprobs"]);
        foreach (var name in (string[])["stream", "stream_usage", "stream_no_usage", "logprobs_stream"])
        {
            Assert.Equal(plain["content"]!.GetValue<string>(), r[name]!["content"]!.GetValue<string>());
            Assert.Equal(plain["finish_reason"]!.GetValue<string>(), r[name]!["finish_reason"]!.GetValue<string>());
        }
        Assert.Empty(r["stream"]!["usage_chunks"]!.AsArray());
        Assert.Empty(r["stream_no_usage"]!["usage_chunks"]!.AsArray());
        var usageChunk = Assert.Single(r["stream_usage"]!["usage_chunks"]!.AsArray())!;
        Assert.Equal(0, usageChunk["choices"]!.GetValue<int>());
        Assert.True(JsonNode.DeepEquals(plain["usage"], usageChunk["usage"]));
        Assert.Equal(r["stream_usage"]!["chunks"]!.GetValue<int>() - 1, r["stream_usage"]!["null_usage_chunks"]!.GetValue<int>());

        // Logprobs: one entry per answer token (the end-of-sequence token is not one), greedy picks the raw argmax,
        // the alternatives are sorted, and the stream carries the same ones.
        var logprobs = r["logprobs"]!;
        var content = logprobs["logprobs"]!["content"]!.AsArray();
        var answerTokens = completionTokens - (plain["finish_reason"]!.GetValue<string>() == "stop" ? 1 : 0);
        Assert.Equal(answerTokens, content.Count);
        foreach (var token in content)
        {
            var top = token!["top_logprobs"]!.AsArray().Select(t => t!["logprob"]!.GetValue<double>()).ToArray();
            Assert.Equal(TopLogprobs, top.Length);
            Assert.Equal(top.OrderDescending(), top);
            Assert.Equal(top[0], token["logprob"]!.GetValue<double>(), 5);
            Assert.InRange(token["logprob"]!.GetValue<double>(), double.NegativeInfinity, 0);
            var text = token["token"]!.GetValue<string>();
            if (!text.StartsWith("bytes:", StringComparison.Ordinal)) Assert.Equal(text, Encoding.UTF8.GetString(Bytes(token)));
        }
        // The tokens' bytes are the answer's, less the first piece's dummy-prefix space that decoding drops.
        var answerBytes = content.SelectMany(t => Bytes(t!)).ToArray();
        if (answerBytes is [(byte)' ', ..]) answerBytes = answerBytes[1..];
        Assert.Equal(plain["content"]!.GetValue<string>(), Encoding.UTF8.GetString(answerBytes));
        Assert.True(JsonNode.DeepEquals(content, new JsonArray([.. r["logprobs_stream"]!["logprobs"]!.AsArray().Select(t => t!.DeepClone())])));

        // logit_bias +100 forces the token at every step; its logprob stays the raw model's (below the top one).
        var expected = tokenizer.TokenOf(biasToken).Token;
        var biased = r["biased"]!["logprobs"]!["content"]!.AsArray();
        Assert.Equal(MaxTokens, biased.Count);
        Assert.All(biased, t => Assert.Equal(expected, t!["token"]!.GetValue<string>()));

        // The penalties: with a bias that wins each of those steps by at least 1 without penalties, the token keeps
        // winning while its lead over the best other token exceeds c * frequency + (c > 0) * presence (c: times it
        // was generated so far), and the best other token wins at the first step where it does not.
        var (frequency, presence) = (r["penalties"]!["frequency_penalty"]!.GetValue<double>(), r["penalties"]!["presence_penalty"]!.GetValue<double>());
        var bias = r["penalty_bias"]!.GetValue<double>();
        var penalised = r["penalised"]!["logprobs"]!["content"]!.AsArray();
        var stopped = false;
        for (var k = 0; k < biased.Count && !stopped; k++)
        {
            var step = biased[k]!;
            var best = step["top_logprobs"]!.AsArray().Where(t => t!["token"]!.GetValue<string>() != expected).MaxBy(t => t!["logprob"]!.GetValue<double>())!;
            var lead = step["logprob"]!.GetValue<double>() + bias - best["logprob"]!.GetValue<double>();
            var penalty = k * frequency + (k > 0 ? presence : 0);
            if (Math.Abs(lead - penalty) < 0.01) break; // too close to call in float32: the prediction ends here
            stopped = lead < penalty;
            output.WriteLine($"step {k}: lead {lead:0.###} penalty {penalty:0.###} -> {(stopped ? "another token" : "the biased token")}, got '{penalised[k]!["token"]}'");
            Assert.Equal(stopped ? best["token"]!.GetValue<string>() : expected, penalised[k]!["token"]!.GetValue<string>());
        }
        Assert.True(stopped, "the penalties never outweighed the bias within the answer: this check did not discriminate");

        // A seed reproduces a sampled answer; another seed gives another.
        Assert.Equal(r["seed_a"]!["content"]!.GetValue<string>(), r["seed_a_again"]!["content"]!.GetValue<string>());
        Assert.NotEqual(r["seed_a"]!["content"]!.GetValue<string>(), r["seed_b"]!["content"]!.GetValue<string>());

        // What the gateway refuses, as the SDK raises it: 400, the field in "param".
        foreach (var (name, param, code) in new[]
        {
            ("json_object", "response_format", "unsupported_parameter"), ("json_schema", "response_format", "unsupported_parameter"),
            ("tools", "tools", "unsupported_parameter"), ("tool_choice", "tool_choice", "unsupported_parameter"),
            ("top_logprobs_alone", "top_logprobs", "invalid_value"), ("frequency_penalty", "frequency_penalty", "invalid_value"),
        })
        {
            var refused = r["refused"]![name]!;
            Assert.True(refused["refused"]!.GetValue<bool>(), name);
            Assert.Equal(400, refused["status"]!.GetValue<int>());
            Assert.Equal(param, refused["param"]!.GetValue<string>());
            Assert.Equal(code, refused["code"]!.GetValue<string>());
        }
    }

    private static byte[] Bytes(JsonNode token) => [.. token["bytes"]!.AsArray().Select(b => (byte)b!.GetValue<int>())];
}
