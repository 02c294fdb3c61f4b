// Every test class here starts a whole mesh of real processes (five services and Redis). Run side by side on a
// 2-core CI machine they only compete for the cores, which stretches Redis round trips past the cache's 100 ms
// operation timeout and makes cache-hit assertions flaky; one mesh at a time takes barely longer in total.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
