using System.Globalization;
using System.Numerics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Mustafar.Gateway.Api.OpenAi;
using Mustafar.Gateway.Observability;
using Mustafar.Gateway.Pipeline;
using Mustafar.Tensors;

namespace Mustafar.Gateway.Api;

/// <summary>
/// POST /v1/vqa: multipart/form-data with an "image" file and a "question" field; optional fields model,
/// prompt_mode, custom_prompt, timestep, seed, guidance_scale, diffusion_tap, bypass_cache, system_prompt,
/// max_tokens, temperature, top_p, top_k, sampling_seed. Answers
/// <c>{"answer", "model", "finish_reason", "usage", "mustafar"}</c>.
/// </summary>
public sealed class VqaFormEndpoint(VqaPipeline pipeline, IOptions<GatewayOptions> options, GatewayMetrics metrics, LargeBodyMemory largeBodies,
    ILogger<VqaFormEndpoint> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        using var largeBody = largeBodies.Track();
        largeBody.Observe(context.Request.ContentLength);
        using var scope = new RequestScope(context, options.Value, metrics, "http_vqa", DateTime.MaxValue);
        try
        {
            var limits = options.Value.Limits;
            HttpFailures.LimitBody(context, limits.MaxRequestBodyBytes);
            if (!context.Request.HasFormContentType)
                throw new GatewayException(ErrorKind.UnsupportedMediaType, "send multipart/form-data with an \"image\" file and a \"question\" field", null, "invalid_content_type");
            var form = await context.Request.ReadFormAsync(scope.Token).ConfigureAwait(false);

            if (form.Files.Count > 1)
                throw new GatewayException(ErrorKind.InvalidInput, $"{form.Files.Count} files were sent; the model answers about one image", "image", "too_many_images");
            var file = form.Files.GetFile("image")
                ?? throw new GatewayException(ErrorKind.InvalidInput, "is required: a file field named \"image\"", "image", "missing_image");
            var question = form["question"].ToString();
            if (string.IsNullOrWhiteSpace(question))
                throw new GatewayException(ErrorKind.InvalidInput, "is required", "question", "missing_question");
            byte[] image;
            await using (var stream = file.OpenReadStream())
                image = await ImageUrls.ReadLimitedAsync(stream, limits.MaxImageBytes, "image", scope.Token).ConfigureAwait(false);

            var settings = Settings(form, HttpAnswerSettings.HeaderBypass(context.Request.Headers));
            scope.Fields = RequestFields.Form(settings.Diffusion.PromptMode == DiffusionPromptMode.Custom);

            using var run = await pipeline.StartAsync(new VqaRequest
            {
                Image = image,
                ImageField = "image",
                Conversation = Conversation.SingleQuestion(question, settings.SystemPrompt),
                Question = question,
                Settings = settings,
                Deadline = scope.Deadline,
                HttpContext = context,
                RequestId = context.TraceIdentifier,
                ReceivedAt = scope.ReceivedAt,
            }, scope.Token).ConfigureAwait(false);
            var (answer, done) = await ChatCompletionsEndpoint.CollectAsync(run, scope.Token).ConfigureAwait(false);

            AnswerMetadata.WriteHeaders(context.Response.Headers, done);
            await context.Response.WriteAsJsonAsync(new VqaFormAnswer
            {
                Answer = answer,
                Model = done.Model,
                FinishReason = ChatResponses.FinishReason(done.FinishReason),
                Usage = ChatResponses.Usage(done),
                Mustafar = AnswerMetadata.Report(done),
            }, ApiJsonContext.Default.VqaFormAnswer, cancellationToken: scope.Token).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            await HttpFailures.HandleAsync(context, scope, error, logger).ConfigureAwait(false);
        }
    }

    /// <summary>The form's fields in the pipeline's terms, each parsed and checked under its own name.</summary>
    private static AnswerSettings Settings(IFormCollection form, bool headerBypass)
    {
        var sampling = HttpAnswerSettings.Sampling(Int(form, "max_tokens"), Float(form, "temperature"), Float(form, "top_p"),
            Long(form, "sampling_seed"), [], seedField: "sampling_seed");
        var diffusion = new DiffusionChoice
        {
            CustomPrompt = Text(form, "custom_prompt") ?? "",
            Timestep = Int(form, "timestep"),
            Seed = ULong(form, "seed"),
            GuidanceScale = Float(form, "guidance_scale"),
            Tap = Text(form, "diffusion_tap") ?? "",
        };
        var bypass = Bool(form, "bypass_cache") == true;
        var topK = Int(form, "top_k");
        return new AnswerSettings
        {
            Model = Text(form, "model") ?? "",
            Sampling = sampling with { TopK = topK },
            Diffusion = diffusion with { PromptMode = HttpAnswerSettings.ParsePromptMode(Text(form, "prompt_mode"), "prompt_mode") },
            BypassCache = headerBypass || bypass,
            SystemPrompt = Text(form, "system_prompt") ?? "",
        };
    }

    private static string? Text(IFormCollection form, string name) => form.TryGetValue(name, out var value) && value.Count > 0 ? value.ToString() : null;

    private static int? Int(IFormCollection form, string name) => Integer<int>(form, name);

    private static long? Long(IFormCollection form, string name) => Integer<long>(form, name);

    private static ulong? ULong(IFormCollection form, string name) => Integer<ulong>(form, name);

    /// <summary>An integer field: a value that is not an integer and one that is an integer out of the type's range
    /// are different mistakes and say so ("2147483648" is an integer, just too large).</summary>
    private static T? Integer<T>(IFormCollection form, string name) where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        if (Text(form, name) is not { } text) return null;
        if (!BigInteger.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            throw new InvalidInputException(name, $"'{text}' is not an integer");
        if (value < BigInteger.CreateChecked(T.MinValue) || value > BigInteger.CreateChecked(T.MaxValue))
            throw new InvalidInputException(name, $"{text} is out of range: an integer from {T.MinValue} to {T.MaxValue}");
        return T.CreateChecked(value);
    }

    private static bool? Bool(IFormCollection form, string name) => Parse(form, name, "true, false, 1 or 0",
        (string s, out bool v) =>
        {
            v = s is "1" || s.Equals("true", StringComparison.OrdinalIgnoreCase);
            return v || s is "0" || s.Equals("false", StringComparison.OrdinalIgnoreCase);
        });

    private static float? Float(IFormCollection form, string name) => Parse(form, name, "a number",
        (string s, out float v) => float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v));

    private delegate bool TryParser<T>(string text, out T value);

    private static T? Parse<T>(IFormCollection form, string name, string what, TryParser<T> parse) where T : struct
    {
        if (Text(form, name) is not { } text) return null;
        return parse(text, out var value) ? value : throw new InvalidInputException(name, $"'{text}' is not {what}");
    }
}
