using System.Globalization;

namespace EdgeLstm.Data.Sequences;

/// <summary>
/// Reads a long-format CSV — one row per time step: a sequence id, an optional time, feature columns and target columns
/// — into a <see cref="SequenceDataset"/>. Rows of one sequence need not be adjacent; sequences keep the order in which
/// their ids first appear; steps keep file order, or time order with a time column.
/// </summary>
/// <remarks>
/// <para>The file is read twice (so the stream must be seekable): once to check its shape and count its rows, so the
/// memory it needs is known and refused before anything is allocated; once to fill exact-size arrays.</para>
/// <para>A target on every row is per sequence when it is constant within every sequence, per step otherwise
/// (<see cref="TargetPlacement"/>). Classes are names (indexed in ordinal order of the names), or whole numbers 0 to
/// <see cref="MaxNumberedClass"/> used as the index itself; fewer than two classes is an error.</para>
/// </remarks>
public static class CsvSequenceReader
{
    /// <summary>The largest whole number read as a class index; a larger one makes every class label a name.</summary>
    public const int MaxNumberedClass = 65535;

    /// <summary>The most distinct class names accepted.</summary>
    public const int MaxClasses = 65536;

    /// <summary>Reads the file at <paramref name="path"/>.</summary>
    public static SequenceDataset Read(string path, CsvSequenceOptions options)
    {
        using var file = File.OpenRead(path);
        return Read(file, path, options);
    }

    /// <summary>Reads CSV bytes; <paramref name="source"/> names them in messages (the fuzz entry point).</summary>
    public static SequenceDataset Read(byte[] content, string source, CsvSequenceOptions options)
    {
        using var stream = new MemoryStream(content, writable: false);
        return Read(stream, source, options);
    }

    /// <summary>Reads a seekable stream from its current position; <paramref name="source"/> names it in messages.</summary>
    public static SequenceDataset Read(Stream stream, string source, CsvSequenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CsvTwoPass.Read(
            stream,
            options.Header,
            header => Open(stream, source, options, header),
            table => Scan(table, options),
            (table, plan) => Fill(table, plan, options));
    }

    private static CsvTable Open(Stream stream, string source, CsvSequenceOptions options, HeaderMode header)
    {
        bool anyByName = options.Id.Name is not null || options.Time?.Name is not null
            || options.Targets.Any(t => t.Name is not null) || options.Features?.Any(f => f.Name is not null) == true;
        return new CsvTable(stream, source, header, anyByName, fieldCount => FeatureIndicesByPosition(fieldCount, options));
    }

    /// <summary>The feature columns when every column is chosen by index (what header detection looks at).</summary>
    private static IEnumerable<int> FeatureIndicesByPosition(int fieldCount, CsvSequenceOptions options)
    {
        if (options.Features is not null)
        {
            return options.Features.Select(f => f.Index);
        }

        var others = new HashSet<int> { options.Id.Index };
        if (options.Time is { } time)
        {
            others.Add(time.Index);
        }

        others.UnionWith(options.Targets.Select(t => t.Index));
        return Enumerable.Range(0, fieldCount).Where(i => !others.Contains(i));
    }

