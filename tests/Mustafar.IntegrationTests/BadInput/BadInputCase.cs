namespace Mustafar.IntegrationTests.BadInput;

/// <summary>One malformed request and the exact outcome it must get.</summary>
public sealed record BadInputCase(string Name, Func<BadInputFixture, Task<Outcome>> Send, Outcome Expected)
{
    public override string ToString() => Name;
}
