namespace Mustafar.Models.Generation;

/// <summary>
/// One sampled token's log-probability, as OpenAI's <c>logprobs.content[i]</c> reports it: the token's text and
/// bytes, its log-probability, and the most likely alternatives at that step (empty unless top_logprobs was asked
/// for; an alternative's own <see cref="Top"/> is empty). Log-probabilities are those of the model's raw logits,
/// before logit bias, penalties, temperature and the top-k/top-p filters (vLLM's default "raw_logprobs").
/// </summary>
public sealed record TokenLikelihood(int Id, string Token, byte[] Bytes, float Logprob, IReadOnlyList<TokenLikelihood> Top);