    /// <summary>Pass one: columns, header, row count, the task; refuses the file when its data would not fit the budget.</summary>
    private static Plan Scan(CsvTable table, CsvSequenceOptions options)
    {
        int id = table.Resolve(options.Id, "id");
        int time = options.Time is { } t ? table.Resolve(t, "time") : -1;
        int[] targets = [.. options.Targets.Select(c => table.Resolve(c, "target"))];
        var reserved = new List<int> { id };
        RequireDistinct(table, reserved, "time", time >= 0 ? [time] : []);
        RequireDistinct(table, reserved, "target", targets);
        int[] features = options.Features is null
            ? [.. Enumerable.Range(0, table.FieldCount).Where(i => !reserved.Contains(i))]
            : [.. options.Features.Select(c => table.Resolve(c, "feature"))];
        if (options.Features is not null)
        {
            RequireDistinct(table, reserved, "feature", features);
        }

        if (features.Length == 0)
        {
            throw new DataFormatException(table.Source, "feature columns", "expected at least one feature column, found none besides the id, time and target columns");
        }

        long rows = 0;
        bool anyText = false, anyFraction = false, anyLarge = false;
        while (table.NextRow())
        {
            rows++;
            foreach (int column in targets)
            {
                if (table.IsEmpty(column))
                {
                    continue;
                }

                if (!CsvNumbers.TryParse(table.Field(column), out double value))
                {
                    anyText = true;
                }
                else if (!CsvNumbers.IsWhole(value))
                {
                    anyFraction = true;
                }
                else if (value < 0 || value > MaxNumberedClass)
                {
                    anyLarge = true;
                }
            }
        }

        if (rows == 0)
        {
            throw new DataFormatException(table.Source, "rows", "expected at least one data row, found none");
        }

        SequenceTask task = options.Task;
        if (targets.Length > 0 && task == SequenceTask.Auto)
        {
            task = anyText ? SequenceTask.Classify
                : anyFraction ? SequenceTask.Regress
                : throw new DataFormatException(table.Source, $"target column {table.Label(targets[0])}", "expected classes or values, found only whole numbers, which could be either: choose the task (classify or regress)");
        }

        if (task == SequenceTask.Classify && targets.Length != 1)
        {
            throw new DataFormatException(table.Source, "target columns", $"expected one target column for classes, found {targets.Length}");
        }

        bool classify = targets.Length > 0 && task == SequenceTask.Classify;
        int f = features.Length;
        int k = classify ? 1 : targets.Length;

        // Row-order features and targets, then the same in sequence order, plus id, line, order and time per row.
        long perRow = MemoryBudget.Sum(
            MemoryBudget.Product(2, f, sizeof(float)),
            MemoryBudget.Product(2, k, sizeof(float)),
            3 * sizeof(int),
            time >= 0 ? sizeof(double) : 0);
        long planned = MemoryBudget.Product(rows, perRow);
        MemoryBudget.Check(table.Source, $"{rows:N0} rows of {f} features", planned, options.MaxBytes);
        MemoryBudget.ArrayLength(table.Source, $"{rows:N0} rows of {f} features", MemoryBudget.Product(rows, f));
        MemoryBudget.ArrayLength(table.Source, $"{rows:N0} rows of {k} targets", MemoryBudget.Product(rows, k));
        return new Plan(table.HasHeader, id, time, features, targets, classify, NumberedClasses: classify && !anyText && !anyFraction && !anyLarge, (int)rows, planned);
    }

    private static void RequireDistinct(CsvTable table, List<int> reserved, string role, int[] columns)
    {
        foreach (int column in columns)
        {
            if (reserved.Contains(column))
            {
                throw new DataFormatException(table.Source, $"{role} column", $"expected a column not already used as the id, time, a target or a feature, found {table.Label(column)} again");
            }

            reserved.Add(column);
        }
    }

