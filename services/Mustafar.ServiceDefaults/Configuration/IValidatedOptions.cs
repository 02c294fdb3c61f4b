namespace Mustafar.ServiceDefaults;

/// <summary>An options section that checks itself at start-up. Each error names its full configuration key, so a
/// bad value in appsettings or a <c>MUSTAFAR__</c> environment variable is found without reading code.</summary>
public interface IValidatedOptions
{
    /// <summary>Problems with the bound values; empty when they are fine.</summary>
    IEnumerable<string> Validate();
}
