using Mustafar.Gateway.Pipeline;

namespace Mustafar.Gateway.Api;

/// <summary>A choice's "logprobs" as OpenAI writes it: {"content": [{"token", "logprob", "bytes", "top_logprobs":
/// [{"token", "logprob", "bytes"}]}], "refusal": null}, bytes as a list of integers.</summary>
public static class ChatLogprobs
{
    public static object Json(IEnumerable<TokenLogProbability> tokens) => new
    {
        content = tokens.Select(t => new
        {
            token = t.Token,
            logprob = t.Logprob,
            bytes = Bytes(t),
            top_logprobs = t.Alternatives.Select(a => new { token = a.Token, logprob = a.Logprob, bytes = Bytes(a) }).ToArray(),
        }).ToArray(),
        refusal = (string?)null,
    };

    private static int[] Bytes(TokenLogProbability token) => [.. token.Bytes.ToArray().Select(b => (int)b)];
}