    /// <summary>Pass two: parse every row into exact-size arrays, group by id, order by time, apply the missing-value policy.</summary>
    private static SequenceDataset Fill(CsvTable table, Plan plan, CsvSequenceOptions options)
    {
        int f = plan.Features.Length;
        int k = plan.Classify ? 1 : plan.Targets.Length;
        var rowFeatures = new float[plan.Rows * f];
        var rowValues = plan.Classify ? [] : new float[plan.Rows * k];
        var rowClasses = plan.Classify ? new int[plan.Rows] : [];
        var rowIds = new int[plan.Rows];
        var rowLines = new int[plan.Rows];
        var rowTimes = plan.Time >= 0 ? new double[plan.Rows] : [];
        var ids = new TextInterner();
        var classNames = new TextInterner();
        var timeKind = TimeKind.Unknown;
        int kept = 0;
        while (table.NextRow())
        {
            if (kept == plan.Rows)
            {
                throw new DataFormatException(table.Source, $"line {table.Line}", "expected the rows counted on the first reading, found more (the file changed while it was read)");
            }

            if (options.Missing == MissingValuePolicy.Drop && AnyEmpty(table, plan))
            {
                continue;
            }

            for (int j = 0; j < f; j++)
            {
                rowFeatures[(kept * f) + j] = ReadValue(table, plan.Features[j], options.Missing);
            }

            for (int j = 0; j < plan.Targets.Length; j++)
            {
                int column = plan.Targets[j];
                if (plan.Classify)
                {
                    if (table.IsEmpty(column))
                    {
                        RefuseEmptyUnlessFilled(table, column, options.Missing);
                        rowClasses[kept] = -1;
                    }
                    else
                    {
                        rowClasses[kept] = classNames.Intern(table.Field(column).Trim());
                        if (classNames.Texts.Count > MaxClasses)
                        {
                            throw table.Error(column, $"expected at most {MaxClasses:N0} distinct classes, found more");
                        }
                    }
                }
                else
                {
                    rowValues[(kept * k) + j] = ReadValue(table, column, options.Missing);
                }
            }

            if (table.IsEmpty(plan.Id))
            {
                throw table.Error(plan.Id, "expected a sequence id, found an empty field");
            }

            rowIds[kept] = ids.Intern(table.Field(plan.Id).Trim());
            if (plan.PlannedBytes + ids.ApproximateBytes + classNames.ApproximateBytes > options.MaxBytes)
            {
                // Distinct ids and class names are only known while reading; they count against the same bound.
                MemoryBudget.Check(table.Source, $"{plan.Rows:N0} rows of {f} features with {ids.Texts.Count:N0} ids and {classNames.Texts.Count:N0} class names (up to line {table.Line})", plan.PlannedBytes + ids.ApproximateBytes + classNames.ApproximateBytes, options.MaxBytes);
            }

            if (plan.Time >= 0)
            {
                rowTimes[kept] = ReadTime(table, plan.Time, ref timeKind);
            }

            rowLines[kept] = table.Line;
            kept++;
        }

        if (kept == 0)
        {
            throw new DataFormatException(table.Source, "rows", "expected at least one row without empty fields, found none (every row was dropped)");
        }

        int sequences = ids.Texts.Count;
        int[] order = GroupById(rowIds, kept, sequences, out int[] offsets);
        if (plan.Time >= 0)
        {
            OrderByTime(table, plan.Time, rowTimes, rowLines, order, offsets, ids.Texts);
        }

        var builder = new Assembly(table, plan, options, order, offsets, rowLines, ids.Texts);
        float[] features = builder.Gather(rowFeatures, f, plan.Features);
        if (plan.Targets.Length == 0)
        {
            return new SequenceDataset(offsets, features, Names(table, plan.Features), SequenceTargetKind.None, [], 0, null, [], 0, [.. ids.Texts]);
        }

        if (plan.Classify)
        {
            return builder.Classes(features, rowClasses, classNames.Texts, plan.NumberedClasses);
        }

        return builder.Values(features, rowValues, k);
    }

    private static bool AnyEmpty(CsvTable table, Plan plan) =>
        plan.Features.Any(table.IsEmpty) || plan.Targets.Any(table.IsEmpty);

    /// <summary>A number, or NaN for an empty field that forward fill will replace (NaN text itself is refused as not finite).</summary>
    private static float ReadValue(CsvTable table, int column, MissingValuePolicy missing)
    {
        if (table.IsEmpty(column))
        {
            RefuseEmptyUnlessFilled(table, column, missing);
            return float.NaN;
        }

        return table.Number(column);
    }

    private static void RefuseEmptyUnlessFilled(CsvTable table, int column, MissingValuePolicy missing)
    {
        if (missing != MissingValuePolicy.ForwardFill)
        {
            throw table.Error(column, "expected a value, found an empty field (missing values: error by default; drop or ffill to accept them)");
        }
    }

