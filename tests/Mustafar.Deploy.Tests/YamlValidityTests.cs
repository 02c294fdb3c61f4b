using Mustafar.Deploy.Tests.Support;

namespace Mustafar.Deploy.Tests;

public sealed class YamlValidityTests
{
    public static TheoryData<string> YamlFiles => new(
        new[] { Mesh.ComposeFile, Mesh.ComposeCpuFile, Mesh.InRepo(".yamllint.yml") }
            .Concat(Directory.GetFiles(Mesh.KubernetesDir, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            .Select(f => Path.GetRelativePath(Mesh.InRepo("."), f)));

    [Theory]
    [MemberData(nameof(YamlFiles))]
    public void Deployment_yaml_parses_and_passes_the_basic_lint_rules(string file)
    {
        Assert.Empty(YamlLint.Problems(File.ReadAllText(Mesh.InRepo(file)), file));
    }

    [Theory]
    [InlineData("a:\n\tb: 1\n", "tab character")]
    [InlineData("a: 1 \n", "trailing spaces")]
    [InlineData("a: 1", "no newline at the end")]
    [InlineData("a: 1\r\n", "CR line endings")]
    [InlineData("a:\n  enabled: yes\n", "plain 'yes' is a boolean")]
    [InlineData("a: 1\na: 2\n", "Duplicate key")]
    [InlineData("a: [1, 2\n", "t.yaml")]
    public void The_lint_finds_what_yamllint_would(string text, string expected)
    {
        Assert.Contains(YamlLint.Problems(text, "t.yaml"), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Quoted_truthy_words_and_real_booleans_are_fine()
    {
        Assert.Empty(YamlLint.Problems("a: \"no\"\nb: true\nc: 'on'\n", "t.yaml"));
    }
}
