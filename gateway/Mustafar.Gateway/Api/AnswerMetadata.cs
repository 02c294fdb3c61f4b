using System.Globalization;
using Microsoft.AspNetCore.Http;
using Mustafar.Generation.V1;
using Mustafar.Vqa.V1;

namespace Mustafar.Gateway.Api;

/// <summary>The "mustafar" object of HTTP answers: image id, cache status per feature, the diffusion conditioning
/// used and the per-stage timings; and the same facts as response headers (X-Mustafar-Image-Id, X-Mustafar-Cache,
/// Server-Timing) where the headers can still be sent.</summary>
public static class AnswerMetadata
{
    public static object Json(AskResult result) => new
    {
        image_id = result.ImageId,
        model = result.Model,
        cache = new
        {
            clip = result.ClipCache.Name(),
            diffusion_conditional = result.DiffusionConditionalCache.Name(),
            diffusion_unconditional = result.DiffusionUnconditionalCache.Name(),
        },
        diffusion = UsesDiffusion(result)
            ? new
            {
                prompt_mode = result.PromptMode.ToString().ToLowerInvariant(),
                timestep = result.Timestep,
                seed = result.Seed,
                guidance_scale = result.GuidanceScale,
                tap = result.DiffusionTap,
                prompt_truncated = result.DiffusionPromptTruncated,
            }
            : null,
        timings = new
        {
            decode_image_ms = result.Timings.DecodeImageMs,
            clip_ms = result.Timings.ClipMs,
            diffusion_ms = result.Timings.DiffusionMs,
            time_to_first_token_ms = result.Timings.TimeToFirstTokenMs,
            generate_ms = result.Timings.GenerateMs,
            total_ms = result.Timings.TotalMs,
        },
    };

    public static void WriteHeaders(IHeaderDictionary headers, AskResult result)
    {
        headers["X-Mustafar-Image-Id"] = result.ImageId;
        headers["X-Mustafar-Model"] = result.Model;
        headers["X-Mustafar-Cache"] = CacheHeader(result);
        var t = result.Timings;
        var parts = new List<string> { Timing("decode", t.DecodeImageMs), Timing("clip", t.ClipMs), Timing("diffusion", t.DiffusionMs) };
        if (t.TimeToFirstTokenMs > 0) parts.Add(Timing("ttft", t.TimeToFirstTokenMs));
        if (t.GenerateMs > 0) parts.Add(Timing("generate", t.GenerateMs));
        if (t.TotalMs > 0) parts.Add(Timing("total", t.TotalMs));
        headers["Server-Timing"] = string.Join(", ", parts);
    }

    /// <summary>"clip=hit, diffusion-conditional=miss, diffusion-unconditional=hit".</summary>
    public static string CacheHeader(AskResult result) =>
        $"clip={result.ClipCache.Name()}, diffusion-conditional={result.DiffusionConditionalCache.Name()}, diffusion-unconditional={result.DiffusionUnconditionalCache.Name()}";

    /// <summary>OpenAI's finish_reason: "stop" for an end token or stop string, "length" for a token or context limit.</summary>
    public static string FinishReason(FinishReason reason) =>
        reason is Generation.V1.FinishReason.Length or Generation.V1.FinishReason.ContextFull ? "length" : "stop";

    private static bool UsesDiffusion(AskResult result) =>
        result.DiffusionConditionalCache != CacheStatus.NotUsed || result.DiffusionUnconditionalCache != CacheStatus.NotUsed;

    private static string Timing(string name, double ms) => string.Create(CultureInfo.InvariantCulture, $"{name};dur={ms:0.###}");
}
