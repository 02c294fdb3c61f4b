// TorchSharp's default device and libtorch's default dtype are process-wide: a test that builds on the meta
// device or in float16 would change what tensors every other concurrently running test creates. Test classes in
// this assembly therefore run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