    /// <summary>A sortable key: the number itself, or a date/time as Unix milliseconds; numbers and dates may not mix.</summary>
    private static double ReadTime(CsvTable table, int column, ref TimeKind kind)
    {
        ReadOnlySpan<char> text = table.Field(column).Trim();
        if (text.IsEmpty)
        {
            throw table.Error(column, "expected a time, found an empty field");
        }

        TimeKind found;
        double key;
        if (CsvNumbers.TryParse(text, out key))
        {
            found = TimeKind.Number;
            if (!double.IsFinite(key))
            {
                throw table.Error(column, $"expected a finite time, found '{CsvTable.Shorten(text)}'");
            }
        }
        else if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset date))
        {
            found = TimeKind.Date;
            key = date.ToUnixTimeMilliseconds();
        }
        else
        {
            throw table.Error(column, $"expected a number or a date/time, found '{CsvTable.Shorten(text)}'");
        }

        if (kind != TimeKind.Unknown && kind != found)
        {
            throw table.Error(column, $"expected a {(kind == TimeKind.Number ? "number" : "date/time")} like the rows before, found '{CsvTable.Shorten(text)}'");
        }

        kind = found;
        return key;
    }

    /// <summary>A stable counting sort of the rows by sequence ordinal; <paramref name="offsets"/> gets each sequence's start.</summary>
    private static int[] GroupById(int[] rowIds, int rows, int sequences, out int[] offsets)
    {
        offsets = new int[sequences + 1];
        for (int r = 0; r < rows; r++)
        {
            offsets[rowIds[r] + 1]++;
        }

        for (int s = 0; s < sequences; s++)
        {
            offsets[s + 1] += offsets[s];
        }

        var next = offsets[..^1];
        var order = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            order[next[rowIds[r]]++] = r;
        }

        return order;
    }

    private static void OrderByTime(CsvTable table, int column, double[] rowTimes, int[] rowLines, int[] order, int[] offsets, IReadOnlyList<string> ids)
    {
        var keys = new double[order.Length];
        for (int i = 0; i < order.Length; i++)
        {
            keys[i] = rowTimes[order[i]];
        }

        for (int s = 0; s + 1 < offsets.Length; s++)
        {
            int start = offsets[s];
            int length = offsets[s + 1] - start;
            Array.Sort(keys, order, start, length);
            for (int i = start + 1; i < start + length; i++)
            {
                if (keys[i] == keys[i - 1])
                {
                    int first = Math.Min(rowLines[order[i - 1]], rowLines[order[i]]);
                    int second = Math.Max(rowLines[order[i - 1]], rowLines[order[i]]);
                    throw new DataFormatException(table.Source, $"line {second}, column {table.Label(column)}", $"expected each time once in sequence '{CsvTable.Shorten(ids[s])}', found the time of line {first} again");
                }
            }
        }
    }

    private static string[] Names(CsvTable table, int[] columns) => [.. columns.Select(table.Name)];

    private enum TimeKind
    {
        Unknown,
        Number,
        Date,
    }

    private sealed record Plan(bool HasHeader, int Id, int Time, int[] Features, int[] Targets, bool Classify, bool NumberedClasses, int Rows, long PlannedBytes) : CsvTwoPass.IPlan;

    /// <summary>Puts row-order arrays into sequence order, filling gaps forward and deciding where targets belong.</summary>
    private sealed class Assembly(CsvTable table, Plan plan, CsvSequenceOptions options, int[] order, int[] offsets, int[] rowLines, IReadOnlyList<string> ids)
    {
        private int Sequences => offsets.Length - 1;

        /// <summary>Row-order values of <paramref name="width"/> per row in sequence order, gaps (NaN) filled from the step before.</summary>
        public float[] Gather(float[] rowOrder, int width, int[] columns)
        {
            var result = new float[order.Length * width];
            for (int s = 0; s < Sequences; s++)
            {
                for (int i = offsets[s]; i < offsets[s + 1]; i++)
                {
                    rowOrder.AsSpan(order[i] * width, width).CopyTo(result.AsSpan(i * width, width));
                    for (int j = 0; j < width; j++)
                    {
                        if (float.IsNaN(result[(i * width) + j]))
                        {
                            result[(i * width) + j] = i == offsets[s] ? throw StartsEmpty(s, i, columns[j]) : result[((i - 1) * width) + j];
                        }
                    }
                }
            }

            return result;
        }

        public SequenceDataset Classes(float[] features, int[] rowClasses, IReadOnlyList<string> names, bool numbered)
        {
            int[] indexOf = new int[names.Count];
            string[]? classNames = null;
            if (numbered)
            {
                for (int n = 0; n < names.Count; n++)
                {
                    indexOf[n] = (int)double.Parse(names[n], NumberStyles.Float, CultureInfo.InvariantCulture);
                }
            }
            else
            {
                classNames = [.. names.Order(StringComparer.Ordinal)];
                for (int n = 0; n < names.Count; n++)
                {
                    indexOf[n] = Array.BinarySearch(classNames, names[n], StringComparer.Ordinal);
                }
            }

            var stepClasses = new int[order.Length];
            for (int s = 0; s < Sequences; s++)
            {
                for (int i = offsets[s]; i < offsets[s + 1]; i++)
                {
                    int c = rowClasses[order[i]];
                    stepClasses[i] = c >= 0 ? indexOf[c] : i == offsets[s] ? throw StartsEmpty(s, i, plan.Targets[0]) : stepClasses[i - 1];
                }
            }

            int classCount = classNames?.Length ?? (indexOf.Max() + 1);
            int distinct = stepClasses.Distinct().Take(2).Count();
            if (distinct < 2)
            {
                string only = classNames?[stepClasses[0]] ?? stepClasses[0].ToString(CultureInfo.InvariantCulture);
                throw new DataFormatException(table.Source, $"target column {table.Label(plan.Targets[0])}", $"expected at least two classes, found only '{CsvTable.Shorten(only)}'");
            }

            bool perSequence = PerSequence((i, j) => stepClasses[i] == stepClasses[j], i => classNames?[stepClasses[i]] ?? stepClasses[i].ToString(CultureInfo.InvariantCulture));
            int[] classes = perSequence ? [.. Enumerable.Range(0, Sequences).Select(s => stepClasses[offsets[s]])] : stepClasses;
            var kind = perSequence ? SequenceTargetKind.SequenceClass : SequenceTargetKind.StepClass;
            return new SequenceDataset(offsets, features, Names(table, plan.Features), kind, classes, classCount, classNames, [], 1, [.. ids]);
        }

        public SequenceDataset Values(float[] features, float[] rowValues, int k)
        {
            float[] stepValues = Gather(rowValues, k, plan.Targets);
            bool perSequence = PerSequence((i, j) => stepValues.AsSpan(i * k, k).SequenceEqual(stepValues.AsSpan(j * k, k)), i => string.Join(' ', stepValues.AsSpan(i * k, k).ToArray().Select(v => v.ToString(CultureInfo.InvariantCulture))));
            float[] values = stepValues;
            if (perSequence)
            {
                values = new float[Sequences * k];
                for (int s = 0; s < Sequences; s++)
                {
                    stepValues.AsSpan(offsets[s] * k, k).CopyTo(values.AsSpan(s * k, k));
                }
            }

            var kind = perSequence ? SequenceTargetKind.SequenceValues : SequenceTargetKind.StepValues;
            return new SequenceDataset(offsets, features, Names(table, plan.Features), kind, [], 0, null, values, k, [.. ids]);
        }

        /// <summary>Whether the targets are per sequence; a sequence that changes its target under <see cref="TargetPlacement.Sequence"/> is an error.</summary>
        private bool PerSequence(Func<int, int, bool> same, Func<int, string> show)
        {
            if (options.Placement == TargetPlacement.Step)
            {
                return false;
            }

            for (int s = 0; s < Sequences; s++)
            {
                for (int i = offsets[s] + 1; i < offsets[s + 1]; i++)
                {
                    if (!same(i, offsets[s]))
                    {
                        if (options.Placement == TargetPlacement.Auto)
                        {
                            return false;
                        }

                        throw new DataFormatException(table.Source, $"line {rowLines[order[i]]}, column {table.Label(plan.Targets[0])}", $"expected the same target on every row of sequence '{CsvTable.Shorten(ids[s])}' (a per-sequence target), found '{CsvTable.Shorten(show(i))}' after '{CsvTable.Shorten(show(offsets[s]))}' on line {rowLines[order[offsets[s]]]}");
                    }
                }
            }

            return true;
        }

        private DataFormatException StartsEmpty(int sequence, int step, int column) =>
            new(table.Source, $"line {rowLines[order[step]]}, column {table.Label(column)}", $"expected a value: sequence '{CsvTable.Shorten(ids[sequence])}' starts with an empty field, so forward fill has no earlier value in the sequence to carry");
    }
}
