using System.Text.Json.Nodes;
using Mustafar.Data.Synth;

namespace Mustafar.Data.Tests;

public sealed class SynthSetWriterTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void The_same_seed_and_count_give_byte_identical_files()
    {
        SynthSetWriter.Write(new SynthOptions(Seed: 3, Count: 25, Split: "test"), _folder.Sub("a"));
        SynthSetWriter.Write(new SynthOptions(Seed: 3, Count: 25, Split: "test"), _folder.Sub("b"));
        var files = Files(_folder.Sub("a"));
        Assert.Equal(25 + 4, files.Count);
        Assert.Equal(files, Files(_folder.Sub("b")));
        foreach (var file in files)
            Assert.True(File.ReadAllBytes(Path.Combine(_folder.Sub("a"), file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_folder.Sub("b"), file))), $"{file} differs");
    }

    [Fact]
    public void Train_and_test_seeds_give_disjoint_scenes_side_by_side_in_one_folder()
    {
        SynthSetWriter.Write(new SynthOptions(Seed: 1, Count: 300), _folder.Root);
        SynthSetWriter.Write(new SynthOptions(Seed: 2, Count: 300, Split: "test"), _folder.Root);
        var train = Scenes("train").ToHashSet();
        var test = Scenes("test").ToList();
        Assert.Equal(300, train.Count);
        Assert.DoesNotContain(test, train.Contains);
        Assert.Equal(600, Directory.GetFiles(_folder.Sub("images")).Length);
    }

    [Fact]
    public void The_conversation_file_is_llavas_layout()
    {
        SynthSetWriter.Write(new SynthOptions(Seed: 4, Count: 5), _folder.Root);
        var first = JsonNode.Parse(File.ReadAllText(_folder.Sub("train.json")))!.AsArray()[0]!;
        Assert.Equal("train-000000", first["id"]!.GetValue<string>());
        Assert.Equal("images/train-000000.png", first["image"]!.GetValue<string>());
        Assert.Equal("colour", first["category"]!.GetValue<string>());
        var turns = first["conversations"]!.AsArray();
        Assert.Equal(["human", "gpt"], turns.Select(t => t!["from"]!.GetValue<string>()));
        Assert.StartsWith("<image>\nWhat colour is the ", turns[0]!["value"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("\"<image>\\nWhat colour", File.ReadAllText(_folder.Sub("train.json")), StringComparison.Ordinal);
    }

    /// <summary>Each scene of a split as comparable text (its shapes' JSON).</summary>
    private IEnumerable<string> Scenes(string split) =>
        JsonNode.Parse(File.ReadAllText(_folder.Sub($"{split}.scenes.json")))!.AsArray().Select(s => s!["shapes"]!.ToJsonString());

    private static List<string> Files(string root) =>
        [.. Directory.GetFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal)];

    public void Dispose() => _folder.Dispose();
}
