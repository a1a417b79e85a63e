using System.Globalization;

namespace EdgeLstm.Data.Sequences;

/// <summary>Numbers in CSV fields: invariant culture (a point for decimals, no thousands separators), exponent allowed.</summary>
internal static class CsvNumbers
{
    /// <summary>Parses <paramref name="text"/> as a number; "NaN" and "Infinity" parse (and are refused later as not finite).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>Whether <paramref name="value"/> is a whole number.</summary>
    public static bool IsWhole(double value) => double.IsFinite(value) && Math.Floor(value) == value;
}
