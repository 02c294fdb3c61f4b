using System.Globalization;
using Microsoft.AspNetCore.Http;
using Mustafar.Gateway.Pipeline;
using Mustafar.Vqa.V1;

namespace Mustafar.Gateway.Api;

/// <summary>The "mustafar" object of HTTP answers: image id, cache status per feature, the diffusion conditioning
/// used and the per-stage timings; and the same facts as response headers (X-Mustafar-Image-Id, X-Mustafar-Cache,
/// Server-Timing) where the headers can still be sent.</summary>
public static class AnswerMetadata
{
    public static object Json(AnswerSummary result) => new
    {
        image_id = result.ImageId,
        model = result.Model,
        cache = new
        {
            clip = result.ClipCache.Name(),
            diffusion_conditional = result.DiffusionConditionalCache.Name(),
            diffusion_unconditional = result.DiffusionUnconditionalCache.Name(),
        },
        diffusion = result.Diffusion is { } d
            ? new
            {
                prompt_mode = PromptModeName(d.PromptMode),
                timestep = d.Timestep,
                seed = d.Seed,
                guidance_scale = d.GuidanceScale,
                tap = d.Tap,
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

    public static void WriteHeaders(IHeaderDictionary headers, AnswerSummary result)
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
    public static string CacheHeader(AnswerSummary result) =>
        $"clip={result.ClipCache.Name()}, diffusion-conditional={result.DiffusionConditionalCache.Name()}, diffusion-unconditional={result.DiffusionUnconditionalCache.Name()}";

    /// <summary>OpenAI's finish_reason: "stop" for an end token or stop string, "length" for a token or context limit.</summary>
    public static string FinishReason(AnswerEnd reason) => reason is AnswerEnd.Length or AnswerEnd.ContextFull ? "length" : "stop";

    /// <summary>"question", "empty", "custom" (the names the APIs take); "unspecified" never reaches an answer.</summary>
    private static string PromptModeName(DiffusionPromptMode mode) => mode.ToString().ToLowerInvariant();

    private static string Timing(string name, double ms) => string.Create(CultureInfo.InvariantCulture, $"{name};dur={ms:0.###}");
}
