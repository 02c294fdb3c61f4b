using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.UNet;

/// <summary>
/// Collects the requested taps during one forward pass. Modules report their outputs by diffusers module path;
/// the recorder keeps only what was asked for, as [batch, c, h, w] maps detached from every dispose scope (the
/// forward hands them to its caller's scope, or disposes them on failure). Once every requested tap is in, <see cref="IsComplete"/> turns true and the modules return
/// without further work: this is the early stop. With nothing requested it never completes.
/// </summary>
internal sealed class UNetTapRecorder
{
    private readonly Dictionary<string, UNetTap> _wanted;
    private readonly Dictionary<string, Tensor> _captured = new(StringComparer.Ordinal);

    public UNetTapRecorder(IEnumerable<UNetTap> taps)
    {
        _wanted = taps.ToDictionary(t => t.ModulePath, StringComparer.Ordinal);
    }

    public bool IsComplete => _wanted.Count > 0 && _captured.Count == _wanted.Count;

    /// <summary>Captured maps by tap name.</summary>
    public IReadOnlyDictionary<string, Tensor> Captured => _captured;

    public void Record(string modulePath, Tensor output) => Record(modulePath, output, 0, 0);

    /// <summary>Records a module output; token layouts [batch, h*w, c] need the grid.</summary>
    public void Record(string modulePath, Tensor output, long height, long width)
    {
        if (!_wanted.TryGetValue(modulePath, out var tap)) return;
        var map = tap.Layout switch
        {
            TapLayout.Tokens => output.view(output.shape[0], height, width, output.shape[2]).permute(0, 3, 1, 2),
            TapLayout.Vector => output.view(output.shape[0], output.shape[1], 1, 1),
            // A separate handle on the same storage: the module still returns (and moves) its own tensor.
            _ => output.alias(),
        };
        // Detached rather than moved: TorchSharp 0.107 loses track of a tensor moved into the scope it is already in.
        _captured[tap.Name] = map.DetachFromDisposeScope();
    }

    /// <summary>Hands the captured maps to <paramref name="scope"/>'s outer scope (the caller's).</summary>
    public Dictionary<string, Tensor> MoveToOuterOf(DisposeScope scope)
    {
        foreach (var map in _captured.Values) scope.Attach(map);
        return _captured.ToDictionary(kv => kv.Key, kv => kv.Value.MoveToOuterDisposeScope(), StringComparer.Ordinal);
    }

    public void DisposeCaptured()
    {
        foreach (var map in _captured.Values) map.Dispose();
        _captured.Clear();
    }
}
