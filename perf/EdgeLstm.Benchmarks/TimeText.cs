using System.Globalization;

namespace EdgeLstm.Benchmarks;

/// <summary>How every table of the benchmarks prints a time, so that their columns read alike.</summary>
internal static class TimeText
{
    /// <summary>Milliseconds from 1 ms up, microseconds below, so that a short call keeps its significant digits.</summary>
    public static string Format(double seconds) => seconds >= 1e-3
        ? string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e3:F3} ms")
        : string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e6:F1} us");

    /// <summary>A line of a report, its numbers written the same on every machine.</summary>
    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
