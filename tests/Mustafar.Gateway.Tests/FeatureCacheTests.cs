using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Mustafar.Gateway.Caching;
using Mustafar.Gateway.TestServers;
using Mustafar.Tensors;
using Mustafar.Tensors.FeatureCaching;
using StackExchange.Redis;

namespace Mustafar.Gateway.Tests;

/// <summary>The Redis feature cache as clients see it, counted at the encoders.</summary>
public sealed class FeatureCacheTests(MeshFixture fixture) : IClassFixture<MeshFixture>
{
    private TestMesh Mesh => fixture.Mesh;

    private Task<System.Text.Json.JsonElement> AskAsync(string imageUrl, string question, JsonObject? mustafar = null, string? cacheHeader = null) =>
        ChatApi.AskAsync(Mesh.Gateway.Http, ChatApi.Request(imageUrl, question, mustafar ?? new JsonObject { ["guidance_scale"] = 0.5 }), cacheHeader);

    [Fact]
    public async Task Second_request_for_an_image_skips_the_clip_encoder_and_a_new_question_runs_only_the_conditional_pass_from_the_cached_latent()
    {
        var image = TestImages.DataUrl(TestImages.Unique());
        var sd = Mesh.Diffusion;
        var clip0 = Mesh.ClipEncodeCalls;
        var (halves0, cond0, uncond0, vae0, latent0) = (sd.HalvesCalls, sd.ConditionalCalls, sd.UnconditionalCalls, sd.VaeRuns, sd.LatentCalls);

        // Cold: both halves from ONE call (one VAE pass), each cached on its own, and the latent with them.
        var first = await AskAsync(image, "What is on the mat?");
        Assert.Equal(("miss", "miss", "miss"), Statuses(first));
        Assert.Equal((clip0 + 1, halves0 + 1, cond0, uncond0, vae0 + 1, latent0),
            (Mesh.ClipEncodeCalls, sd.HalvesCalls, sd.ConditionalCalls, sd.UnconditionalCalls, sd.VaeRuns, sd.LatentCalls));

        var again = await AskAsync(image, "What is on the mat?");
        Assert.Equal(("hit", "hit", "hit"), Statuses(again));
        Assert.Equal(ChatApi.Answer(first), ChatApi.Answer(again));
        Assert.Equal((clip0 + 1, halves0 + 1, vae0 + 1, latent0), (Mesh.ClipEncodeCalls, sd.HalvesCalls, sd.VaeRuns, sd.LatentCalls));

        // A new question: the conditional half only, from the cached latent (the VAE does not run again).
        var newQuestion = await AskAsync(image, "How many dogs are there?");
        Assert.Equal(("hit", "miss", "hit"), Statuses(newQuestion));
        Assert.Equal((clip0 + 1, halves0 + 1, cond0 + 1, uncond0, vae0 + 1, latent0 + 1),
            (Mesh.ClipEncodeCalls, sd.HalvesCalls, sd.ConditionalCalls, sd.UnconditionalCalls, sd.VaeRuns, sd.LatentCalls));
        Assert.Equal(0, sd.GuidedCalls);

        // The same features as a request that bypasses every cache and sends the image.
        var bypassed = await AskAsync(image, "How many dogs are there?", cacheHeader: "bypass");
        Assert.Equal(ChatApi.Answer(bypassed), ChatApi.Answer(newQuestion));
    }

