using System.Globalization;
using Mustafar.Generation.V1;
using Mustafar.Tensors;

namespace Mustafar.Gateway.Api;

/// <summary>
/// The chat API's sampling fields beyond those the form API shares (<see cref="AskOptionsBuilder.Sampling"/>):
/// logprobs and top_logprobs, OpenAI's frequency and presence penalties, and logit_bias. Their ranges are OpenAI's
/// fixed ones (<see cref="SamplingBounds"/>), so a bad value is refused here, before any encoder runs; token ids are
/// checked against the model's vocabulary by the generator.
/// </summary>
public static class ChatSamplingFields
{
    public static void Apply(ChatCompletionRequest request, SamplingParams sampling)
    {
        var logprobs = request.Logprobs == true;
        SamplingBounds.CheckTopLogprobs(request.TopLogprobs ?? 0, logprobs, "top_logprobs");
        sampling.Logprobs = logprobs;
        if (request.TopLogprobs is { } top) sampling.TopLogprobs = top;
        if (request.FrequencyPenalty is { } frequency) sampling.FrequencyPenalty = SamplingBounds.CheckPenalty(frequency, "frequency_penalty");
        if (request.PresencePenalty is { } presence) sampling.PresencePenalty = SamplingBounds.CheckPenalty(presence, "presence_penalty");
        if (request.LogitBias is not { } biases) return;
        SamplingBounds.CheckLogitBiasCount(biases.Count, "logit_bias");
        foreach (var (key, bias) in biases)
        {
            var field = $"logit_bias.{key}";
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                throw new InvalidInputException(field, $"'{key}' is not a token id (a non-negative integer)");
            sampling.LogitBias[id] = SamplingBounds.CheckLogitBias(bias, field);
        }
    }
}
