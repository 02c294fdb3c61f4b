using Mustafar.Eval.Readers;
using Mustafar.Eval.Tests.Fixtures;
using Parquet.Serialization;

namespace Mustafar.Eval.Tests.Readers;

public sealed class BlinkTests : IDisposable
{
    private readonly FixtureFolder _folder = new();

    /// <summary>The columns of BLINK's Parquet files on Hugging Face (image structs as the datasets library writes them).</summary>
    public sealed class Row
    {
        public string? idx { get; set; }
        public string? question { get; set; }
        public string? sub_task { get; set; }
        public Image? image_1 { get; set; }
        public Image? image_2 { get; set; }
        public Image? image_3 { get; set; }
        public Image? image_4 { get; set; }
        public List<string>? choices { get; set; }
        public string? answer { get; set; }
        public string? prompt { get; set; }
        public string? explanation { get; set; }
    }

    public sealed class Image
    {
        public byte[]? bytes { get; set; }
        public string? path { get; set; }
    }

    private static Row Item(string idx, string subtask, string question, List<string> choices, string answer, int images = 1)
    {
        var options = string.Join("\n", choices.Select((c, i) => $"({(char)('A' + i)}) {c}"));
        Image Picture(int n) => new() { bytes = FixtureFolder.TinyPng((byte)(idx.GetHashCode(StringComparison.Ordinal) + n)), path = $"{idx}_{n}.png" };
        return new Row
        {
            idx = idx, question = question, sub_task = subtask, choices = choices, answer = answer, explanation = "",
            prompt = $"{question}\nSelect from the following choices.\n{options}",
            image_1 = Picture(1), image_2 = images > 1 ? Picture(2) : null,
        };
    }

    private async Task WriteAsync(string relativePath, params Row[] rows)
    {
        var path = Path.Combine(_folder.Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await ParquetSerializer.SerializeAsync(rows, path);
    }

    private async Task<string> WriteFixtureAsync()
    {
        await WriteAsync("BLINK/Relative_Depth/val-00000-of-00001.parquet",
            Item("val_Relative_Depth_1", "Relative_Depth", "Which point is closer to the camera?", ["A is closer", "B is closer"], "(A)"),
            Item("val_Relative_Depth_2", "Relative_Depth", "Which point appears nearer?", ["A is closer", "B is closer"], "(B)"));
        await WriteAsync("BLINK/Relative_Depth/test-00000-of-00001.parquet",
            Item("test_Relative_Depth_1", "Relative_Depth", "Which point is closer to the camera?", ["A is closer", "B is closer"], ""));
        await WriteAsync("BLINK/Spatial_Relation/val-00000-of-00001.parquet",
            Item("val_Spatial_Relation_1", "Spatial_Relation", "Is the car beneath the cat?", ["yes", "no"], "(A)"),
            Item("val_Spatial_Relation_2", "Spatial_Relation", "Is the cup on the left of the plate?", ["yes", "no"], "(B)"),
            Item("val_Spatial_Relation_3", "Spatial_Relation", "Are these the same place?", ["yes", "no"], "(A)", images: 2));
        await WriteAsync("BLINK/Counting/val-00000-of-00001.parquet",
            Item("val_Counting_1", "Counting", "How many blue floats are there?", ["0", "3", "2", "1"], "(B)"));
        return Path.Combine(_folder.Root, "BLINK");
    }

    [Fact]
    public async Task The_papers_subtasks_from_the_val_split_scored_by_option_letter()
    {
        var benchmark = await BlinkReader.ReadAsync(new ReaderOptions(await WriteFixtureAsync()), CancellationToken.None);

        Assert.Equal(["val_Relative_Depth_1", "val_Relative_Depth_2", "val_Spatial_Relation_1", "val_Spatial_Relation_2"], benchmark.Items.Select(i => i.Id));
        Assert.Equal(["A", "B"], benchmark.Items[0].Choices.Select(c => c.Label));
        Assert.Equal("A", benchmark.Items[0].Expected);
        Assert.StartsWith("Which point is closer to the camera?\nSelect from the following choices.\n(A) A is closer\n(B) B is closer\n", benchmark.Items[0].Question, StringComparison.Ordinal);
        Assert.Contains(benchmark.Notes, n => n.StartsWith("Spatial_Relation: 1 items with more than one image", StringComparison.Ordinal));

        var outcome = await Runs.WithAnswersById(benchmark, new Dictionary<string, string>
        {
            ["val_Relative_Depth_1"] = "(A)", ["val_Relative_Depth_2"] = "A", ["val_Spatial_Relation_1"] = "Yes", ["val_Spatial_Relation_2"] = "B.",
        });
        Assert.Equal([true, false, true, true], outcome.Results.Select(r => r.Correct));
    }

    [Fact]
    public async Task Other_subtasks_load_when_named()
    {
        var benchmark = await BlinkReader.ReadAsync(new ReaderOptions(await WriteFixtureAsync(), Subtasks: ["all"]), CancellationToken.None);

        Assert.Equal(["Counting", "Relative_Depth", "Spatial_Relation"], benchmark.Items.Select(i => i.Categories[0]).Distinct());
        Assert.Equal("B", benchmark.Items[0].Expected);
        Assert.Equal(["0", "3", "2", "1"], benchmark.Items[0].Choices.Select(c => c.Text));
    }

    public void Dispose() => _folder.Dispose();
}
