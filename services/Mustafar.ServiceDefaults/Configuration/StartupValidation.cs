using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mustafar.ServiceDefaults;

/// <summary>
/// Options validation at start, the same in every process: each section is bound from configuration and checked
/// before the server listens; a bad configuration stops the process with exit code 2 and every problem printed at
/// once, each named by its configuration key.
/// </summary>
public static class StartupValidation
{
    /// <summary>The exit code of a process that refused its configuration.</summary>
    public const int InvalidConfigurationExitCode = 2;

    /// <summary>Binds <typeparamref name="TOptions"/> to <paramref name="section"/> and validates it at start-up,
    /// together with every other section added this way.</summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this WebApplicationBuilder builder, string section)
        where TOptions : class, IValidatedOptions
    {
        var sections = builder.Services.FirstOrDefault(d => d.ServiceType == typeof(ValidatedSections))?.ImplementationInstance as ValidatedSections;
        if (sections is null)
        {
            sections = new ValidatedSections();
            builder.Services.AddSingleton(sections);
        }
        sections.All.Add((typeof(TOptions), section));
        builder.Services.AddSingleton<IValidateOptions<TOptions>, AllSectionsValidator<TOptions>>();
        var configuration = builder.Configuration;
        return builder.Services.AddOptions<TOptions>()
            // Before the binder, which would throw at the first value that does not convert, outside validation.
            .Configure(_ => ThrowIfUnconvertible(configuration, typeof(TOptions), section, sections))
            .Bind(configuration.GetSection(section))
            .ValidateOnStart();
    }

    /// <summary>A validated section's values while the process is still being built, before its options can be
    /// resolved (a server limit that must be set up front). A value that does not convert keeps its default here;
    /// the start-up validation reports it and stops the process with <see cref="InvalidConfigurationExitCode"/>
    /// before it listens.</summary>
    public static TOptions ReadEarly<TOptions>(this IConfiguration configuration, string section)
        where TOptions : class, IValidatedOptions, new()
    {
        var (convertible, _) = UnconvertibleValues.Split(configuration.GetSection(section), typeof(TOptions));
        return convertible.Get<TOptions>() ?? new TOptions();
    }

    private static void ThrowIfUnconvertible(IConfiguration configuration, Type type, string section, ValidatedSections sections)
    {
        if (UnconvertibleValues.In(configuration.GetSection(section), type).Any())
            throw new OptionsValidationException(Options.DefaultName, type, sections.Problems(configuration));
    }

    /// <summary>Validates every section added with <see cref="AddValidatedOptions{TOptions}"/> now, for a process
    /// that reads its options while it is being built, before the host starts (the gateway's YARP routes load when
    /// they are mapped); throws what the host's own start-up validation would.</summary>
    public static void ValidateOptionsNow(this IServiceProvider services)
    {
        var sections = services.GetService<ValidatedSections>();
        if (sections is null) return;
        var failures = new List<OptionsValidationException>();
        foreach (var (type, _) in sections.All)
        {
            try
            {
                _ = ((IOptions<object>)services.GetRequiredService(typeof(IOptions<>).MakeGenericType(type))).Value;
            }
            catch (OptionsValidationException error)
            {
                failures.Add(error);
            }
        }
        if (failures.Count > 0) throw new AggregateException(failures);
    }

    /// <summary>A process's whole life: builds and runs it and returns its exit code, or prints every configuration
    /// problem of a start that failed validation and returns <see cref="InvalidConfigurationExitCode"/>.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> buildAndRun)
    {
        try
        {
            return await buildAndRun().ConfigureAwait(false);
        }
        catch (Exception error) when (ConfigurationErrors(error) is { } failures)
        {
            await Console.Error.WriteLineAsync("Invalid configuration:").ConfigureAwait(false);
            foreach (var failure in failures) await Console.Error.WriteLineAsync($"  {failure}").ConfigureAwait(false);
            return InvalidConfigurationExitCode;
        }
    }

    /// <summary>Every configuration problem in a start-up failure (one options class failing, or several, which
    /// the host reports as an <see cref="AggregateException"/>), each once; null when the failure is something else.</summary>
    public static IReadOnlyList<string>? ConfigurationErrors(Exception error)
    {
        var invalid = error is AggregateException aggregate
            ? aggregate.Flatten().InnerExceptions.OfType<OptionsValidationException>().ToList()
            : error is OptionsValidationException single ? [single] : [];
        return invalid.Count == 0 ? null : invalid.SelectMany(e => e.Failures).Distinct(StringComparer.Ordinal).ToList();
    }
}
