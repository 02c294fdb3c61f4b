using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Llama;

/// <summary>
/// Keys and values of every layer for a batch of sequences, in preallocated buffers
/// [batch, kv_heads, capacity, head_dim] that grow by doubling, plus which columns hold real tokens
/// ([batch, capacity], false for padding). Sequences are right-aligned: every row appends its next token at the
/// same column, and a shorter row is padded on the left. That is what lets sequences of different lengths decode in
/// one forward, lets a newcomer's prefilled cache be merged into a running batch (<see cref="Merge"/>) and lets
/// finished rows leave (<see cref="KeepRows"/>) at any step boundary.
/// The buffers live outside dispose scopes; the cache owns them until it is disposed.
/// </summary>
internal sealed class KvCache : IDisposable
{
    private const int MinimumCapacity = 16;

    private readonly int _kvHeads;
    private readonly int _headDim;
    private readonly ScalarType _dtype;
    private readonly Device _device;
    private Tensor[] _keys;
    private Tensor[] _values;
    private Tensor _valid;
    private int _pending;

    /// <summary>Sequences (rows).</summary>
    public int BatchSize { get; private set; }

    /// <summary>Columns in use, padding included.</summary>
    public int Length { get; private set; }

    public int Capacity => (int)_valid.shape[1];

    public int Layers => _keys.Length;

    public KvCache(LlamaConfig config, int batchSize, ScalarType dtype, Device device, int capacity = MinimumCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        _dtype = dtype;
        _device = device;
        BatchSize = batchSize;
        capacity = Math.Max(capacity, MinimumCapacity);
        _keys = new Tensor[config.NumHiddenLayers];
        _values = new Tensor[config.NumHiddenLayers];
        for (var i = 0; i < _keys.Length; i++)
        {
            _keys[i] = NewBuffer(batchSize, capacity);
            _values[i] = NewBuffer(batchSize, capacity);
        }
        _valid = zeros([batchSize, capacity], ScalarType.Bool, device).DetachFromDisposeScope();
    }

    private Tensor NewBuffer(int batch, int capacity) =>
        zeros([batch, _kvHeads, capacity, _headDim], _dtype, _device).DetachFromDisposeScope();

    /// <summary>Starts a forward of <paramref name="queryValid"/>.shape[1] new tokens: makes room and records
    /// which new columns are real. Returns the validity of every key column the step attends to,
    /// [batch, Length + new]. The caller's dispose scope owns the returned view.</summary>
    internal Tensor BeginStep(Tensor queryValid)
    {
        var tokens = (int)queryValid.shape[1];
        if (queryValid.shape[0] != BatchSize)
            throw new ArgumentException($"a step for {queryValid.shape[0]} rows on a cache of {BatchSize}");
        EnsureCapacity(Length + tokens);
        _pending = tokens;
        _valid.narrow(1, Length, tokens).copy_(queryValid);
        return _valid.narrow(1, 0, Length + tokens);
    }

    /// <summary>Stores one layer's new keys and values [batch, kv_heads, new, head_dim] after the columns in use and
    /// returns the layer's full keys and values (views, owned by the caller's dispose scope).</summary>
    internal (Tensor Keys, Tensor Values) Write(int layer, Tensor keys, Tensor values)
    {
        _keys[layer].narrow(2, Length, _pending).copy_(keys);
        _values[layer].narrow(2, Length, _pending).copy_(values);
        return (_keys[layer].narrow(2, 0, Length + _pending), _values[layer].narrow(2, 0, Length + _pending));
    }

