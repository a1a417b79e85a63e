using System.Globalization;
using System.IO.Compression;

namespace EdgeLstm.Data.Sequences;

/// <summary>
/// Reads sequences from NumPy arrays — what a PyTorch or NumPy user already has — as a <c>.npz</c> archive (members
/// <c>X.npy</c>, <c>y.npy</c>, optional <c>lengths.npy</c>; lower-case <c>x</c> and upper-case <c>Y</c> too) or as
/// separate <c>.npy</c> files.
/// </summary>
/// <remarks>
/// <para>X is [N, T, F] (or [N, T] for one feature) of float16/32/64 or integers, stored as float32. lengths is [N] of
/// integers, each 1 to T; steps past a sequence's length are padding and are neither stored nor checked. y decides the
/// targets: integers are classes (0 to <see cref="CsvSequenceReader.MaxNumberedClass"/>, at least two distinct) — [N]
/// per sequence, [N, T] per step; floats are values — [N] or [N, K] per sequence (K ≠ T), [N, T] (one value per step)
/// or [N, T, K] per step. Without y the data has no targets.</para>
/// <para>Memory: the stored form (real steps only) is checked against the bound before any array is allocated; a
/// member is inflated no further than its header's shape (plus one byte to prove it ends), so a zip bomb costs
/// nothing.</para>
/// </remarks>
public static class NumpySequenceReader
{
    /// <summary>Reads a <c>.npz</c> file.</summary>
    public static SequenceDataset ReadNpz(string path, long maxBytes = MemoryBudget.DefaultMaxBytes)
    {
        using var file = File.OpenRead(path);
        return ReadNpz(file, path, maxBytes);
    }

    /// <summary>Reads <c>.npz</c> bytes; <paramref name="source"/> names them in messages (the fuzz entry point).</summary>
    public static SequenceDataset ReadNpz(byte[] content, string source, long maxBytes = MemoryBudget.DefaultMaxBytes)
    {
        using var stream = new MemoryStream(content, writable: false);
        return ReadNpz(stream, source, maxBytes);
    }

    /// <summary>Reads a <c>.npz</c> archive from a seekable stream.</summary>
    public static SequenceDataset ReadNpz(Stream stream, string source, long maxBytes = MemoryBudget.DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException or ArgumentException)
        {
            throw new DataFormatException(source, "zip", $"expected a .npz (zip) archive, found {e.Message.TrimEnd('.')}", e);
        }

