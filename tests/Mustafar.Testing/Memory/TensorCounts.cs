namespace Mustafar.Testing;

/// <summary>TorchSharp tensors at one moment, counted by the test (which references TorchSharp) for
/// <see cref="MemoryProbe"/>.</summary>
/// <param name="Live">Tensors alive in the whole process (<c>torch.Tensor.TotalCount</c>).</param>
/// <param name="OnInferenceThread">Tensors created on the inference thread and not disposed there
/// (<c>DisposeScopeManager.Statistics.ThreadTotalLiveCount</c> read on that thread); null when not measured.</param>
public readonly record struct TensorCounts(long Live, long? OnInferenceThread);
