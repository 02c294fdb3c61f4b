using Xunit;

namespace Mustafar.Testing;

/// <summary>
/// What a test needs from the machine (fixtures, a Redis server). A missing prerequisite fails the test, so that a
/// run that silently tested less can never pass; only an explicit opt-out turns it into a skip.
/// </summary>
public static class Prerequisites
{
    /// <summary>Set to 1 to skip, instead of fail, the tests whose prerequisites are missing.</summary>
    public const string AllowSkipsVariable = "MUSTAFAR_ALLOW_SKIPS";

    private static bool SkipsAllowed => Environment.GetEnvironmentVariable(AllowSkipsVariable) == "1";

    /// <summary>Fails (or, with the opt-out, skips) the test with <paramref name="missing"/> unless
    /// <paramref name="present"/>.</summary>
    public static void Require(bool present, string missing)
    {
        if (present) return;
        Skip.If(SkipsAllowed, $"{missing} ({AllowSkipsVariable}=1 skips this test)");
        throw new InvalidOperationException($"{missing}. Set {AllowSkipsVariable}=1 to skip such tests instead of failing them.");
    }
}
