using Mustafar.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Llama;

/// <summary>
/// Token-level continuous batching over one <see cref="KvCache"/>: sequences join at a step boundary
/// (<see cref="Add"/>: their prompts are prefilled together, left-padded, and merged into the running cache), every
/// <see cref="Step"/> feeds one token per row, and rows leave with <see cref="KeepRows"/>. Each row keeps its own
/// positions, so a sequence decodes the same whatever it is batched with. Knows nothing of text or sampling;
/// one thread drives it (TorchSharp dispose scopes are per thread).
/// </summary>
internal sealed class LlamaBatchDecoder(LlamaForCausalLM model) : IDisposable
{
    private readonly List<long> _nextPositions = [];
    private KvCache? _cache;

    /// <summary>Rows in the running batch.</summary>
    public int BatchSize => _nextPositions.Count;

    /// <summary>Columns of the running cache (longest row, padding included).</summary>
    public int CacheLength => _cache?.Length ?? 0;

    /// <summary>Next position (tokens so far) of each row.</summary>
    public IReadOnlyList<long> Positions => _nextPositions;

    /// <summary>Prefills new sequences from their input embeddings (each [tokens, hidden], the model dtype and
    /// device) and appends them as the last rows. Returns their next-token logits [new rows, vocab] (float32).</summary>
    public Tensor Add(IReadOnlyList<Tensor> inputsEmbeds)
    {
        if (inputsEmbeds.Count == 0) throw new ArgumentException("no sequences to add", nameof(inputsEmbeds));
        using var scope = NewDisposeScope();
        var longest = inputsEmbeds.Max(e => e.shape[0]);
        if (inputsEmbeds.Any(e => e.shape[0] == 0)) throw new ArgumentException("a sequence needs at least one token", nameof(inputsEmbeds));
        var first = inputsEmbeds[0];
        var padded = stack(inputsEmbeds.Select(e => nn.functional.pad(e, [0, 0, longest - e.shape[0], 0])).ToArray());
        var valid = stack(inputsEmbeds.Select(e => ScalarSafeOps.Arange(longest, device: first.device).Ge(longest - e.shape[0])).ToArray());
        var positions = LlamaPositions.FromAttentionMask(valid);

        var fresh = new KvCache(model.Config, inputsEmbeds.Count, first.dtype, first.device, (int)longest);
        Tensor logits;
        try
        {
            logits = model.forward(padded, positions, valid, fresh, lastOnly: true).squeeze(1);
        }
        catch
        {
            fresh.Dispose();
            throw;
        }
        if (_cache is null || BatchSize == 0)
        {
            _cache?.Dispose();
            _cache = fresh;
        }
        else _cache.Merge(fresh);
        _nextPositions.AddRange(inputsEmbeds.Select(e => e.shape[0]));
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>Feeds one token per row (in row order) and returns the next-token logits [rows, vocab] (float32).</summary>
    public Tensor Step(IReadOnlyList<long> tokens)
    {
        if (_cache is null || BatchSize == 0) throw new InvalidOperationException("no sequences to step");
        if (tokens.Count != BatchSize) throw new ArgumentException($"{tokens.Count} tokens for {BatchSize} rows", nameof(tokens));
        using var scope = NewDisposeScope();
        var device = model.Model.EmbeddingWeight.device;
        var ids = tensor(tokens.ToArray(), ScalarType.Int64, device).unsqueeze(1);
        var positions = tensor(_nextPositions.ToArray(), ScalarType.Int64, device).unsqueeze(1);
        var valid = ones([BatchSize, 1], ScalarType.Bool, device);
        var logits = model.forward(model.Embed(ids), positions, valid, _cache, lastOnly: true).squeeze(1);
        for (var i = 0; i < _nextPositions.Count; i++) _nextPositions[i]++;
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>Keeps <paramref name="rows"/> (in that order) and drops every other row.</summary>
    public void KeepRows(IReadOnlyList<int> rows)
    {
        if (_cache is null) throw new InvalidOperationException("no sequences");
        var positions = rows.Select(r => _nextPositions[r]).ToList();
        _cache.KeepRows(rows);
        _nextPositions.Clear();
        _nextPositions.AddRange(positions);
    }

    public void Dispose()
    {
        _cache?.Dispose();
        _cache = null;
        _nextPositions.Clear();
    }
}
