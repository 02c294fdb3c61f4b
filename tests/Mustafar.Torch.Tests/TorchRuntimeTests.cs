using TorchSharp;

namespace Mustafar.Torch.Tests;

public class TorchRuntimeTests
{
    [Fact]
    public void Libtorch_loads_and_runs_attention_on_the_cpu()
    {
        // The first torch call is where a missing GLIBCXX_3.4.32 shows up; this keeps CI honest about bootstrap.
        using var scope = torch.NewDisposeScope();
        var q = torch.arange(24, dtype: torch.float32).reshape(1, 2, 3, 4) / 24f;
        var attended = torch.nn.functional.scaled_dot_product_attention(q, q, q);
        var product = torch.matmul(q, q.transpose(-1, -2));

        Assert.Equal(new long[] { 1, 2, 3, 4 }, attended.shape);
        // Row 0 of the first head against itself: sum of squares of 0..3 over 24^2.
        Assert.Equal((0 + 1 + 4 + 9) / 576f, product[0, 0, 0, 0].item<float>(), 6);
    }

    [Theory]
    [InlineData(null, "cpu")]
    [InlineData("", "cpu")]
    [InlineData("CPU", "cpu")]
    [InlineData(" cpu ", "cpu")]
    [InlineData("meta", "meta")]
    public void Cpu_device_names_resolve(string? text, string expected)
    {
        Assert.Equal(expected, TorchRuntime.ResolveDevice(text).ToString());
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:1")]
    public void Asking_for_cuda_where_there_is_none_fails_with_the_reason(string text)
    {
        if (torch.cuda.is_available()) return; // On a GPU machine the device resolves; nothing to check here.
        var error = Assert.Throws<InvalidOperationException>(() => TorchRuntime.ResolveDevice(text));
        Assert.Contains($"device '{text}' was requested but CUDA is not available", error.Message, StringComparison.Ordinal);
        Assert.Contains("-p:TorchBackend=cuda", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:x")]
    [InlineData("cuda:-1")]
    [InlineData("tpu:0")]
    public void Malformed_device_names_are_rejected(string text)
    {
        var error = Assert.Throws<ArgumentException>(() => TorchRuntime.ResolveDevice(text));
        Assert.Contains($"'{text}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("float32", torch.ScalarType.Float32)]
    [InlineData("fp16", torch.ScalarType.Float16)]
    [InlineData("BF16", torch.ScalarType.BFloat16)]
    public void Compute_dtypes_parse(string text, torch.ScalarType expected)
    {
        Assert.Equal(expected, TorchDTypes.ParseComputeDType(text));
    }

    [Theory]
    [InlineData("int64")]
    [InlineData("fp8")]
    [InlineData(null)]
    public void Non_float_compute_dtypes_are_rejected(string? text)
    {
        Assert.Throws<ArgumentException>(() => TorchDTypes.ParseComputeDType(text));
    }

    [Fact]
    public void This_build_reports_its_backend()
    {
        Assert.Contains(TorchBackend.Name, new[] { "cpu", "cuda" });
    }
}
