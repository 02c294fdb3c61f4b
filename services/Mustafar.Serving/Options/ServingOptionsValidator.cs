using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Mustafar.Serving;

/// <summary>
/// Validates the runtime's options at start-up. Whichever section is resolved first reports the problems of every
/// section, so that one failed start lists everything to fix (the host resolves them one by one, and the first
/// failure would otherwise hide the rest).
/// </summary>
internal sealed class ServingOptionsValidator(IConfiguration configuration) :
    IValidateOptions<ModelOptions>, IValidateOptions<BatchingOptions>, IValidateOptions<ServerOptions>, IValidateOptions<LimitsOptions>,
    IValidateOptions<FaultOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelOptions options) => ValidateAll(options);

    public ValidateOptionsResult Validate(string? name, BatchingOptions options) => ValidateAll(options);

    public ValidateOptionsResult Validate(string? name, ServerOptions options) => ValidateAll(options);

    public ValidateOptionsResult Validate(string? name, LimitsOptions options) => ValidateAll(options);

    public ValidateOptionsResult Validate(string? name, FaultOptions options) => ValidateAll(options);

    private ValidateOptionsResult ValidateAll(IValidatedOptions resolved)
    {
        var failures = ServingOptionKeys.Sections
            .SelectMany(section => section.Type == resolved.GetType() ? resolved.Validate() : Bind(section.Type, section.Section).Validate())
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private IValidatedOptions Bind(Type type, string section) =>
        (IValidatedOptions)(configuration.GetSection(section).Get(type) ?? Activator.CreateInstance(type)!);
}
