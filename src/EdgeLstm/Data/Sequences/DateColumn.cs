using System.Globalization;

namespace EdgeLstm.Data.Sequences;

/// <summary>Recognises the date forms of <see cref="DateColumnKind"/> and turns them into sortable keys and feature values.</summary>
internal static class DateColumn
{
    /// <summary>The form of <paramref name="text"/> and its key (the year, or YYYYMMDD as a number), or None.</summary>
    public static DateColumnKind Recognise(ReadOnlySpan<char> text, out long key)
    {
        key = 0;
        text = text.Trim();
        if (text.Length == 4 && !text.ContainsAnyExceptInRange('0', '9') && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int year) && year >= 1)
        {
            key = year;
            return DateColumnKind.Year;
        }

        if (text.Length == 8 && DateOnly.TryParseExact(text, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly compact))
        {
            key = Key(compact);
            return DateColumnKind.CompactDate;
        }

        if (text.Length == 10 && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly iso))
        {
            key = Key(iso);
            return DateColumnKind.IsoDate;
        }

        return DateColumnKind.None;
    }

    /// <summary>Whether <paramref name="text"/> is a date in a form other than a bare year (which is also a number).</summary>
    public static bool IsDateText(ReadOnlySpan<char> text) => Recognise(text, out _) is DateColumnKind.CompactDate or DateColumnKind.IsoDate;

    /// <summary>The date of <paramref name="key"/> written as <paramref name="kind"/> writes it.</summary>
    public static string Format(DateColumnKind kind, long key) => kind switch
    {
        DateColumnKind.Year => key.ToString("D4", CultureInfo.InvariantCulture),
        DateColumnKind.CompactDate => key.ToString("D8", CultureInfo.InvariantCulture),
        DateColumnKind.IsoDate => $"{key / 10000:D4}-{key / 100 % 100:D2}-{key % 100:D2}",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The date as a fractional year (1958-03-29 → 1958.238), the value a date takes as a feature.</summary>
    public static float FractionalYear(DateColumnKind kind, long key)
    {
        if (kind == DateColumnKind.Year)
        {
            return key;
        }

        var date = new DateOnly((int)(key / 10000), (int)(key / 100 % 100), (int)(key % 100));
        int days = DateTime.IsLeapYear(date.Year) ? 366 : 365;
        return (float)(date.Year + ((date.DayOfYear - 1) / (double)days));
    }

    private static long Key(DateOnly date) => (date.Year * 10000L) + (date.Month * 100) + date.Day;
}
