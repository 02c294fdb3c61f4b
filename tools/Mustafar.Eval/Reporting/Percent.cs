using System.Globalization;

namespace Mustafar.Eval.Reporting;

/// <summary>Fractions as the papers print them: percent with one decimal.</summary>
public static class Percent
{
    public static string Of(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture);

    public static string Signed(double fraction) => (fraction >= 0 ? "+" : "") + Of(fraction);
}
