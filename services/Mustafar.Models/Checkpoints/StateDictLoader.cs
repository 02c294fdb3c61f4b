using TorchSharp;

namespace Mustafar.Models.Checkpoints;

/// <summary>What a load did, for the start-up log.</summary>
public sealed record LoadReport(string Source, int Loaded, IReadOnlyDictionary<string, int> Ignored)
{
    public override string ToString() =>
        $"{Loaded} tensors from {Source}" +
        (Ignored.Count == 0 ? "" : "; skipped " + string.Join(", ", Ignored.Select(kv => $"{kv.Value} under '{kv.Key}'")));
}

/// <summary>Loads a checkpoint into a module strictly: every state-dict entry must be filled exactly once with the
/// right shape, or the load fails listing what is wrong. Weights are converted to each parameter's dtype and
/// device while copying, so build the module in the target dtype first.</summary>
public static class StateDictLoader
{
    /// <summary>The module's persistent state-dict keys and shapes (parameters and saved buffers).</summary>
    public static IReadOnlyDictionary<string, long[]> ShapesOf(torch.nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);

    public static LoadPlan Plan(torch.nn.Module module, SafetensorsCheckpoint checkpoint, KeyMapping mapping) =>
        LoadPlan.Create(ShapesOf(module), checkpoint.Tensors.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.Shape)), mapping);

    public static LoadReport Load(torch.nn.Module module, SafetensorsCheckpoint checkpoint, KeyMapping mapping)
    {
        var plan = Plan(module, checkpoint, mapping);
        plan.ThrowIfIncomplete(checkpoint.Source);
        var state = module.state_dict();
        using var _ = torch.no_grad();
        foreach (var pair in plan.Pairs)
        {
            var source = checkpoint.Tensors[pair.CheckpointKey];
            source.File.CopyTo(source.Entry, state[pair.ModuleKey]);
        }
        return new LoadReport(checkpoint.Source, plan.Pairs.Count, plan.Ignored);
    }
}
