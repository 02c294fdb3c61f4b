using System.Globalization;
using Mustafar.Gateway.Pipeline;
using Mustafar.Tensors;
using Mustafar.Gateway.Api.OpenAi;

namespace Mustafar.Gateway.Api;

/// <summary>
/// The chat API's sampling fields beyond those the form API shares (<see cref="HttpAnswerSettings.Sampling"/>):
/// logprobs and top_logprobs, OpenAI's frequency and presence penalties, and logit_bias. Their ranges are OpenAI's
/// fixed ones (<see cref="SamplingBounds"/>), so a bad value is refused here, before any encoder runs; token ids are
/// checked against the model's vocabulary by the generator.
/// </summary>
public static class ChatSamplingFields
{
    public static SamplingSettings Apply(ChatCompletionRequest request, SamplingSettings sampling)
    {
        var logprobs = request.Logprobs == true;
        SamplingBounds.CheckTopLogprobs(request.TopLogprobs ?? 0, logprobs, "top_logprobs");
        sampling = sampling with
        {
            Logprobs = logprobs,
            TopLogprobs = request.TopLogprobs,
            FrequencyPenalty = request.FrequencyPenalty is { } frequency ? SamplingBounds.CheckPenalty(frequency, "frequency_penalty") : null,
            PresencePenalty = request.PresencePenalty is { } presence ? SamplingBounds.CheckPenalty(presence, "presence_penalty") : null,
        };
        if (request.LogitBias is not { } biases) return sampling;
        SamplingBounds.CheckLogitBiasCount(biases.Count, "logit_bias");
        var checkedBiases = new Dictionary<int, float>();
        foreach (var (key, bias) in biases)
        {
            var field = $"logit_bias.{key}";
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                throw new InvalidInputException(field, $"'{key}' is not a token id (a non-negative integer)");
            checkedBiases[id] = SamplingBounds.CheckLogitBias(bias, field);
        }
        return sampling with { LogitBias = checkedBiases };
    }
}
