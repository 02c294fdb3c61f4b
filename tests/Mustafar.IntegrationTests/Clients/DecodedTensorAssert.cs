using System.Text.Json.Nodes;
using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.IntegrationTests.Clients;

/// <summary>Compares a tensor a client in another stack decoded and printed as JSON (dtype, shape, byte_length,
/// values) with the tensor the .NET client received for the same request, number by number.</summary>
public static class DecodedTensorAssert
{
    /// <summary>The proto name of a dtype as other stacks print it ("DTYPE_FLOAT16").</summary>
    public static string ProtoName(DType dtype) =>
        TensorReflection.Descriptor.EnumTypes.Single(e => e.Name == nameof(DType)).FindValueByNumber((int)dtype).Name;

    public static void Equal(Tensor expected, JsonNode actual, string what)
    {
        var view = TensorView.Open(expected, what);
        Assert.Equal(ProtoName(expected.Dtype), actual["dtype"]!.GetValue<string>());
        Assert.Equal(view.Shape, actual["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray());
        Assert.Equal(expected.Data.Length, actual["byte_length"]!.GetValue<int>());

        var values = view.ToFloat32Array();
        var printed = actual["values"]!.AsArray();
        Assert.True(values.Length == printed.Count, $"{what}: the client printed {printed.Count} of {values.Length} values (run it with --values all)");
        for (var i = 0; i < values.Length; i++)
        {
            var decoded = Number(printed[i]!);
            // Every float16/bfloat16/float32 value is exact as a double, so the client's number narrows back to the
            // very same float: any difference is a decoding error, not rounding. (Equality, not bits: JavaScript
            // prints -0 as 0.)
            if (decoded != values[i] && !(float.IsNaN(decoded) && float.IsNaN(values[i])))
                Assert.Fail($"{what}: element {i} is {decoded:R} in the client, {values[i]:R} in .NET ({ProtoName(expected.Dtype)})");
        }
    }

    /// <summary>A JSON number, or the strings the clients use for what JSON cannot carry.</summary>
    private static float Number(JsonNode node) => node.GetValueKind() == System.Text.Json.JsonValueKind.String
        ? node.GetValue<string>() switch
        {
            "NaN" => float.NaN,
            "Infinity" => float.PositiveInfinity,
            "-Infinity" => float.NegativeInfinity,
            var other => throw new FormatException($"'{other}' is not a number"),
        }
        : (float)node.GetValue<double>();
}
