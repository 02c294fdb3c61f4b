using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Mustafar.Models.Clip;
using TorchSharp;
using TorchSharp.Modules;

namespace Mustafar.Models.Tests;

/// <summary>
/// The field-naming rule of the model code, which .editorconfig cannot state because it does not see a field's type
/// (so it leaves Mustafar.Models out of its private-field rule): in a module, a field that holds a module or a
/// parameter is named after its state-dict key in the reference implementation (<c>q_proj</c>, <c>norm1</c>,
/// <c>weight</c>), since <c>RegisterComponents</c> takes the key from the field's name; every other private instance
/// field is <c>_camelCase</c>, as everywhere else in the repository.
/// </summary>
public sealed partial class ModelFieldNamingTests
{
    [Fact]
    public void Module_fields_carry_state_dict_names_and_every_other_private_field_is_underscore_camel_case()
    {
        var wrong = new List<string>();
        foreach (var type in typeof(ClipVisionEncoder).Assembly.GetTypes().Where(t => !t.IsDefined(typeof(CompilerGeneratedAttribute))))
        {
            var isModule = typeof(torch.nn.Module).IsAssignableFrom(type);
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (!field.IsPrivate || field.IsDefined(typeof(CompilerGeneratedAttribute)) || field.Name.Contains('<', StringComparison.Ordinal))
                    continue;
                var isStateDictEntry = isModule && (typeof(torch.nn.Module).IsAssignableFrom(field.FieldType) || typeof(Parameter).IsAssignableFrom(field.FieldType));
                var (pattern, rule) = isStateDictEntry ? (StateDictName(), "a state-dict key") : (UnderscoreCamelCase(), "_camelCase");
                if (!pattern.IsMatch(field.Name)) wrong.Add($"{type.FullName}.{field.Name} should be {rule}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex StateDictName();

    [GeneratedRegex("^_[a-z][A-Za-z0-9]*$")]
    private static partial Regex UnderscoreCamelCase();
}
