using Mustafar.Deploy.Tests.Support;
using Mustafar.Serving;
using Mustafar.ServiceDefaults;

namespace Mustafar.Deploy.Tests;

/// <summary>The README's configuration reference documents every option the code reads, with its environment
/// variable: a new option without documentation fails here.</summary>
public class ReadmeTests
{
    private static readonly string Readme = File.ReadAllText(Mesh.InRepo("README.md"));

    public static TheoryData<string> ServiceKeys() => new(ServingOptionKeys.All);

    public static TheoryData<string> GatewayKeys() => new(GatewayConfiguration.OptionKeys.Select(k => k.TrimEnd('*').TrimEnd(':')));

    [Theory]
    [MemberData(nameof(ServiceKeys))]
    public void Every_model_service_option_is_documented_with_its_environment_variable(string key)
    {
        Assert.Contains($"`{key}`", Readme, StringComparison.Ordinal);
        Assert.Contains($"`{MustafarEnvironment.ToVariable(key)}`", Readme, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(GatewayKeys))]
    public void Every_gateway_option_is_documented(string key)
    {
        Assert.Contains($"`{key}`", Readme, StringComparison.Ordinal);
        Assert.Contains(key.Replace(":", "__", StringComparison.Ordinal), Readme, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("deploy/scripts/mesh.sh up --once")]
    [InlineData("deploy/scripts/test.sh")]
    public void The_quick_start_gives_the_two_contract_commands_first(string command)
    {
        var quickStart = Readme[Readme.IndexOf("## Quick start", StringComparison.Ordinal)..];
        var codeBlocks = quickStart.Split("```").Where((_, i) => i % 2 == 1).Take(2).Select(b => b.Trim());
        Assert.Contains(command, codeBlocks);
        Assert.True(File.Exists(Mesh.InRepo(command.Split(' ')[0])), $"{command} names a script that does not exist");
    }
}
