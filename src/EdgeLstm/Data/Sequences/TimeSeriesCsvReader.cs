namespace EdgeLstm.Data.Sequences;

/// <summary>
/// Reads one time series from a CSV — one row per step, in time order — for forecasting: the feature columns, the
/// columns forecast, and a date column recognised (<see cref="TimeSeriesCsvOptions.Date"/>) and kept out of the features
/// unless asked. The file is read twice (the stream must be seekable): once to check and count, so memory is refused
/// before it is allocated, once to fill.
/// </summary>
public static class TimeSeriesCsvReader
{
    /// <summary>Reads the file at <paramref name="path"/>.</summary>
    public static TimeSeries Read(string path, TimeSeriesCsvOptions options)
    {
        using var file = File.OpenRead(path);
        return Read(file, path, options);
    }

    /// <summary>Reads CSV bytes; <paramref name="source"/> names them in messages (the fuzz entry point).</summary>
    public static TimeSeries Read(byte[] content, string source, TimeSeriesCsvOptions options)
    {
        using var stream = new MemoryStream(content, writable: false);
        return Read(stream, source, options);
    }

    /// <summary>Reads a seekable stream from its current position; <paramref name="source"/> names it in messages.</summary>
    public static TimeSeries Read(Stream stream, string source, TimeSeriesCsvOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CsvTwoPass.Read(
            stream,
            options.Header,
            header => Open(stream, source, options, header),
            table => Scan(table, options),
            (table, plan) => Fill(table, plan, options));
    }

    private static CsvTable Open(Stream stream, string source, TimeSeriesCsvOptions options, HeaderMode header)
    {
        bool anyByName = options.Date?.Name is not null || options.Features?.Any(f => f.Name is not null) == true || options.Targets?.Any(t => t.Name is not null) == true;
        return new CsvTable(stream, source, header, anyByName, fieldCount => Enumerable.Range(0, fieldCount), DateColumn.IsDateText);
    }

    private static Plan Scan(CsvTable table, TimeSeriesCsvOptions options)
    {
        int explicitDate = options.Date is { } d ? table.Resolve(d, "date") : -1;
        var profiles = new DateProfile[table.FieldCount];
        long rows = 0;
        while (table.NextRow())
        {
            rows++;
            for (int c = 0; c < table.FieldCount; c++)
            {
                profiles[c].Add(table, c);
            }
        }

        if (rows == 0)
        {
            throw new DataFormatException(table.Source, "rows", "expected at least one data row, found none");
        }

        int date = explicitDate;
        if (date >= 0 && profiles[date].Failure is { } failure)
        {
            throw failure;
        }

        if (date < 0 && options.RecogniseDate)
        {
            date = Array.FindIndex(profiles, p => p.Failure is null && p.Kind != DateColumnKind.None);
        }

        List<int> features = options.Features is null
            ? [.. Enumerable.Range(0, table.FieldCount).Where(c => c != date)]
            : [.. options.Features.Select(c => table.Resolve(c, "feature"))];
        List<int> targets = options.Targets is null ? [.. features] : [.. options.Targets.Select(c => table.Resolve(c, "target"))];
        foreach (int target in targets.Where(t => !features.Contains(t)).ToList())
        {
            features.Add(target);
        }

        if (features.Contains(date) || targets.Contains(date))
        {
            throw new DataFormatException(table.Source, "feature columns", $"expected the date column {table.Label(date)} as a date only (ask for it as a feature with the date-as-feature option)");
        }

        if (features.Count == 0)
        {
            throw new DataFormatException(table.Source, "feature columns", "expected at least one column besides the date, found none");
        }

        if (features.Distinct().Count() != features.Count || targets.Distinct().Count() != targets.Count)
        {
            throw new DataFormatException(table.Source, "feature columns", "expected each column once, found one listed twice");
        }

        bool dateFeature = options.DateAsFeature && date >= 0;
        int f = features.Count + (dateFeature ? 1 : 0);
        long perRow = MemoryBudget.Sum(MemoryBudget.Product(f, sizeof(float)), date >= 0 ? sizeof(long) : 0);
        MemoryBudget.Check(table.Source, $"{rows:N0} rows of {f} features", MemoryBudget.Product(rows, perRow), options.MaxBytes);
        MemoryBudget.ArrayLength(table.Source, $"{rows:N0} rows of {f} features", MemoryBudget.Product(rows, f));
        return new Plan(table.HasHeader, date, date >= 0 ? profiles[date].Kind : DateColumnKind.None, dateFeature, [.. features], [.. targets.Select(t => features.IndexOf(t))], (int)rows);
    }

