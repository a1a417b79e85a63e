using EdgeLstm.Data;
using EdgeLstm.Data.Sequences;

namespace EdgeLstm.Fuzz.Targets;

/// <summary>
/// <see cref="TimeSeriesCsvReader"/> on the head of the bundled Mauna Loa CO2 series (dates, gaps), then forecast windows
/// cut from what it read, as training on one series does.
/// </summary>
internal sealed class TimeSeriesCsvTarget : FuzzTarget
{
    private static readonly TimeSeriesCsvOptions Options = new() { Missing = MissingValuePolicy.ForwardFill };

    public TimeSeriesCsvTarget()
    {
        byte[] co2 = File.ReadAllBytes(Path.Combine(RepositoryRoot(), "data", "timeseries", "co2.csv"));
        int cut = Array.IndexOf(co2, (byte)'\n', 2500) + 1;
        Seeds = [co2[..cut], "year,volume\n1871,1120\n1872,1160\n1873,963\n1874,1210\n1875,1160\n1876,1160\n"u8.ToArray()];
    }

    public override string Name => "time-series CSV";

    public override Type FormatException => typeof(DataFormatException);

    public override IReadOnlyList<byte[]> Seeds { get; }

    public override IReadOnlyList<(string Group, Func<byte[], Random, byte[]> Mutate)> Structured => TextInsertions.Groups;

    public override void Load(byte[] input, LoadRoute route, string path)
    {
        var options = Options;
        TimeSeries series;
        if (route == LoadRoute.File)
        {
            File.WriteAllBytes(path, input);
            series = TimeSeriesCsvReader.Read(path, options);
        }
        else
        {
            series = TimeSeriesCsvReader.Read(input, "fuzz.csv", options);
        }

        if (series.Length >= 8)
        {
            _ = ForecastWindows.Split(series, new ForecastSpec(4, 2, series.TargetFeatures), 0.25, "fuzz.csv");
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeLstm.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("the repository root (EdgeLstm.sln) was not found above " + AppContext.BaseDirectory);
    }
}
