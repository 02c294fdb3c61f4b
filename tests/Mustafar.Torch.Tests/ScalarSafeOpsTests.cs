using System.Diagnostics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Torch.Tests;

public class ScalarSafeOpsTests
{
    [Fact]
    public void Ops_give_the_values_of_the_plain_torch_ops_and_keep_integer_dtypes()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new[] { 1f, -2f, 3f, -4f });
        var b = tensor(new[] { 0.5f, 0.25f, -1f, 2f });
        var ids = tensor(new long[] { 0, 3, 5, 0 });

        Assert.Equal(new[] { 1.5f, -1.75f, 2f, -2f }, a.Add(b).data<float>().ToArray());
        Assert.Equal(new[] { 0.5f, -1f, 1.5f, -2f }, a.Mul(0.5).data<float>().ToArray());
        Assert.Equal(new[] { 0.5f, -1f, 1.5f, -2f }, a.Div(2.0).data<float>().ToArray());
        Assert.Equal(new[] { 2f, -1f, 4f, -3f }, a.Add(1.0).data<float>().ToArray());
        Assert.Equal(new[] { 0f, -3f, 2f, -5f }, a.Sub(1.0).data<float>().ToArray());
        Assert.Equal(new[] { 0f, 3f, -2f, 5f }, a.RSub(1.0).data<float>().ToArray());
        Assert.Equal(new[] { 1f, 4f, 9f, 16f }, a.Pow(2).data<float>().ToArray());
        Assert.Equal(new[] { 1f, -2f, 2f, -2f }, a.Clamp(-2.0, 2.0).data<float>().ToArray());
        Assert.Equal(new[] { 1f, 0f, 3f, 0f }, a.ClampMin(0.0).data<float>().ToArray());
        Assert.Equal(new[] { false, true, false, true }, a.Lt(0.0).data<bool>().ToArray());

        var shifted = ids.Sub(1).MaskedFill(ids.Eq(0), 7).Add(1);
        Assert.Equal(ScalarType.Int64, shifted.dtype);
        Assert.Equal(new long[] { 8, 3, 5, 8 }, shifted.data<long>().ToArray());
        Assert.Equal(new[] { false, true, true, false }, ids.Ge(3).data<bool>().ToArray());

        Assert.Equal(new long[] { 2, 4, 6 }, ScalarSafeOps.Arange(2, 8, 2).data<long>().ToArray());
        Assert.Equal(ScalarType.Int64, ScalarSafeOps.Arange(3).dtype);
        Assert.Equal(new[] { 0f, 1f, 2f }, ScalarSafeOps.Arange(3, ScalarType.Float32).data<float>().ToArray());
        Assert.Equal(new long[] { 9, 9 }, ScalarSafeOps.Full([2], 9L, ScalarType.Int64).data<long>().ToArray());
        Assert.Equal(new[] { float.MinValue }, ScalarSafeOps.Full([1], (double)float.MinValue, ScalarType.Float32).data<float>().ToArray());
    }

    /// <summary>The production failure's conditions: a thread doing small tensor arithmetic while another allocates
    /// and collects all the time. With temporary Scalars this failed about once in 10,000 iterations ("Expected
    /// false to be true" from c10::Scalar::toFloat, or wrong values); every op here must stay exact.</summary>
    [Fact]
    public async Task Ops_stay_exact_while_another_thread_forces_collections()
    {
        using var stop = new CancellationTokenSource();
        var collections = 0;
        var collector = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                for (var i = 0; i < 64; i++) GC.KeepAlive(new byte[256]);
                GC.Collect(0);
                Interlocked.Increment(ref collections);
            }
        }, TaskCreationOptions.LongRunning);

        var (iterations, failures) = (0, new List<string>());
        try
        {
            using var outer = NewDisposeScope();
            var a = ScalarSafeOps.Full([64, 64], 3.0, ScalarType.Float32);
            var b = ScalarSafeOps.Full([64, 64], 1.0, ScalarType.Float32);
            var mask = ScalarSafeOps.Arange(64).Lt(32L).unsqueeze(0).expand(64, 64);
            var watch = Stopwatch.StartNew();
            // About 3 s, and however long it takes for the collector to have run a few hundred times.
            while (watch.Elapsed < TimeSpan.FromSeconds(3) || Volatile.Read(ref collections) < 300)
            {
                iterations++;
                try
                {
                    using var scope = NewDisposeScope();
                    // (3 + 1) * 0.5 / 2 + 0.5 - 1 = 0.5, then 1 - 0.5 = 0.5 squared = 0.25, clamped, masked half to -1.
                    var value = a.Add(b).Mul(0.5).Div(2.0).Add(0.5).Sub(1.0).RSub(1.0).Pow(2).Clamp(-10.0, 10.0)
                        .MaskedFill(mask, -1);
                    var expected = ScalarSafeOps.Full([64, 64], 0.25, ScalarType.Float32).MaskedFill(mask, -1);
                    if (!value.eq(expected).all().item<bool>()) failures.Add($"iteration {iterations}: wrong values");
                }
                catch (Exception e) when (e is ExternalException or InvalidOperationException)
                {
                    failures.Add($"iteration {iterations}: {e.Message.Split('\n')[0]}");
                }
            }
        }
        finally
        {
            stop.Cancel();
        }
        await collector;

        Assert.True(failures.Count == 0, $"{failures.Count} of {iterations} iterations ({collections} collections) failed:\n{string.Join("\n", failures.Take(5))}");
    }
}