    private static TimeSeries Fill(CsvTable table, Plan plan, TimeSeriesCsvOptions options)
    {
        int columns = plan.Features.Length;
        int f = columns + (plan.DateFeature ? 1 : 0);
        var values = new float[plan.Rows * f];
        var dates = plan.Date >= 0 ? new long[plan.Rows] : [];
        int kept = 0;
        int firstLine = 0;
        while (table.NextRow())
        {
            if (kept == plan.Rows)
            {
                throw new DataFormatException(table.Source, $"line {table.Line}", "expected the rows counted on the first reading, found more (the file changed while it was read)");
            }

            if (options.Missing == MissingValuePolicy.Drop && plan.Features.Any(table.IsEmpty))
            {
                continue;
            }

            Span<float> row = values.AsSpan(kept * f, f);
            for (int j = 0; j < columns; j++)
            {
                int column = plan.Features[j];
                if (!table.IsEmpty(column))
                {
                    row[j] = table.Number(column);
                }
                else if (options.Missing == MissingValuePolicy.ForwardFill && kept > 0)
                {
                    row[j] = values[((kept - 1) * f) + j];
                }
                else
                {
                    throw table.Error(column, options.Missing == MissingValuePolicy.ForwardFill
                        ? "expected a value: the series starts with an empty field, so forward fill has nothing to carry"
                        : "expected a value, found an empty field (missing values: error by default; drop or ffill to accept them)");
                }
            }

            if (plan.Date >= 0)
            {
                DateColumnKind kind = DateColumn.Recognise(table.Field(plan.Date), out long key);
                if (kind != plan.DateKind || (kept > 0 && key <= dates[kept - 1]))
                {
                    throw table.Error(plan.Date, "expected the dates of the first reading, found others (the file changed while it was read)");
                }

                dates[kept] = key;
                if (plan.DateFeature)
                {
                    row[columns] = DateColumn.FractionalYear(kind, key);
                }
            }

            firstLine = kept == 0 ? table.Line : firstLine;
            kept++;
        }

        if (kept == 0)
        {
            throw new DataFormatException(table.Source, "rows", "expected at least one row without empty fields, found none (every row was dropped)");
        }

        string[] names = [.. plan.Features.Select(table.Name), .. plan.DateFeature ? [table.Name(plan.Date)] : Array.Empty<string>()];
        return new TimeSeries(values[..(kept * f)], names, plan.Targets, plan.DateKind, plan.Date >= 0 ? dates[..kept] : null);
    }

    private sealed record Plan(bool HasHeader, int Date, DateColumnKind DateKind, bool DateFeature, int[] Features, int[] Targets, int Rows) : CsvTwoPass.IPlan;

    /// <summary>Whether a column so far holds dates of one form, rising; the first row that breaks it makes the error kept.</summary>
    private struct DateProfile
    {
        private long _last;

        public DateColumnKind Kind { get; private set; }

        public DataFormatException? Failure { get; private set; }

        public void Add(CsvTable table, int column)
        {
            if (Failure is not null)
            {
                return;
            }

            DateColumnKind kind = DateColumn.Recognise(table.Field(column), out long key);
            if (kind == DateColumnKind.None || (Kind != DateColumnKind.None && (kind != Kind || key <= _last)))
            {
                Failure = table.Error(column, $"expected a date (YYYYMMDD, YYYY-MM-DD or a four-digit year) of one form, later than the row before, found '{CsvTable.Shorten(table.Field(column))}'");
                return;
            }

            Kind = kind;
            _last = key;
        }
    }
}
