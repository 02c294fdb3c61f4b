using System.Globalization;
using Microsoft.AspNetCore.Http;
using Mustafar.Gateway.Api.OpenAi;
using Mustafar.Gateway.Pipeline;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Gateway.Api;

/// <summary>The "mustafar" object of HTTP answers: image id, cache status per feature, the diffusion conditioning
/// used and the per-stage timings; and the same facts as response headers (X-Mustafar-Image-Id, X-Mustafar-Cache,
/// Server-Timing) where the headers can still be sent.</summary>
public static class AnswerMetadata
{
    public static MustafarMetadata Report(AnswerSummary result) => new()
    {
        ImageId = result.ImageId,
        Model = result.Model,
        Cache = new CacheReport(result.ClipCache.Name(), result.DiffusionConditionalCache.Name(), result.DiffusionUnconditionalCache.Name()),
        Diffusion = result.Diffusion is { } d
            ? new DiffusionReport
            {
                PromptMode = PromptModeName(d.PromptMode),
                Timestep = d.Timestep,
                Seed = d.Seed,
                GuidanceScale = d.GuidanceScale,
                Tap = d.Tap,
                PromptTruncated = result.DiffusionPromptTruncated,
            }
            : null,
        Timings = new TimingsReport
        {
            DecodeImageMs = result.Timings.DecodeImageMs,
            ClipMs = result.Timings.ClipMs,
            DiffusionMs = result.Timings.DiffusionMs,
            TimeToFirstTokenMs = result.Timings.TimeToFirstTokenMs,
            GenerateMs = result.Timings.GenerateMs,
            TotalMs = result.Timings.TotalMs,
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

    /// <summary>"question", "empty", "custom" (the names the APIs take); "unspecified" never reaches an answer.</summary>
    private static string PromptModeName(DiffusionPromptMode mode) => mode.ToString().ToLowerInvariant();

    private static string Timing(string name, double ms) => string.Create(CultureInfo.InvariantCulture, $"{name};dur={ms:0.###}");
}
