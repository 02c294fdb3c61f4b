namespace Mustafar.Models.Checkpoints;

/// <summary>A checkpoint key that fills a module key.</summary>
public sealed record KeyPair(string ModuleKey, string CheckpointKey);

/// <summary>What a load would do, worked out from key names and shapes alone, so that it can be checked against
/// the real checkpoints' key lists without their weights.</summary>
public sealed record LoadPlan(
    IReadOnlyList<KeyPair> Pairs,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<string> ShapeMismatches,
    IReadOnlyDictionary<string, int> Ignored)
{
    public bool IsComplete => Missing.Count == 0 && Unexpected.Count == 0 && ShapeMismatches.Count == 0;

    /// <summary>Throws a <see cref="CheckpointMismatchException"/> that lists every problem key.</summary>
    public void ThrowIfIncomplete(string source)
    {
        if (!IsComplete) throw new CheckpointMismatchException(source, this);
    }

    /// <summary>Builds the plan from the module's expected keys and shapes and the checkpoint's.</summary>
    public static LoadPlan Create(
        IReadOnlyDictionary<string, long[]> moduleShapes,
        IEnumerable<KeyValuePair<string, long[]>> checkpointShapes,
        KeyMapping mapping)
    {
        var pairs = new List<KeyPair>();
        var unexpected = new List<string>();
        var mismatches = new List<string>();
        var ignored = new Dictionary<string, int>(StringComparer.Ordinal);
        var filled = new HashSet<string>(StringComparer.Ordinal);

        foreach (var (key, shape) in checkpointShapes)
        {
            var moduleKey = mapping.ToModuleKey(key, out var ignoredBecause);
            if (ignoredBecause is not null)
            {
                ignored[ignoredBecause] = ignored.GetValueOrDefault(ignoredBecause) + 1;
                continue;
            }
            if (moduleKey is null || !moduleShapes.TryGetValue(moduleKey, out var expected))
            {
                unexpected.Add(key);
                continue;
            }
            if (!filled.Add(moduleKey))
            {
                unexpected.Add($"{key} (a second source for '{moduleKey}')");
                continue;
            }
            if (!expected.SequenceEqual(shape))
                mismatches.Add($"{key}: checkpoint [{string.Join(", ", shape)}], model [{string.Join(", ", expected)}]");
            pairs.Add(new KeyPair(moduleKey, key));
        }

        var missing = moduleShapes.Keys
            .Where(k => !filled.Contains(k) && !mapping.OptionalModuleKeys.Contains(k))
            .Select(k => mapping.Prefix + k)
            .Order(StringComparer.Ordinal)
            .ToList();
        unexpected.Sort(StringComparer.Ordinal);
        return new LoadPlan(pairs, missing, unexpected, mismatches, ignored);
    }
}

/// <summary>A checkpoint that does not match the model built from its config: lists the missing, unexpected and
/// mis-shaped keys (the first 40 of each, with counts), so the cause is visible in one log line.</summary>
public sealed class CheckpointMismatchException(string source, LoadPlan plan) : IOException(Describe(source, plan))
{
    public LoadPlan Plan { get; } = plan;

    private static string Describe(string source, LoadPlan plan)
    {
        static string List(string title, IReadOnlyList<string> keys) =>
            keys.Count == 0 ? "" : $"\n  {title} ({keys.Count}): {string.Join(", ", keys.Take(40))}{(keys.Count > 40 ? ", ..." : "")}";
        return $"checkpoint '{source}' does not match the model built from its config:" +
               List("missing keys", plan.Missing) + List("unexpected keys", plan.Unexpected) + List("shape mismatches", plan.ShapeMismatches);
    }
}
