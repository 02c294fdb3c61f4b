using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Mustafar.ServiceDefaults;

/// <summary>
/// The configured values that cannot become the type of the option they set (<c>abc</c> for an integer), found
/// before anything binds them. <see cref="ConfigurationBinder"/> throws at the first such value, outside options
/// validation, so the process would crash with a stack trace instead of exiting with code 2 and naming every
/// problem. The walk follows the binder's rules: a property is set from the key of its name (or its
/// <see cref="ConfigurationKeyNameAttribute"/>), a value with its type's <see cref="TypeConverter"/> in the invariant
/// culture (an empty value leaves a nullable one null), a collection or dictionary element by element.
/// </summary>
internal static class UnconvertibleValues
{
    /// <summary>Every value under <paramref name="section"/> that would fail to bind to <paramref name="type"/>:
    /// its key, and the problem named by it ("<c>Gateway:Limits:QueueLimit must be an integer ..., not 'abc'</c>").</summary>
    public static IEnumerable<(string Key, string Problem)> In(IConfigurationSection section, Type type) => Walk(section, type, depth: 0);

    /// <summary><paramref name="section"/> without the values of <paramref name="keys"/> (and anything under them),
    /// so that the rest binds and is validated too: one start names every problem.</summary>
    public static IConfigurationSection Without(IConfigurationSection section, IReadOnlyCollection<string> keys)
    {
        if (keys.Count == 0) return section;
        bool Dropped(string key) => keys.Any(bad => key.Equals(bad, StringComparison.OrdinalIgnoreCase)
            || key.StartsWith(bad + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase));
        var kept = section.AsEnumerable(makePathsRelative: false).Where(entry => !Dropped(entry.Key));
        return new ConfigurationBuilder().AddInMemoryCollection(kept).Build().GetSection(section.Path);
    }

    /// <summary>The values of <paramref name="section"/> that bind to <paramref name="type"/>, and the problems
    /// of the others.</summary>
    public static (IConfigurationSection Convertible, List<string> Problems) Split(IConfigurationSection section, Type type)
    {
        var unconvertible = In(section, type).ToList();
        return (Without(section, unconvertible.ConvertAll(value => value.Key)), unconvertible.ConvertAll(value => value.Problem));
    }

    // Deep enough for any options class; a type that refers to itself ends here instead of recursing for ever.
    private const int MaxDepth = 16;

    private static IEnumerable<(string Key, string Problem)> Walk(IConfigurationSection section, Type type, int depth)
    {
        if (depth > MaxDepth || type == typeof(object) || !section.Exists()) yield break;
        if (IsValue(type))
        {
            if (section.Value is { } value && !Converts(type, value)) yield return (section.Path, $"{section.Path} must be {Describe(type)}, not '{value}'");
            yield break;
        }
        if (DictionaryTypes(type) is { } dictionary)
        {
            foreach (var child in section.GetChildren())
            {
                if (!Converts(dictionary.Key, child.Key)) yield return (child.Path, $"{child.Path}: the key '{child.Key}' must be {Describe(dictionary.Key)}");
                foreach (var problem in Walk(child, dictionary.Value, depth + 1)) yield return problem;
            }
            yield break;
        }
        if (ElementType(type) is { } element)
        {
            foreach (var child in section.GetChildren())
            foreach (var problem in Walk(child, element, depth + 1))
                yield return problem;
            yield break;
        }
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetMethod is not { IsPublic: true } || property.GetIndexParameters().Length > 0) continue;
            var key = property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? property.Name;
            foreach (var problem in Walk(section.GetSection(key), property.PropertyType, depth + 1)) yield return problem;
        }
    }

    private static bool IsValue(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return underlying == typeof(byte[]) || TypeDescriptor.GetConverter(underlying).CanConvertFrom(typeof(string));
    }

    private static bool Converts(Type type, string value)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            if (value.Length == 0) return true;
            type = underlying;
        }
        try
        {
            _ = type == typeof(byte[]) ? Convert.FromBase64String(value) : TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception error) when (error is FormatException or ArgumentException or NotSupportedException or OverflowException)
        {
            return false;
        }
    }

    private static (Type Key, Type Value)? DictionaryTypes(Type type)
    {
        foreach (var candidate in type.GetInterfaces().Prepend(type))
        {
            if (!candidate.IsGenericType) continue;
            var definition = candidate.GetGenericTypeDefinition();
            if (definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
                return (candidate.GetGenericArguments()[0], candidate.GetGenericArguments()[1]);
        }
        return null;
    }

    private static Type? ElementType(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        foreach (var candidate in type.GetInterfaces().Prepend(type))
            if (candidate.IsGenericType && candidate.GetGenericTypeDefinition() == typeof(IEnumerable<>))
                return candidate.GetGenericArguments()[0];
        return null;
    }

    private static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsEnum) return $"one of {string.Join(", ", Enum.GetNames(type))}";
        return Type.GetTypeCode(type) switch
        {
            TypeCode.Byte or TypeCode.SByte or TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Int32 or TypeCode.UInt32
                or TypeCode.Int64 or TypeCode.UInt64 => $"an integer from {Bound(type, "MinValue")} to {Bound(type, "MaxValue")}",
            TypeCode.Single or TypeCode.Double or TypeCode.Decimal => "a number",
            TypeCode.Boolean => "true or false",
            _ when type == typeof(TimeSpan) => "a duration ([d.]hh:mm:ss[.fff])",
            _ when type == typeof(byte[]) => "base64",
            _ => $"a {type.Name}",
        };
    }

    private static string Bound(Type type, string field) =>
        Convert.ToString(type.GetField(field, BindingFlags.Public | BindingFlags.Static)!.GetValue(null), CultureInfo.InvariantCulture)!;
}
