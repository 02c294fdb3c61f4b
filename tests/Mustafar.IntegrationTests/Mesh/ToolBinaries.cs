using Mustafar.Testing.Mesh;

namespace Mustafar.IntegrationTests.Mesh;

/// <summary>The built tools these tests run as processes (their project references build them first).</summary>
public static class ToolBinaries
{
    public static string LoadTool => HostBinaries.Built("tests/load", "Mustafar.Load");

    /// <summary>The `mustafar` command (its assembly is named after the command, not the project).</summary>
    public static string Cli => HostBinaries.Built("deploy/cli", "Mustafar.Cli", "mustafar");
}
