namespace Mustafar.Gateway.TestServers;

/// <summary>An empty folder used as every test host's content root, so that no appsettings.json copied next to the
/// test binaries (the gateway's own, with its fixed ports and destinations) leaks into a test's configuration.</summary>
public static class TestContentRoot
{
    public static string Path { get; } = Mustafar.Testing.RepoPaths.NewTempFolder("content-root");
}
