using Mustafar.CheckpointWriters;
using Mustafar.Models.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Serving.Tests.Host;

/// <summary>A real (tiny) TorchSharp model for the runtime's tests: 4 -> 16 -> 4 with GELU, loaded strictly from
/// a safetensors checkpoint like the real models.</summary>
public sealed class TinyMlp : nn.Module<Tensor, Tensor>
{
    public const int Width = 4;
    public const int Hidden = 16;
    private const string FileName = "model.safetensors";

#pragma warning disable IDE1006 // state-dict keys
    private readonly Linear fc1;
    private readonly Linear fc2;
#pragma warning restore IDE1006

    public TinyMlp() : base(nameof(TinyMlp))
    {
        fc1 = nn.Linear(Width, Hidden);
        fc2 = nn.Linear(Hidden, Width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return fc2.forward(nn.functional.gelu(fc1.forward(input))).MoveToOuterDisposeScope();
    }

    /// <summary>Writes a checkpoint with seeded random weights into <paramref name="folder"/>; the tensor named
    /// <paramref name="poisoned"/>, if any, is all NaN (a corrupt checkpoint).</summary>
    public static void WriteCheckpoint(string folder, long seed, string? poisoned = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        torch.manual_seed(seed);
        using var model = new TinyMlp();
        var weights = model.state_dict();
        if (poisoned is not null) weights[poisoned].fill_(double.NaN);
        SafetensorsWriter.Write(Path.Combine(folder, FileName), weights);
    }

    /// <summary>Builds the module and loads it strictly from <paramref name="folder"/>.</summary>
    public static TinyMlp Load(string folder, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        var model = new TinyMlp();
        using (var checkpoint = SafetensorsCheckpoint.Open(folder))
            StateDictLoader.Load(model, checkpoint, KeyMapping.Exact);
        model.to(device ?? CPU, dtype);
        model.eval();
        return model;
    }

    /// <summary>Runs rows through the model and returns the outputs as arrays (for direct comparisons).</summary>
    public float[][] Run(IReadOnlyList<float[]> rows)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var input = torch.tensor(rows.SelectMany(r => r).ToArray(), [rows.Count, Width]);
        var output = forward(input).contiguous().data<float>().ToArray();
        return Enumerable.Range(0, rows.Count).Select(i => output.AsSpan(i * Width, Width).ToArray()).ToArray();
    }
}
