using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Mustafar.ServiceDefaults;

/// <summary>The options sections a process validates at start-up, in the order they were added.</summary>
internal sealed class ValidatedSections
{
    public List<(Type Type, string Section)> All { get; } = [];

    /// <summary>Every problem of every section: the values that do not convert to their option's type, and what
    /// the section's own validation says of the others. <paramref name="bound"/> stands for its
    /// section as the options system bound it (with whatever else configured it).</summary>
    public List<string> Problems(IConfiguration configuration, (Type Type, IValidatedOptions Options)? bound = null) =>
        All.SelectMany(section => bound is { } options && options.Type == section.Type
                ? options.Options.Validate()
                : Problems(configuration, section.Type, section.Section))
            .ToList();

    private static IEnumerable<string> Problems(IConfiguration configuration, Type type, string name)
    {
        var (convertible, problems) = UnconvertibleValues.Split(configuration.GetSection(name), type);
        return problems.Concat(((IValidatedOptions)(convertible.Get(type) ?? Activator.CreateInstance(type)!)).Validate());
    }
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
        var failures = sections.Problems(configuration, (typeof(TOptions), options));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
