using Mustafar.Tensors;
using static TorchSharp.torch;

namespace Mustafar.Models.Fusion;

/// <summary>Checks a request's named features against what the fusion module was trained on, so that a wrong
/// feature fails as the caller's mistake, naming the feature, instead of as a shape error deep in a forward.</summary>
public static class VisualFeatureValidator
{
    /// <summary>The request field of a feature, for error messages.</summary>
    public static string Field(string name) => $"features[\"{name}\"]";

    public static void Validate(IReadOnlyDictionary<string, Tensor> features, FusionConfig config)
    {
        var expected = config.ExpectedFeatures;
        foreach (var name in features.Keys.Where(n => expected.All(s => s.Name != n)))
            throw new InvalidInputException(Field(name),
                $"not a feature this {config.Mode.ConfigName()} model uses (it expects {string.Join(", ", expected.Select(s => s.Name))})");
        foreach (var spec in expected)
        {
            var field = Field(spec.Name);
            if (!features.TryGetValue(spec.Name, out var feature))
                throw new InvalidInputException(field,
                    $"missing: the {config.Mode.ConfigName()} fusion needs '{spec.Name}' [{spec.Tokens}, {spec.Channels}] from the {spec.Source.ToString().ToLowerInvariant()} encoder" +
                    (spec.DiffusionTap is null ? "" : $" (tap {spec.DiffusionTap})"));
            if (feature.shape.Length != 2 || feature.shape[0] != spec.Tokens || feature.shape[1] != spec.Channels)
                throw new InvalidInputException(field,
                    $"shape [{string.Join(", ", feature.shape)}], but the model was trained on [{spec.Tokens}, {spec.Channels}]" + Describe(spec));
            if (!feature.is_floating_point())
                throw new InvalidInputException(field, $"dtype {feature.dtype} is not a floating-point type");
            using var scope = NewDisposeScope();
            if (!isfinite(feature).all().item<bool>())
                throw new InvalidInputException(field, "contains NaN or infinite values");
        }
    }

    private static string Describe(VisualFeatureSpec spec) => spec.Source == VisualFeatureSource.Clip
        ? $" (CLIP hidden_states[{spec.ClipSelectLayer}], {spec.GridHeight}x{spec.GridWidth} patches{(spec.ClipKeepCls ? " + CLS" : ", CLS dropped")})"
        : $" (U-Net tap {spec.DiffusionTap}, {spec.GridHeight}x{spec.GridWidth} grid)";
}
