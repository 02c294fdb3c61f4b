using System.Text.RegularExpressions;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>Compose's variable interpolation as it applies with no variables set: <c>${NAME:-default}</c> and
/// <c>${NAME-default}</c> take the default, <c>${NAME}</c> and <c>$NAME</c> are empty, <c>$$</c> is a dollar.</summary>
internal static partial class ComposeInterpolation
{
    public static string Apply(string text) => Pattern().Replace(text, match =>
        match.Value == "$$" ? "$"
        : match.Groups["default"].Success ? Apply(match.Groups["default"].Value)
        : "");

    [GeneratedRegex(@"\$\$|\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?<default>[^}]*))?\}|\$(?<bare>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Pattern();
}
