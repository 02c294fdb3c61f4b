using Mustafar.Deploy.Tests.Support;
using Mustafar.Testing;

namespace Mustafar.Deploy.Tests;

/// <summary>Broken copies of the real files, for tests that show the checks fail on a mistake.</summary>
internal static class Mutations
{
    /// <summary><paramref name="text"/> with its one occurrence of <paramref name="from"/> replaced; the replaced
    /// text must be there, so a mutation never silently tests the unchanged file.</summary>
    public static string Replace(string text, string from, string to)
    {
        var at = text.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0, $"the file no longer contains '{from}'; update the mutation");
        Assert.True(text.IndexOf(from, at + 1, StringComparison.Ordinal) < 0, $"'{from}' occurs more than once; make the mutation specific");
        return string.Concat(text.AsSpan(0, at), to, text.AsSpan(at + from.Length));
    }

    /// <summary>A copy of deploy/k8s with one file changed, deleted by the caller.</summary>
    public static string KubernetesCopy(string relativeFile, string from, string to)
    {
        var copy = RepoPaths.NewTempFolder("k8s");
        foreach (var file in Directory.GetFiles(Mesh.KubernetesDir, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(Mesh.KubernetesDir, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var changed = Path.Combine(copy, relativeFile);
        File.WriteAllText(changed, Replace(File.ReadAllText(changed), from, to));
        return copy;
    }
}
