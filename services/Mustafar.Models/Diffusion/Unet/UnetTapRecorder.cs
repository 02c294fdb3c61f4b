using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.Unet;

/// <summary>
/// Collects the requested taps during one forward pass. Modules report their outputs by diffusers module path;
/// the recorder keeps only what was asked for, as [batch, c, h, w] maps, in the dispose scope of the forward
/// that created it. Once every requested tap is in, <see cref="IsComplete"/> turns true and the modules return
/// without further work: this is the early stop. With nothing requested it never completes.
/// </summary>
public sealed class UnetTapRecorder
{
    private readonly Dictionary<string, UnetTap> _wanted;
    private readonly Dictionary<string, Tensor> _captured = new(StringComparer.Ordinal);
    private readonly DisposeScope? _scope;

    public UnetTapRecorder(IEnumerable<UnetTap> taps, DisposeScope? scope)
    {
        _wanted = taps.ToDictionary(t => t.ModulePath, StringComparer.Ordinal);
        _scope = scope;
    }

    public static UnetTapRecorder Nothing { get; } = new([], null);

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
        _captured[tap.Name] = _scope is null ? map.DetachFromDisposeScope() : map.MoveToOtherDisposeScope(_scope);
    }
}