    [Fact]
    public async Task Concurrent_different_questions_about_one_cold_image_run_the_vae_once()
    {
        var image = TestImages.DataUrl(TestImages.Unique());
        var sd = Mesh.Diffusion;
        var (calls0, vae0, latent0) = (sd.HalvesCalls + sd.ConditionalCalls + sd.UnconditionalCalls, sd.VaeRuns, sd.LatentCalls);
        sd.Gate.Close();
        try
        {
            var first = AskAsync(image, "What is on the mat?");
            await sd.Gate.WaitForWaitersAsync(1);
            var second = AskAsync(image, "What colour is the mat?");
            var third = AskAsync(image, "Is it raining?");
            // The first holds the image's lease; the others wait for it rather than encode the image again.
            await Eventually.ReturnsAsync(() => LeaseWaitersAsync(), waiting => waiting >= 2 || sd.Gate.Waiting > 1, "two requests waiting for the lease");
            Assert.Equal(1, sd.Gate.Waiting);
            sd.Gate.Open();
            var answers = await Task.WhenAll(first, second, third);
            Assert.Equal(("miss", "miss", "miss"), Statuses(answers[0]));
            Assert.All(answers.Skip(1), a => Assert.Equal(("hit", "miss", "hit"), Statuses(a)));
        }
        finally
        {
            sd.Gate.Open();
        }
        Assert.Equal((calls0 + 3, vae0 + 1, latent0 + 2), (sd.HalvesCalls + sd.ConditionalCalls + sd.UnconditionalCalls, sd.VaeRuns, sd.LatentCalls));
    }

    [Fact]
    public async Task Two_gateways_asking_for_one_cold_image_at_once_encode_it_once()
    {
        var other = await Mesh.StartGatewayAsync(); // a second replica on the same Redis; the mesh disposes it
        var image = TestImages.DataUrl(TestImages.Unique());
        var sd = Mesh.Diffusion;
        var (calls0, vae0) = (sd.HalvesCalls + sd.ConditionalCalls + sd.UnconditionalCalls, sd.VaeRuns);
        var body = ChatApi.Request(image, "What is on the mat?", new JsonObject { ["guidance_scale"] = 0.5 });
        sd.Gate.Close();
        try
        {
            var first = ChatApi.AskAsync(Mesh.Gateway.Http, body);
            await sd.Gate.WaitForWaitersAsync(1);
            var second = ChatApi.AskAsync(other.Http, ChatApi.Request(image, "What is on the mat?", new JsonObject { ["guidance_scale"] = 0.5 }));
            await Eventually.ReturnsAsync(() => LeaseWaitersAsync(other), waiting => waiting >= 1 || sd.Gate.Waiting > 1, "the second gateway waiting for the lease");
            Assert.Equal(1, sd.Gate.Waiting);
            sd.Gate.Open();
            var answers = await Task.WhenAll(first, second);
            Assert.Equal(("miss", "miss", "miss"), Statuses(answers[0]));
            Assert.Equal(("hit", "hit"), (Statuses(answers[1]).Conditional, Statuses(answers[1]).Unconditional));
            Assert.Equal(ChatApi.Answer(answers[0]), ChatApi.Answer(answers[1]));
        }
        finally
        {
            sd.Gate.Open();
        }
        Assert.Equal((calls0 + 1, vae0 + 1), (sd.HalvesCalls + sd.ConditionalCalls + sd.UnconditionalCalls, sd.VaeRuns));
    }

    [Fact]
    public async Task A_diffusion_service_from_before_latents_gets_one_call_per_half_and_no_latent()
    {
        await using var mesh = await TestMesh.StartAsync();
        mesh.Diffusion.Legacy = true;
        var image = TestImages.DataUrl(TestImages.Unique());
        var first = await ChatApi.AskAsync(mesh.Gateway.Http, ChatApi.Request(image, "What is on the mat?", new JsonObject { ["guidance_scale"] = 0.5 }));
        Assert.Equal(("miss", "miss", "miss"), Statuses(first));
        var newQuestion = await ChatApi.AskAsync(mesh.Gateway.Http, ChatApi.Request(image, "Is it raining?", new JsonObject { ["guidance_scale"] = 0.5 }));
        Assert.Equal(("hit", "miss", "hit"), Statuses(newQuestion));
        var sd = mesh.Diffusion;
        Assert.Equal((0, 2, 1, 3, 0), (sd.HalvesCalls, sd.ConditionalCalls, sd.UnconditionalCalls, sd.VaeRuns, sd.LatentCalls));
    }

