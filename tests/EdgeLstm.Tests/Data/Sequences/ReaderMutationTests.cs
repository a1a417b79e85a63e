using System.IO.Compression;
using System.Text;
using EdgeLstm.Data;
using EdgeLstm.Data.Sequences;

namespace EdgeLstm.Tests.Data.Sequences;

/// <summary>
/// Seeded mutations of valid inputs — bit flips, truncations, inserted quotes, commas, newlines, huge numbers, NaN text —
/// fed to every reader: each outcome must be a data set or the reader's own <see cref="DataFormatException"/>, never any
/// other exception.
/// </summary>
public class ReaderMutationTests
{
    private const int Rounds = 1500;

    private static readonly byte[][] Insertions =
    [
        "\""u8.ToArray(), ","u8.ToArray(), "\n"u8.ToArray(), "\r\n"u8.ToArray(), "\"\""u8.ToArray(), "NaN"u8.ToArray(), "-Infinity"u8.ToArray(),
        "1e308"u8.ToArray(), "1e39"u8.ToArray(), "99999999999999999999"u8.ToArray(), ""u8.ToArray(), "\uFEFF"u8.ToArray(), [0xff], [0],
    ];

    private static readonly string LongCsv = BuildLongCsv();

    private static string BuildLongCsv()
    {
        var csv = new StringBuilder("id,t,a,b,label\n");
        for (int s = 0; s < 6; s++)
        {
            for (int t = 0; t < 3 + s; t++)
            {
                csv.Append($"s{s},{t},{s}.5,{t}e-1,{(t % 2 == 0 ? "up" : "\"do,wn\"")}\n");
            }
        }

        return csv.ToString();
    }

    [Fact]
    public void The_long_format_csv_reader_only_ever_succeeds_or_refuses()
    {
        var options = new CsvSequenceOptions { Id = ColumnRef.ByName("id"), Time = ColumnRef.ByName("t"), Targets = [ColumnRef.ByName("label")], Missing = MissingValuePolicy.ForwardFill };
        var indexOptions = new CsvSequenceOptions { Time = ColumnRef.ByIndex(1), Targets = [ColumnRef.ByIndex(4)], Task = SequenceTask.Classify, Missing = MissingValuePolicy.Drop };
        Run(Encoding.UTF8.GetBytes(LongCsv), 101, bytes =>
        {
            Check(CsvSequenceReader.Read(bytes, "m.csv", options));
            Check(CsvSequenceReader.Read(bytes, "m.csv", indexOptions));
        });
    }

    [Fact]
    public void The_time_series_reader_and_windows_only_ever_succeed_or_refuse()
    {
        byte[] co2 = File.ReadAllBytes(Path.Combine(TestSupport.RepositoryPaths.Root, "data", "timeseries", "co2.csv"))[..3000];
        var options = new TimeSeriesCsvOptions { Missing = MissingValuePolicy.ForwardFill };
        Run(co2, 202, bytes =>
        {
            TimeSeries series = TimeSeriesCsvReader.Read(bytes, "m.csv", options);
            Assert.True(series.Length >= 1);
            if (series.Length >= 20)
            {
                (ForecastWindows train, ForecastWindows validation) = ForecastWindows.Split(series, new ForecastSpec(8, 2, series.TargetFeatures), 0.25, "m.csv");
                Check(train);
                Check(validation);
            }
        });
    }

    [Fact]
    public void The_npz_reader_only_ever_succeeds_or_refuses()
    {
        byte[] stored = NpyBytes.Zip(
            CompressionLevel.NoCompression,
            ("X.npy", NpyBytes.Float32([2, 3, 2], 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)),
            ("y.npy", NpyBytes.Int64([2, 3], 0, 1, 0, 1, 1, 0)),
            ("lengths.npy", NpyBytes.Int64([2], 2, 3)));
        Run(stored, 303, bytes => Check(NumpySequenceReader.ReadNpz(bytes, "m.npz")));
        Run(NumpySequenceReaderTests.NumpyArchive, 304, bytes => Check(NumpySequenceReader.ReadNpz(bytes, "m.npz")));
    }

    [Fact]
    public void The_npy_reader_only_ever_succeeds_or_refuses()
    {
        byte[] x = NpyBytes.Float32([2, 2, 1], 1, 2, 3, 4);
        byte[] y = NpyBytes.Float32([2, 2], 1, 2, 3, 4);
        Run(x, 405, bytes => Check(NumpySequenceReader.ReadNpy(bytes, y, null, "m.npy")));
        Run(y, 406, bytes => Check(NumpySequenceReader.ReadNpy(x, bytes, null, "m.npy")));
    }

    /// <summary>Applies <see cref="Rounds"/> seeded mutations of <paramref name="original"/> to <paramref name="read"/>.</summary>
    private static void Run(byte[] original, int seed, Action<byte[]> read)
    {
        var random = new Random(seed);
        int refused = 0;
        for (int round = 0; round < Rounds; round++)
        {
            byte[] mutated = Mutate(original, random);
            try
            {
                read(mutated);
            }
            catch (DataFormatException e)
            {
                Assert.False(e.Message.Contains('\n', StringComparison.Ordinal), $"seed {seed} round {round}: a message must be one line: {e.Message}");
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed} round {round}: {e.GetType().Name}: {e.Message}\n{Convert.ToBase64String(mutated)}");
            }
        }

        // Both outcomes occur, so the mutations reach past the first check.
        Assert.InRange(refused, 1, Rounds - 1);
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        int edits = 1 + random.Next(3);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 2:
                    bytes.InsertRange(at, Insertions[random.Next(Insertions.Length)]);
                    break;
                case 3:
                    bytes.RemoveAt(at);
                    break;
                default:
                    bytes[at] = (byte)random.Next(256);
                    break;
            }
        }

        return [.. bytes];
    }

    /// <summary>Reads every sequence of a source that was accepted, so its invariants are exercised too.</summary>
    private static void Check(ISequenceSource source)
    {
        var inputs = new float[source.MaxLength * source.FeatureCount];
        var lengths = new int[1];
        var classes = new int[source.TargetKind switch { SequenceTargetKind.SequenceClass => 1, SequenceTargetKind.StepClass => source.MaxLength, _ => 0 }];
        var values = new float[source.TargetKind switch { SequenceTargetKind.SequenceValues => source.TargetWidth, SequenceTargetKind.StepValues => source.MaxLength * source.TargetWidth, _ => 0 }];
        for (int i = 0; i < source.Count; i++)
        {
            source.GatherBatch([i], source.MaxLength, inputs, lengths, classes, values);
            Assert.All(inputs, v => Assert.True(float.IsFinite(v)));
            Assert.All(values, v => Assert.True(float.IsFinite(v)));
            Assert.All(classes, c => Assert.InRange(c, -1, source.ClassCount - 1));
        }
    }
}
