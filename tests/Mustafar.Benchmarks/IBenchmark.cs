namespace Mustafar.Benchmarks;

/// <summary>One benchmark, found by reflection: add a class implementing this and it appears in the list.</summary>
public interface IBenchmark
{
    /// <summary>The name on the command line ("clip").</summary>
    string Name { get; }

    /// <summary>One line for the list.</summary>
    string Description { get; }

    /// <summary>Runs the benchmark, printing its table and ratios. <paramref name="args"/> are the arguments after the name.</summary>
    Task RunAsync(string[] args);
}
