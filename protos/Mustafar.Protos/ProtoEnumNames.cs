using System.Reflection;
using System.Text;
using Google.Protobuf.Reflection;

namespace Mustafar.Contracts;

/// <summary>How a client names a protobuf enum value outside the wire format (a report, a log line): its .proto name
/// without the enum's prefix, lower-cased (the values are spelled <c>ENUM_NAME_VALUE</c>):
/// <c>CACHE_STATUS_NOT_USED</c> is "not_used".</summary>
public static class ProtoEnumNames
{
    /// <summary>The value's short name; an unknown number is its number.</summary>
    public static string ShortName<TEnum>(this TEnum value) where TEnum : struct, Enum
    {
        var field = typeof(TEnum).GetField(value.ToString(), BindingFlags.Public | BindingFlags.Static);
        if (field?.GetCustomAttribute<OriginalNameAttribute>()?.Name is not { } original) return value.ToString();
        var prefix = UpperSnake(typeof(TEnum).Name) + "_";
        return (original.StartsWith(prefix, StringComparison.Ordinal) ? original[prefix.Length..] : original).ToLowerInvariant();
    }

    private static string UpperSnake(string pascal)
    {
        var snake = new StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            if (i > 0 && char.IsUpper(pascal[i])) snake.Append('_');
            snake.Append(char.ToUpperInvariant(pascal[i]));
        }
        return snake.ToString();
    }
}
