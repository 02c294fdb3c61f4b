using System.Globalization;
using System.Text.Json.Nodes;

namespace Mustafar.Models.Llama;

/// <summary>The RoPE scaling types this decoder implements (transformers' <c>rope_scaling.rope_type</c>).</summary>
public enum RopeScalingType
{
    /// <summary>Positions divided by the factor (transformers "linear").</summary>
    Linear,
    /// <summary>Dynamic NTK: the base grows with the sequence length once it passes max_position_embeddings
    /// (transformers "dynamic").</summary>
    Dynamic,
}

/// <summary>A config's <c>rope_scaling</c> object. Types other than linear and dynamic fail at load: a model whose
/// positions are silently encoded differently from training would still produce text, just worse.</summary>
public sealed record RopeScaling(RopeScalingType Type, double Factor)
{
    /// <summary>Parses <c>rope_scaling</c>; null or <c>{"rope_type": "default"}</c> means no scaling.</summary>
    public static RopeScaling? Parse(JsonNode? node, string source)
    {
        if (node is null) return null;
        if (node is not JsonObject scaling)
            throw new InvalidDataException($"{source}: 'rope_scaling' must be an object or null, not {node.ToJsonString()}");
        // transformers 4.44 accepts both spellings; "rope_type" wins (modeling_rope_utils standardisation).
        var typeNode = scaling["rope_type"] ?? scaling["type"];
        var type = typeNode is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        if (type is null)
            throw new InvalidDataException($"{source}: 'rope_scaling' needs a 'rope_type' (or 'type'): {node.ToJsonString()}");
        if (type == "default") return null;
        var kind = type switch
        {
            "linear" => RopeScalingType.Linear,
            "dynamic" => RopeScalingType.Dynamic,
            _ => throw new NotSupportedException(
                $"{source}: rope_scaling type '{type}' is not supported by this decoder (supported: linear, dynamic, default)"),
        };
        if (scaling["factor"] is not JsonValue factorValue || !TryNumber(factorValue, out var factor) || !(factor >= 1))
            throw new InvalidDataException($"{source}: rope_scaling '{type}' needs a numeric 'factor' >= 1, got {scaling["factor"]?.ToJsonString() ?? "none"}");
        return new RopeScaling(kind, factor);
    }

    private static bool TryNumber(JsonValue value, out double number)
    {
        if (value.TryGetValue(out number)) return true;
        if (value.TryGetValue<int>(out var integer)) { number = integer; return true; }
        return double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number);
    }
}
