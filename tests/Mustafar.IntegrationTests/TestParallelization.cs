// Each test class here starts a whole mesh of processes (five .NET hosts with libtorch, Redis) and several apply load
// or kill processes on purpose. On the 2-core CI machine meshes running side by side would only compete for the
// same cores and memory (stretching Redis round trips past the cache's 100 ms operation timeout, which makes
// cache-hit assertions flaky), so the classes run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
