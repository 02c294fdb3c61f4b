using System.Globalization;

namespace Mustafar.Load.Scenario;

/// <summary>Request kinds with relative weights, written "chat=2,ask=1,clip=1" (a kind without a weight counts 1).</summary>
public sealed class RequestMix
{
    private readonly (RequestKind Kind, double Weight)[] _weights;
    private readonly double _total;

    private RequestMix((RequestKind Kind, double Weight)[] weights)
    {
        _weights = weights;
        _total = weights.Sum(w => w.Weight);
    }

    public IReadOnlyList<RequestKind> Kinds => _weights.Select(w => w.Kind).ToArray();

    public double WeightOf(RequestKind kind) => _weights.Where(w => w.Kind == kind).Sum(w => w.Weight);

    /// <summary>The kind that <paramref name="uniform"/> (in [0, 1)) falls on.</summary>
    public RequestKind Pick(double uniform)
    {
        var point = uniform * _total;
        foreach (var (kind, weight) in _weights)
        {
            if (point < weight) return kind;
            point -= weight;
        }
        return _weights[^1].Kind;
    }

    public static RequestMix Parse(string text)
    {
        var weights = new List<(RequestKind, double)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (name, weightText) = part.Split('=', 2) is [var n, var w] ? (n.Trim(), w.Trim()) : (part, "1");
            var kind = ParseKind(name);
            if (!double.TryParse(weightText, NumberStyles.Float, CultureInfo.InvariantCulture, out var weight) || !(weight >= 0) || double.IsInfinity(weight))
                throw new FormatException($"the weight of {name} must be a number >= 0, not '{weightText}'");
            if (weights.Any(w => w.Item1 == kind)) throw new FormatException($"{name} is given twice");
            if (weight > 0) weights.Add((kind, weight));
        }
        if (weights.Count == 0) throw new FormatException($"'{text}' names no kind with a positive weight");
        return new RequestMix([.. weights]);
    }

    /// <summary>"chat", "chat-stream", "ask", "clip", "diffusion".</summary>
    public static string Name(RequestKind kind) => kind switch
    {
        RequestKind.ChatStream => "chat-stream",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static RequestKind ParseKind(string name) =>
        Enum.GetValues<RequestKind>().FirstOrDefault(k => Name(k) == name.ToLowerInvariant(), (RequestKind)(-1)) is var kind && kind >= 0
            ? kind
            : throw new FormatException($"unknown kind '{name}'; the kinds are {string.Join(", ", Enum.GetValues<RequestKind>().Select(Name))}");

    public override string ToString() =>
        string.Join(",", _weights.Select(w => $"{Name(w.Kind)}={w.Weight.ToString(CultureInfo.InvariantCulture)}"));
}
