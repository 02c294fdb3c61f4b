using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Mustafar.ServiceDefaults;

/// <summary>The options sections a process validates at start-up, in the order they were added.</summary>
internal sealed class ValidatedSections
{
    public List<(Type Type, string Section)> All { get; } = [];
}

/// <summary>
/// Validates one options class at start-up, and reports the problems of every other validated section with it, so
/// that one failed start lists everything to fix (the host resolves the sections one by one, and the first failure
/// would otherwise hide the rest; the duplicates this makes are removed by
/// <see cref="StartupValidation.ConfigurationErrors"/>).
/// </summary>
internal sealed class AllSectionsValidator<TOptions>(IConfiguration configuration, ValidatedSections sections) : IValidateOptions<TOptions>
    where TOptions : class, IValidatedOptions
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var failures = sections.All
            .SelectMany(section => section.Type == typeof(TOptions) ? options.Validate() : Bind(section.Type, section.Section).Validate())
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private IValidatedOptions Bind(Type type, string section) =>
        (IValidatedOptions)(configuration.GetSection(section).Get(type) ?? Activator.CreateInstance(type)!);
}