        using (archive)
        {
            ArraySource? Member(string name, bool required, params string[] names)
            {
                ZipArchiveEntry[] found;
                try
                {
                    found = [.. archive.Entries.Where(e => names.Contains(e.FullName, StringComparer.Ordinal))];
                }
                catch (Exception e) when (e is InvalidDataException or IOException)
                {
                    throw new DataFormatException(source, "zip", $"expected a readable central directory, found {e.Message.TrimEnd('.')}", e);
                }

                if (found.Length > 1)
                {
                    throw new DataFormatException(source, name, $"expected one member {string.Join(" or ", names)}, found {found.Length}");
                }

                if (found.Length == 0)
                {
                    return required
                        ? throw new DataFormatException(source, name, $"expected a member {string.Join(" or ", names)}, found only {string.Join(", ", archive.Entries.Select(e => CsvTable.Shorten(e.FullName)).Take(10))}")
                        : null;
                }

                ZipArchiveEntry entry = found[0];
                return new ArraySource(source, name, entry.Open, entry.Length);
            }

            return Build(Member("X", true, "X.npy", "x.npy")!, Member("y", false, "y.npy", "Y.npy"), Member("lengths", false, "lengths.npy"), maxBytes);
        }
    }

    /// <summary>Reads X, and optionally y and lengths, from separate <c>.npy</c> files.</summary>
    public static SequenceDataset ReadNpy(string xPath, string? yPath, string? lengthsPath = null, long maxBytes = MemoryBudget.DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(xPath);
        static ArraySource? Open(string? path, string name) =>
            path is null ? null : new ArraySource(path, name, () => File.OpenRead(path), new FileInfo(path).Length);
        return Build(Open(xPath, "X")!, Open(yPath, "y"), Open(lengthsPath, "lengths"), maxBytes);
    }

    /// <summary>Reads X, y and lengths from <c>.npy</c> bytes; <paramref name="source"/> names them (the fuzz entry point).</summary>
    public static SequenceDataset ReadNpy(byte[] x, byte[]? y, byte[]? lengths, string source, long maxBytes = MemoryBudget.DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(x);
        static ArraySource? Open(byte[]? bytes, string source, string name) =>
            bytes is null ? null : new ArraySource(source, name, () => new MemoryStream(bytes, writable: false), bytes.Length);
        return Build(Open(x, source, "X")!, Open(y, source, "y"), Open(lengths, source, "lengths"), maxBytes);
    }

    private static SequenceDataset Build(ArraySource x, ArraySource? y, ArraySource? lengthsSource, long maxBytes)
    {
        int[]? lengths = lengthsSource is null ? null : ReadLengths(lengthsSource, maxBytes);
        using Stream xStream = x.Open();
        NpyHeader xHeader = x.Header(xStream);
        if (xHeader.Shape.Length is not (2 or 3) || xHeader.Shape.Any(d => d < 1))
        {
            throw x.Error("'shape'", $"expected (N, T, F) or (N, T) with every dimension at least 1, found {xHeader.ShapeText}");
        }

        long n = xHeader.Shape[0], t = xHeader.Shape[1], f = xHeader.Shape.Length == 3 ? xHeader.Shape[2] : 1;
        if (n > int.MaxValue || t > int.MaxValue || f > int.MaxValue)
        {
            throw x.Error("'shape'", $"expected dimensions below 2^31, found {xHeader.ShapeText}");
        }

        if (lengths is not null)
        {
            if (lengths.Length != n)
            {
                throw lengthsSource!.Error("'shape'", $"expected ({n},) to match X's N, found ({lengths.Length},)");
            }

            for (int i = 0; i < lengths.Length; i++)
            {
                if (lengths[i] < 1 || lengths[i] > t)
                {
                    throw lengthsSource!.Error($"element {i}", $"expected a length from 1 to T = {t}, found {lengths[i]}");
                }
            }
        }

        long steps = lengths?.Sum(l => (long)l) ?? MemoryBudget.Product(n, t);
        long featureBytes = MemoryBudget.Product(steps, f, sizeof(float));
        MemoryBudget.Check(x.Source, $"X {xHeader.ShapeText}", MemoryBudget.Sum(featureBytes, (n + 1) * sizeof(int)), maxBytes);
        MemoryBudget.ArrayLength(x.Source, $"X {xHeader.ShapeText}", MemoryBudget.Product(steps, f));
        int[] offsets = new int[n + 1];
        for (int i = 0; i < n; i++)
        {
            offsets[i + 1] = offsets[i] + (int)(lengths?[i] ?? t);
        }

        var features = new float[steps * f];
        var lengthOf = new int[n];
        for (int i = 0; i < n; i++)
        {
            lengthOf[i] = offsets[i + 1] - offsets[i];
        }

        x.ReadData(xStream, xHeader, Scatter(lengthOf, offsets, t, f, (at, index, run) => StoreFinite(x, xHeader, features, at, index, run)));
        string[] names = [.. Enumerable.Range(0, (int)f).Select(i => "x" + i.ToString(CultureInfo.InvariantCulture))];
        if (y is null)
        {
            return new SequenceDataset(offsets, features, names, SequenceTargetKind.None, [], 0, null, [], 0);
        }

        return ReadTargets(y, offsets, features, names, (int)t, MemoryBudget.Sum(featureBytes, (n + 1) * sizeof(int)), maxBytes);
    }

    private static SequenceDataset ReadTargets(ArraySource y, int[] offsets, float[] features, string[] names, int t, long used, long maxBytes)
    {
        int n = offsets.Length - 1;
        using Stream stream = y.Open();
        NpyHeader header = y.Header(stream);
        long[] shape = header.Shape;
        if (shape.Length is < 1 or > 3 || shape[0] != n)
        {
            throw y.Error("'shape'", $"expected (N,), (N, T), (N, K) or (N, T, K) with N = {n}, found {header.ShapeText}");
        }

        bool perStep = shape.Length == 3 || (shape.Length == 2 && shape[1] == t);
        if (shape.Length == 3 && (shape[1] != t || shape[2] < 1))
        {
            throw y.Error("'shape'", $"expected (N, T, K) with T = {t}, found {header.ShapeText}");
        }

        long k = shape.Length == 3 ? shape[2] : shape.Length == 2 && !perStep ? shape[1] : 1;
        if (k < 1 || k > int.MaxValue)
        {
            throw y.Error("'shape'", $"expected at least one target per row, found {header.ShapeText}");
        }

        bool classes = header.Type.IsInteger;
        if (classes && k != 1)
        {
            throw y.Error("'shape'", $"expected integer classes as (N,) or (N, T) with T = {t}, found {header.ShapeText} (use floats for values)");
        }

        long rows = perStep ? offsets[n] : n;
        long bytes = MemoryBudget.Product(rows, k, sizeof(float));
        MemoryBudget.Check(y.Source, $"X and y {header.ShapeText}", MemoryBudget.Sum(used, bytes), maxBytes);
        int width = (int)k;
        var values = classes ? [] : new float[rows * k];
        var labels = classes ? new int[rows] : [];
        int maxClass = -1;
        var lengthOf = new int[n];
        for (int i = 0; i < n; i++)
        {
            lengthOf[i] = perStep ? offsets[i + 1] - offsets[i] : 1;
        }

        // Per-sequence targets are read as sequences of one step (every sequence then has its single "step").
        int[] rowOffsets = perStep ? offsets : [.. Enumerable.Range(0, n + 1)];
        y.ReadData(stream, header, Scatter(lengthOf, rowOffsets, perStep ? t : 1, width, (at, index, run) =>
        {
            if (!classes)
            {
                StoreFinite(y, header, values, at, index, run);
                return;
            }

            for (int i = 0; i < run.Length; i++)
            {
                double value = run[i];
                if (value < 0 || value > CsvSequenceReader.MaxNumberedClass)
                {
                    throw y.Error($"element {Position(shape, index + i)}", $"expected a class from 0 to {CsvSequenceReader.MaxNumberedClass}, found {value.ToString(CultureInfo.InvariantCulture)}");
                }

                labels[at + i] = (int)value;
                maxClass = Math.Max(maxClass, (int)value);
            }
        }));
        if (!classes)
        {
            return new SequenceDataset(offsets, features, names, perStep ? SequenceTargetKind.StepValues : SequenceTargetKind.SequenceValues, [], 0, null, values, width);
        }

        if (labels.Distinct().Take(2).Count() < 2)
        {
            throw y.Error("classes", $"expected at least two classes, found only {labels[0]}");
        }

        return new SequenceDataset(offsets, features, names, perStep ? SequenceTargetKind.StepClass : SequenceTargetKind.SequenceClass, labels, maxClass + 1, null, [], 1);
    }

    private static int[] ReadLengths(ArraySource source, long maxBytes)
    {
        using Stream stream = source.Open();
        NpyHeader header = source.Header(stream);
        if (header.Shape.Length != 1 || !header.Type.IsInteger)
        {
            throw source.Error("'shape'", $"expected integers of shape (N,), found {header.ShapeText} of {header.Type.Kind}{header.Type.Size}");
        }

        MemoryBudget.Check(source.Source, $"lengths {header.ShapeText}", MemoryBudget.Product(header.Elements, sizeof(int)), maxBytes);
        int count = MemoryBudget.ArrayLength(source.Source, $"lengths {header.ShapeText}", header.Elements);
        var lengths = new int[count];
        source.ReadData(stream, header, (first, values) =>
        {
            for (int i = 0; i < values.Length; i++)
            {
                lengths[first + i] = (int)Math.Clamp(values[i], int.MinValue, int.MaxValue);
            }
        });
        return lengths;
    }

    /// <summary>Stores a run of elements: its position in the compact array, the file index of its first element, the values.</summary>
    private delegate void StoreRun(long at, long index, ReadOnlySpan<double> values);

    /// <summary>
    /// A sink that walks an [N, T, W] array in file order and hands over, run by run, only the first lengthOf[n] steps
    /// of each sequence n, placed compactly at offsets[n]; padding steps are skipped.
    /// </summary>
    private static NpyData.Sink Scatter(int[] lengthOf, int[] offsets, long t, long width, StoreRun store)
    {
        long sequence = 0, step = 0, column = 0;
        return (first, values) =>
        {
            int at = 0;
            while (at < values.Length)
            {
                long kept = lengthOf[sequence];
                bool real = step < kept;
                long left = ((real ? kept : t) - step) * width - column;
                int run = (int)Math.Min(values.Length - at, left);
                if (real)
                {
                    store(((offsets[sequence] + step) * width) + column, first + at, values.Slice(at, run));
                }

                at += run;
                column += run;
                step += column / width;
                column %= width;
                if (step == t)
                {
                    step = 0;
                    sequence++;
                }
            }
        };
    }

    /// <summary>Copies a run into <paramref name="destination"/> as float32, refusing a value that is not finite there.</summary>
    private static void StoreFinite(ArraySource source, NpyHeader header, float[] destination, long at, long index, ReadOnlySpan<double> values)
    {
        Span<float> target = destination.AsSpan((int)at, values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            float single = (float)values[i];
            target[i] = float.IsFinite(single) ? single : Finite(source, header, index + i, values[i]);
        }
    }

    private static float Finite(ArraySource source, NpyHeader header, long index, double value)
    {
        float single = (float)value;
        if (!float.IsFinite(single))
        {
            throw source.Error($"element {Position(header.Shape, index)}", $"expected a finite number within float32 range, found {value.ToString(CultureInfo.InvariantCulture)}");
        }

        return single;
    }

    /// <summary>Element <paramref name="index"/> of a row-major array as [i, j, k].</summary>
    private static string Position(long[] shape, long index)
    {
        var position = new long[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            position[d] = index % shape[d];
            index /= shape[d];
        }

        return "[" + string.Join(", ", position) + "]";
    }

    /// <summary>One array: where its bytes come from, the size its container declares, and how its errors are named.</summary>
    private sealed class ArraySource(string source, string name, Func<Stream> open, long? declaredBytes)
    {
        private int _headerBytes;

        public string Source => source;

        public DataFormatException Error(string field, string problem) => new(source, $"{name}: {field}", problem);

        public Stream Open() => Guard(open);

        public NpyHeader Header(Stream stream)
        {
            NpyHeader header = Guard(() => NpyHeader.Read(stream, source, name, out _headerBytes));
            NpyData.CheckDeclaredSize(header, _headerBytes, declaredBytes, source, name);
            return header;
        }

        public void ReadData(Stream stream, NpyHeader header, NpyData.Sink sink) =>
            Guard(() =>
            {
                NpyData.Read(stream, header, source, name, sink);
                return 0;
            });

        /// <summary>Turns the container's own failures (a corrupt deflate stream, an unsupported zip method) into data errors.</summary>
        private T Guard<T>(Func<T> action)
        {
            try
            {
                return action();
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException || (e is IOException and not FileNotFoundException and not DirectoryNotFoundException))
            {
                throw Error("zip member", $"expected a stored or deflated member that inflates cleanly, found {e.Message.TrimEnd('.')}");
            }
        }
    }
}
