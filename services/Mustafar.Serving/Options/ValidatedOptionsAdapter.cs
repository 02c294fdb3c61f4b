using Microsoft.Extensions.Options;

namespace Mustafar.Serving;

/// <summary>Runs <see cref="IValidatedOptions.Validate"/> through the options pipeline, so that
/// <c>ValidateOnStart</c> stops the host before it listens, with every problem listed.</summary>
internal sealed class ValidatedOptionsAdapter<T> : IValidateOptions<T> where T : class, IValidatedOptions
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var errors = options.Validate().ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