    /// <summary>Requests of one gateway waiting now for an image's lease.</summary>
    private async Task<double> LeaseWaitersAsync(GatewayHost? gateway = null) =>
        Mustafar.Testing.PrometheusText.Value(await (gateway ?? Mesh.Gateway).Http.GetStringAsync("/metrics"), "mustafar_gateway_cache_lease_waiters");

    [Fact]
    public async Task Guidance_scale_zero_or_empty_prompt_needs_only_the_unconditional_half_and_one_only_the_conditional()
    {
        var image = TestImages.DataUrl(TestImages.Unique());
        var cond0 = Mesh.Diffusion.ConditionalCalls;

        var zero = await AskAsync(image, "Q?", new JsonObject { ["guidance_scale"] = 0 });
        Assert.Equal(("miss", "not_used", "miss"), Statuses(zero));
        var empty = await AskAsync(image, "Q?", new JsonObject { ["prompt_mode"] = "empty", ["guidance_scale"] = 3 });
        Assert.Equal(("hit", "not_used", "hit"), Statuses(empty));
        Assert.Equal("empty", empty.GetProperty("mustafar").GetProperty("diffusion").GetProperty("prompt_mode").GetString());
        Assert.Equal(cond0, Mesh.Diffusion.ConditionalCalls);

        var one = await AskAsync(image, "Q?", new JsonObject { ["guidance_scale"] = 1 });
        Assert.Equal(("hit", "miss", "not_used"), Statuses(one));
        var custom = await AskAsync(image, "Q?", new JsonObject { ["prompt_mode"] = "custom", ["custom_prompt"] = "a photo", ["guidance_scale"] = 1 });
        Assert.Equal(("hit", "miss", "not_used"), Statuses(custom));
        Assert.Equal(cond0 + 2, Mesh.Diffusion.ConditionalCalls);
    }

    [Fact]
    public async Task Settings_that_change_the_features_change_the_cache_key()
    {
        var image = TestImages.DataUrl(TestImages.Unique());
        await AskAsync(image, "Q?");
        var other = await AskAsync(image, "Q?", new JsonObject { ["guidance_scale"] = 0.5, ["timestep"] = 60 });
        Assert.Equal(("hit", "miss", "miss"), Statuses(other));
        var seed = await AskAsync(image, "Q?", new JsonObject { ["guidance_scale"] = 0.5, ["timestep"] = 60, ["seed"] = 7 });
        Assert.Equal(("hit", "miss", "miss"), Statuses(seed));
        var tap = await AskAsync(image, "Q?", new JsonObject { ["guidance_scale"] = 0.5, ["diffusion_tap"] = TestDiffusionEncoder.OtherTap });
        Assert.Equal(("hit", "miss", "miss"), Statuses(tap));
        Assert.Equal(TestDiffusionEncoder.OtherTap, tap.GetProperty("mustafar").GetProperty("diffusion").GetProperty("tap").GetString());
        var scale = await AskAsync(image, "Q?", new JsonObject { ["guidance_scale"] = 4 });
        Assert.Equal(("hit", "hit", "hit"), Statuses(scale)); // halves do not depend on s
    }

    [Fact]
    public async Task Bypass_by_header_or_option_neither_reads_nor_writes()
    {
        var image = TestImages.DataUrl(TestImages.Unique());
        var clip0 = Mesh.ClipEncodeCalls;
        var byHeader = await AskAsync(image, "Q?", cacheHeader: "bypass");
        Assert.Equal(("bypass", "bypass", "bypass"), Statuses(byHeader));
        var byOption = await AskAsync(image, "Q?", new JsonObject { ["guidance_scale"] = 0.5, ["bypass_cache"] = true });
        Assert.Equal(("bypass", "bypass", "bypass"), Statuses(byOption));
        var normal = await AskAsync(image, "Q?");
        Assert.Equal(("miss", "miss", "miss"), Statuses(normal)); // nothing was written by the bypassing requests
        Assert.Equal(clip0 + 3, Mesh.ClipEncodeCalls);
    }

