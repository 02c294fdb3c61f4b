using System.Text.Json;
using Mustafar.CheckpointWriters;
using Mustafar.Models.Checkpoints;
using Mustafar.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Checkpoints;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string _folder = RepoPaths.NewTempFolder("safetensors");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Written_tensors_read_back_with_dtype_shape_and_values()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["b.weight"] = randn(3, 5),
            ["a.half"] = randn(2, 2).to(float16),
            ["c.bf16"] = randn(4).to(bfloat16),
            ["d.ids"] = arange(6, dtype: int64).reshape(2, 3),
            ["e.empty"] = zeros(0, 4),
        };
        var path = Path.Combine(_folder, "model.safetensors");
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });

        using var file = new SafetensorsFile(path);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(tensors.Keys.Order(), file.Entries.Keys.Order());
        foreach (var (key, expected) in tensors)
        {
            using var actual = file.Read(file.Entries[key]);
            Assert.Equal(expected.dtype, actual.dtype);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(expected.eq(actual).all().item<bool>(), key);
        }
    }

    [Fact]
    public void The_header_is_padded_to_eight_bytes_and_data_is_packed_in_key_order()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(_folder, "x.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["z"] = ones(1), ["a"] = zeros(2) });

        var bytes = File.ReadAllBytes(path);
        var headerLength = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, headerLength % 8);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        Assert.Equal("[0,8]", header.RootElement.GetProperty("a").GetProperty("data_offsets").GetRawText());
        Assert.Equal("[8,12]", header.RootElement.GetProperty("z").GetProperty("data_offsets").GetRawText());
        Assert.Equal(8 + headerLength + 12, bytes.Length);
    }

    [Fact]
    public void Sharded_checkpoints_open_through_their_index()
    {
        using var scope = NewDisposeScope();
        SafetensorsWriter.Write(Path.Combine(_folder, "model-00001-of-00002.safetensors"), new Dictionary<string, Tensor> { ["layers.0.w"] = ones(2) });
        SafetensorsWriter.Write(Path.Combine(_folder, "model-00002-of-00002.safetensors"), new Dictionary<string, Tensor> { ["layers.1.w"] = full(2, 2f) });
        File.WriteAllText(Path.Combine(_folder, "model.safetensors.index.json"), """
            {"metadata": {"total_size": 16}, "weight_map": {"layers.0.w": "model-00001-of-00002.safetensors", "layers.1.w": "model-00002-of-00002.safetensors"}}
            """);

        using var checkpoint = SafetensorsCheckpoint.Open(_folder);
        Assert.Equal(["layers.0.w", "layers.1.w"], checkpoint.Tensors.Keys.Order());
        var second = checkpoint.Tensors["layers.1.w"];
        using var value = second.File.Read(second.Entry);
        Assert.Equal(2f, value[1].item<float>());
    }

    [Fact]
    public void An_index_naming_a_missing_shard_fails_with_its_name()
    {
        File.WriteAllText(Path.Combine(_folder, "model.safetensors.index.json"), """{"weight_map": {"w": "model-00009.safetensors"}}""");
        var error = Assert.Throws<FileNotFoundException>(() => SafetensorsCheckpoint.Open(_folder));
        Assert.Contains("model-00009.safetensors", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_without_weights_says_what_it_looked_for()
    {
        var error = Assert.Throws<FileNotFoundException>(() => SafetensorsCheckpoint.Open(_folder));
        Assert.Contains("model.safetensors[.index.json]", error.Message, StringComparison.Ordinal);
        Assert.Contains("diffusion_pytorch_model.safetensors[.index.json]", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(40)]
    public void A_truncated_file_is_rejected_not_read_past_its_end(int keepBytes)
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(_folder, "model.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["w"] = randn(64) });
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - keepBytes)]);
        Assert.Throws<InvalidDataException>(() => new SafetensorsFile(path));
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": \"two\", \"data_offsets\": [0, 8]}}")]
    [InlineData("{\"w\": {\"dtype\": \"Q4\", \"shape\": [2], \"data_offsets\": [0, 8]}}")]
    public void A_malformed_header_is_reported_as_a_corrupt_file(string header)
    {
        var path = Path.Combine(_folder, "bad.safetensors");
        var json = System.Text.Encoding.UTF8.GetBytes(header);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)json.Length), .. json, .. new byte[8]]);

        var error = Assert.Throws<InvalidDataException>(() => new SafetensorsFile(path));
        Assert.Contains("bad.safetensors", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Files_saved_by_transformers_are_read()
    {
        var folder = ReferenceFixtures.Require("clip_vision");
        var expectedKeys = ReferenceFixtures.Case("clip_vision").GetProperty("weight_keys").EnumerateArray().Select(k => k.GetString()!).Order();
        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        Assert.Equal(expectedKeys, checkpoint.Tensors.Keys.Order());
    }
}