    /// <summary>Ends the step begun by <see cref="BeginStep"/>: the new columns become part of the cache.</summary>
    internal void EndStep()
    {
        Length += _pending;
        _pending = 0;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= Capacity) return;
        Reallocate(BatchSize, Math.Max(needed, Capacity * 2), (from, to) => to.narrow(2, 0, Length).copy_(from.narrow(2, 0, Length)),
            (from, to) => to.narrow(1, 0, Length).copy_(from.narrow(1, 0, Length)));
    }

    /// <summary>Appends <paramref name="other"/>'s rows after this cache's rows (a newcomer joining a running batch);
    /// the shorter side is padded on the left. <paramref name="other"/> is disposed.</summary>
    public void Merge(KvCache other)
    {
        if (other.Layers != Layers || other._kvHeads != _kvHeads || other._headDim != _headDim)
            throw new ArgumentException("caches of different models cannot be merged", nameof(other));
        var length = Math.Max(Length, other.Length);
        var rows = BatchSize + other.BatchSize;
        var (mine, theirs) = (Length, other.Length);
        var capacity = Math.Max(Capacity, length + MinimumCapacity);
        for (var layer = 0; layer < Layers; layer++)
        {
            _keys[layer] = Combine(_keys[layer], other._keys[layer], 2);
            _values[layer] = Combine(_values[layer], other._values[layer], 2);
        }
        _valid = Combine(_valid, other._valid, 1);
        BatchSize = rows;
        Length = length;
        other.Dispose();

        Tensor Combine(Tensor a, Tensor b, int axis)
        {
            var shape = a.shape.ToArray();
            shape[0] = rows;
            shape[axis] = capacity;
            var merged = zeros(shape, a.dtype, _device).DetachFromDisposeScope();
            using (var top = merged.narrow(0, 0, a.shape[0]).narrow(axis, length - mine, mine))
            using (var source = a.narrow(axis, 0, mine))
                top.copy_(source);
            using (var bottom = merged.narrow(0, a.shape[0], b.shape[0]).narrow(axis, length - theirs, theirs))
            using (var source = b.narrow(axis, 0, theirs))
                bottom.copy_(source);
            a.Dispose();
            return merged;
        }
    }

    /// <summary>Keeps only <paramref name="rows"/> (in that order), then drops leading columns that no remaining
    /// row uses, so a long finished sequence does not leave its padding behind.</summary>
    public void KeepRows(IReadOnlyList<int> rows)
    {
        if (rows.Any(r => r < 0 || r >= BatchSize))
            throw new ArgumentOutOfRangeException(nameof(rows), $"rows must lie in [0, {BatchSize})");
        var first = 0;
        using (var scope = NewDisposeScope())
        {
            if (rows.Count > 0 && Length > 0)
            {
                using var index = tensor(rows.Select(r => (long)r).ToArray(), device: _device);
                var used = _valid.narrow(1, 0, Length).index_select(0, index).any(0).cpu();
                var flags = used.data<bool>().ToArray();
                first = Array.IndexOf(flags, true);
                if (first < 0) first = Length;
            }
            else first = Length;
        }
        var kept = Length - first;
        using var rowIndex = tensor(rows.Select(r => (long)r).ToArray(), ScalarType.Int64, _device);
        Reallocate(rows.Count, Math.Max(kept + MinimumCapacity, MinimumCapacity),
            (from, to) => to.narrow(2, 0, kept).copy_(from.index_select(0, rowIndex).narrow(2, first, kept)),
            (from, to) => to.narrow(1, 0, kept).copy_(from.index_select(0, rowIndex).narrow(1, first, kept)));
        BatchSize = rows.Count;
        Length = kept;
    }

    private void Reallocate(int rows, int capacity, Action<Tensor, Tensor> copyBuffer, Action<Tensor, Tensor> copyValid)
    {
        using var scope = NewDisposeScope();
        for (var layer = 0; layer < Layers; layer++)
        {
            _keys[layer] = Replace(_keys[layer], NewBuffer(rows, capacity), copyBuffer);
            _values[layer] = Replace(_values[layer], NewBuffer(rows, capacity), copyBuffer);
        }
        _valid = Replace(_valid, zeros([rows, capacity], ScalarType.Bool, _device).DetachFromDisposeScope(), copyValid);

        static Tensor Replace(Tensor old, Tensor fresh, Action<Tensor, Tensor> copy)
        {
            copy(old, fresh);
            old.Dispose();
            return fresh;
        }
    }

    public void Dispose()
    {
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
        _valid.Dispose();
        _keys = [];
        _values = [];
    }
}