    [Fact]
    public async Task Concurrent_misses_of_one_image_compute_once()
    {
        var image = TestImages.DataUrl(TestImages.Unique());
        var clip0 = Mesh.ClipEncodeCalls;
        var shared = Mesh.Gateway.Metrics.CacheShared.WithLabels("clip");
        var shared0 = shared.Value;
        Mesh.Clip.Gate.Close();
        try
        {
            var requests = Enumerable.Range(0, 4).Select(_ => AskAsync(image, "Same question?")).ToList();
            await Mesh.Clip.Gate.WaitForWaitersAsync(1);
            await Eventually.TrueAsync(() => shared.Value >= shared0 + 3, "three requests joining the first's CLIP computation");
            Mesh.Clip.Gate.Open();
            var answers = await Task.WhenAll(requests);
            Assert.Single(answers.Select(ChatApi.Answer).Distinct());
        }
        finally
        {
            Mesh.Clip.Gate.Open();
        }
        Assert.Equal(clip0 + 1, Mesh.ClipEncodeCalls);
    }

    [Fact]
    public async Task A_well_formed_cached_value_of_the_wrong_size_is_a_miss_that_is_counted_deleted_and_recomputed()
    {
        var png = TestImages.Unique();
        var image = TestImages.DataUrl(png);
        var first = await AskAsync(image, "What is on the mat?");
        Assert.Equal(("miss", "miss", "miss"), Statuses(first));

        // What a buggy or foreign writer could leave: the right header and dtype, one token instead of the
        // generator's count, under the very key the gateway reads.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Mesh.Redis!.Configuration + ",allowAdmin=true");
        var sha = Convert.ToHexStringLower(SHA256.HashData(png));
        var key = await redis.GetServers()[0].KeysAsync(pattern: $"*:clip:*{sha}*").SingleAsync();
        var good = FeatureCacheFormat.TryDecode((byte[])(await redis.GetDatabase().StringGetAsync(key))!)!;
        var view = TensorView.Open(good.Tensor, "cached");
        var wrong = TensorCodec.FromFloat32(new float[view.Shape[1]], [1, view.Shape[1]], view.DType);
        await redis.GetDatabase().StringSetAsync(key, FeatureCacheFormat.Encode(new FeatureValue(wrong)));
        var invalid0 = await InvalidCountAsync();
        var clip0 = Mesh.ClipEncodeCalls;

        var again = await AskAsync(image, "What is on the mat?");
        Assert.Equal(("miss", "hit", "hit"), Statuses(again));
        Assert.Equal(ChatApi.Answer(first), ChatApi.Answer(again));
        Assert.Equal(clip0 + 1, Mesh.ClipEncodeCalls);
        Assert.Equal(invalid0 + 1, await InvalidCountAsync());
        Assert.Equal(good, FeatureCacheFormat.TryDecode((byte[])(await redis.GetDatabase().StringGetAsync(key))!)); // replaced

        var third = await AskAsync(image, "What is on the mat?");
        Assert.Equal(("hit", "hit", "hit"), Statuses(third));
    }

    private async Task<double> InvalidCountAsync() =>
        Mustafar.Testing.PrometheusText.Value(await Mesh.Gateway.Http.GetStringAsync("/metrics"), "mustafar_gateway_cache_invalid_total", "feature=\"clip\"");

    private static (string Clip, string Conditional, string Unconditional) Statuses(System.Text.Json.JsonElement completion) =>
        (ChatApi.Cache(completion, "clip"), ChatApi.Cache(completion, "diffusion_conditional"), ChatApi.Cache(completion, "diffusion_unconditional"));
}
