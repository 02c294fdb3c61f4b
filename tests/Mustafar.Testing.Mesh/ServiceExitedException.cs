namespace Mustafar.Testing.Mesh;

/// <summary>A mesh process exited before it was ready; carries what it printed.</summary>
public sealed class ServiceExitedException(string name, int exitCode, string output)
    : InvalidOperationException($"{name} exited with code {exitCode} before it was ready\n{output}")
{
    public string Output { get; } = output;

    /// <summary>Kestrel could not bind a port that was free when the test picked it: another process took it in
    /// between (ports come from the ephemeral range, which outgoing connections also draw from).</summary>
    public bool LostItsPort => Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase);
}
