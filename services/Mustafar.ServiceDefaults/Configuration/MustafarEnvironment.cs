namespace Mustafar.ServiceDefaults;

/// <summary>
/// How every process of the mesh reads its settings from the environment. A configuration key is spelled with
/// <c>__</c> for <c>:</c>; the model hosts read their <c>Mustafar:*</c> sections from <c>MUSTAFAR__Model__Path</c> and
/// the like, and the gateway also reads <c>MUSTAFAR__Gateway__...</c> and <c>MUSTAFAR__ReverseProxy__...</c> with the
/// prefix taken off, so that one prefix names every setting of the mesh.
/// </summary>
public static class MustafarEnvironment
{
    /// <summary>The prefix of every Mustafar environment variable.</summary>
    public const string Prefix = "MUSTAFAR__";

    /// <summary>A configuration key as an environment variable: <c>Mustafar:Model:Path</c> -> <c>MUSTAFAR__Model__Path</c>
    /// (the first part upper-cased, as deployment files spell it; keys are case-insensitive).</summary>
    public static string ToVariable(string key)
    {
        var parts = key.Split(':');
        parts[0] = parts[0].ToUpperInvariant();
        return string.Join("__", parts);
    }
}
