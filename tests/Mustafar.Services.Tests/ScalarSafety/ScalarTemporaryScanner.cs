using System.Reflection;
using System.Reflection.Emit;
using TorchSharp;

namespace Mustafar.Services.Tests.ScalarSafety;

/// <summary>
/// Finds, in compiled code, every call that can hand libtorch a TorchSharp Scalar nobody keeps alive (see
/// Mustafar.Torch.ScalarSafeOps for why that fails under load). It reads IL rather than source, so operators
/// (<c>a + b</c>, <c>t * 0.5</c>) and implicit conversions are seen exactly as the compiler bound them. A call is
/// hazardous when its TorchSharp target takes a Scalar, makes one (an implicit conversion, ToScalar), or calls,
/// a few levels down inside TorchSharp, something that makes one (<c>Tensor.add(Tensor)</c> is <c>add(t, 1)</c>).
/// </summary>
internal static class ScalarTemporaryScanner
{
    private const int TorchSharpDepth = 4;
    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic |
                                          BindingFlags.Instance | BindingFlags.Static;

    private static readonly Assembly TorchSharpAssembly = typeof(Scalar).Assembly;
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);
    private static readonly Dictionary<MethodBase, bool> MakesScalarMemo = [];

    /// <summary>"Caller -> callee" for every hazardous call in the assemblies' own code, except in
    /// <paramref name="exempt"/> (the one type that keeps its Scalars alive by construction).</summary>
    public static IReadOnlyList<string> Scan(IEnumerable<Assembly> assemblies, Type exempt) => FindCalls(assemblies, exempt, IsHazardous);

    /// <summary>"Caller -> callee" for every call in the assemblies' own code whose callee matches
    /// <paramref name="target"/>, except in <paramref name="exempt"/>. Other guards over compiled code use this.</summary>
    public static IReadOnlyList<string> FindCalls(IEnumerable<Assembly> assemblies, Type exempt, Func<MethodBase, bool> target) =>
        assemblies.SelectMany(a => a.GetTypes())
            .Where(t => !IsOrIsNestedIn(t, exempt))
            .SelectMany(t => t.GetMethods(Declared).Cast<MethodBase>().Concat(t.GetConstructors(Declared)))
            .SelectMany(m => Calls(m).Where(target).Select(callee => $"{Describe(m)} -> {Describe(callee)}"))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Hazardous calls in one method, for tests of the scanner itself.</summary>
    public static IReadOnlyList<string> Scan(MethodBase method) =>
        Calls(method).Where(IsHazardous).Select(Describe).ToList();

    private static bool IsHazardous(MethodBase callee) =>
        callee.DeclaringType?.Assembly == TorchSharpAssembly &&
        (callee.GetParameters().Any(p => p.ParameterType == typeof(Scalar)) || MakesScalar(callee, TorchSharpDepth));

    private static bool MakesScalar(MethodBase method, int depth)
    {
        if (method is MethodInfo { ReturnType: var returns } && returns == typeof(Scalar)) return true;
        if (depth == 0 || method.DeclaringType?.Assembly != TorchSharpAssembly) return false;
        if (MakesScalarMemo.TryGetValue(method, out var known)) return known;
        MakesScalarMemo[method] = false; // recursion guard
        var result = Calls(method).Any(callee => MakesScalar(callee, depth - 1));
        return MakesScalarMemo[method] = result;
    }

    /// <summary>The methods a body calls, constructs or takes the address of.</summary>
    private static IEnumerable<MethodBase> Calls(MethodBase method)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or BadImageFormatException)
        {
            yield break;
        }
        if (il is null) yield break;
        var typeArguments = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            var value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            at += il[at] == 0xFE ? 2 : 1;
            var opcode = OpCodesByValue[value];
            if (opcode.OperandType == OperandType.InlineMethod)
            {
                var token = BitConverter.ToInt32(il, at);
                MethodBase? callee = null;
                try
                {
                    callee = method.Module.ResolveMethod(token, typeArguments, methodArguments);
                }
                catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or MissingMethodException)
                {
                }
                if (callee is not null) yield return callee;
            }
            at += OperandSize(opcode.OperandType, il, at);
        }
    }

    private static int OperandSize(OperandType type, byte[] il, int at) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };

    private static bool IsOrIsNestedIn(Type type, Type outer)
    {
        for (var t = type; t is not null; t = t.DeclaringType)
            if (t == outer) return true;
        return false;
    }

    private static string Describe(MethodBase method) =>
        $"{method.DeclaringType?.FullName}.{method.Name}({string.Join(", ", method.GetParameters().Select(p => p.ParameterType.Name))})";
}
