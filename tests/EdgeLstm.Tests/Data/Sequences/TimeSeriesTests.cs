using System.Security.Cryptography;
using System.Text;
using EdgeLstm.Data;
using EdgeLstm.Data.Sequences;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.Data.Sequences;

public class TimeSeriesTests
{
    private static string Co2Path => Path.Combine(RepositoryPaths.Root, "data", "timeseries", "co2.csv");

    private static TimeSeries Series(string csv, TimeSeriesCsvOptions? options = null) =>
        TimeSeriesCsvReader.Read(Encoding.UTF8.GetBytes(csv), "ts.csv", options ?? new TimeSeriesCsvOptions());

    private static string Fails(string csv, TimeSeriesCsvOptions? options = null) =>
        Assert.Throws<DataFormatException>(() => Series(csv, options)).Message;

    [Fact]
    public void The_bundled_co2_series_is_the_documented_copy()
    {
        byte[] hash = SHA256.HashData(File.ReadAllBytes(Co2Path));
        Assert.Equal("16695fa2786e53414e5a6b54767a3fdf5de99cfbc68617f69d1362d92776a92f", Convert.ToHexStringLower(hash));
        string sums = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "data", "timeseries", "SHA256SUMS"));
        Assert.StartsWith("16695fa2786e53414e5a6b54767a3fdf5de99cfbc68617f69d1362d92776a92f  co2.csv", sums, StringComparison.Ordinal);
        Assert.Contains("public domain", File.ReadAllText(Path.Combine(RepositoryPaths.Root, "data", "timeseries", "README.txt")), StringComparison.Ordinal);
    }

    [Fact]
    public void Co2_needs_a_missing_value_policy_and_forward_fill_reads_all_2284_weeks()
    {
        var e = Assert.Throws<DataFormatException>(() => TimeSeriesCsvReader.Read(Co2Path, new TimeSeriesCsvOptions()));
        Assert.Equal(Co2Path + ": line 8, column 'co2' (index 1): expected a value, found an empty field (missing values: error by default; drop or ffill to accept them)", e.Message);

        TimeSeries co2 = TimeSeriesCsvReader.Read(Co2Path, new TimeSeriesCsvOptions { Missing = MissingValuePolicy.ForwardFill });
        Assert.Equal(2284, co2.Length);
        Assert.Equal(["co2"], co2.FeatureNames);
        Assert.Equal([0], co2.TargetFeatures);
        Assert.Equal(DateColumnKind.CompactDate, co2.DateKind);
        Assert.Equal("19580329", co2.Date(0));
        Assert.Equal("20011229", co2.Date(2283));
        Assert.Equal(316.1f, co2.Step(0)[0]);
        Assert.Equal(316.9f, co2.Step(6)[0]); // 19580510 is empty: carried from 19580503
        Assert.Equal(371.5f, co2.Step(2283)[0]);

        TimeSeries dropped = TimeSeriesCsvReader.Read(Co2Path, new TimeSeriesCsvOptions { Missing = MissingValuePolicy.Drop });
        Assert.Equal(2284 - 59, dropped.Length);
    }

    [Fact]
    public void Co2_windows_split_by_time_without_leaking_validation_values_into_training()
    {
        TimeSeries co2 = TimeSeriesCsvReader.Read(Co2Path, new TimeSeriesCsvOptions { Missing = MissingValuePolicy.ForwardFill });
        var spec = new ForecastSpec(52, 1, co2.TargetFeatures);
        (ForecastWindows train, ForecastWindows validation) = ForecastWindows.Split(co2, spec, 0.2, "co2.csv");

        int boundary = 2284 - 456; // the last ⌊0.2 · 2284⌋ = 456 weeks are validation
        Assert.Equal(boundary - 52, train.Count);
        Assert.Equal(boundary, train.FirstTargetStep(train.Count - 1) + 1); // the last training target is the step before the boundary
        Assert.Equal(boundary, validation.FirstTargetStep(0));
        Assert.Equal(2283, validation.FirstTargetStep(validation.Count - 1));
        Assert.Equal(456, validation.Count);

        // Relative windows: inputs end at 0, the target is the change from the last observed week.
        var inputs = new float[2 * 52];
        var lengths = new int[2];
        var values = new float[2];
        train.GatherBatch([0, 10], 52, inputs, lengths, [], values);
        Assert.Equal([52, 52], lengths);
        Assert.Equal(0f, inputs[51]);
        Assert.Equal(co2.Step(0)[0] - co2.Step(51)[0], inputs[0]);
        Assert.Equal(co2.Step(52)[0] - co2.Step(51)[0], values[0]);
        Assert.Equal(co2.Step(62)[0] - co2.Step(61)[0], values[1]);
        var restored = values[..1];
        spec.RestoreForecasts(train.LastObserved(0), restored);
        Assert.Equal(co2.Step(52)[0], restored[0], 4);
    }

    [Fact]
    public void Absolute_windows_several_features_and_horizons_are_horizon_major()
    {
        TimeSeries series = Series("date,a,b\n2000-01-01,1,10\n2000-01-02,2,20\n2000-01-03,3,30\n2000-01-04,4,40\n2000-01-05,5,50\n", new TimeSeriesCsvOptions { DateAsFeature = true });
        Assert.Equal(["a", "b", "date"], series.FeatureNames);
        Assert.Equal([0, 1], series.TargetFeatures);
        Assert.Equal(DateColumnKind.IsoDate, series.DateKind);
        Assert.Equal(2000f, series.Step(0)[2]);

        var spec = new ForecastSpec(2, 2, series.TargetFeatures, RelativeToLast: false);
        ForecastWindows windows = ForecastWindows.All(series, spec, "ts.csv");
        Assert.Equal(2, windows.Count);
        var inputs = new float[3 * 3];
        var values = new float[4];
        windows.GatherBatch([1], 3, inputs, new int[1], [], values);
        Assert.Equal([2f, 20f], inputs[..2]);
        Assert.Equal([3f, 30f], inputs[3..5]);
        Assert.Equal([0f, 0f, 0f], inputs[6..]);
        Assert.Equal([4f, 40f, 5f, 50f], values);
    }

    [Fact]
    public void A_year_column_is_recognised_and_a_target_outside_the_features_joins_them()
    {
        TimeSeries nile = Series("year,volume,rain\n1871,1120,3\n1872,1160,4\n1873,963,5\n", new TimeSeriesCsvOptions { Features = [ColumnRef.ByName("rain")], Targets = [ColumnRef.ByName("volume")] });
        Assert.Equal(DateColumnKind.Year, nile.DateKind);
        Assert.Equal("1873", nile.Date(2));
        Assert.Equal(["rain", "volume"], nile.FeatureNames);
        Assert.Equal([1], nile.TargetFeatures);

        TimeSeries undated = Series("5\n4\n3\n", new TimeSeriesCsvOptions());
        Assert.Equal(DateColumnKind.None, undated.DateKind);
        Assert.Equal(3, undated.Length);
    }

    [Theory]
    [InlineData("date,co2\n19580329,316.1\n19580405,\n", MissingValuePolicy.Error, "ts.csv: line 3, column 'co2' (index 1): expected a value, found an empty field (missing values: error by default; drop or ffill to accept them)")]
    [InlineData("date,co2\n19580329,\n19580405,1\n", MissingValuePolicy.ForwardFill, "ts.csv: line 2, column 'co2' (index 1): expected a value: the series starts with an empty field, so forward fill has nothing to carry")]
    [InlineData("date,co2\n19580329,1\n19580405,x\n", MissingValuePolicy.Error, "ts.csv: line 3, column 'co2' (index 1): expected a number, found 'x'")]
    [InlineData("date,co2\n19580329,1\n19580405,inf\n", MissingValuePolicy.Error, "ts.csv: line 3, column 'co2' (index 1): expected a number, found 'inf'")]
    [InlineData("date,co2\n19580329,1\n19580405,Infinity\n", MissingValuePolicy.Error, "ts.csv: line 3, column 'co2' (index 1): expected a finite number within float32 range, found 'Infinity'")]
    [InlineData("date,co2\n19580329,1,2\n", MissingValuePolicy.Error, "ts.csv: line 2: expected 2 fields as on line 1, found 3")]
    public void Bad_series_get_one_line_naming_file_line_and_column(string csv, MissingValuePolicy missing, string message)
    {
        Assert.Equal(message, Fails(csv, new TimeSeriesCsvOptions { Missing = missing }));
    }

    [Fact]
    public void An_explicit_date_column_must_rise_and_a_short_series_is_refused()
    {
        Assert.Equal("ts.csv: line 3, column 'd' (index 0): expected a date (YYYYMMDD, YYYY-MM-DD or a four-digit year) of one form, later than the row before, found '19580301'", Fails("d,x\n19580329,1\n19580301,2\n", new TimeSeriesCsvOptions { Date = ColumnRef.ByName("d") }));
        Assert.Equal("ts.csv: target column: expected a column named 'y', found only 'd', 'x'", Fails("d,x\n1,2\n", new TimeSeriesCsvOptions { Targets = [ColumnRef.ByName("y")] }));

        TimeSeries series = Series("x\n1\n2\n3\n");
        var e = Assert.Throws<DataFormatException>(() => ForecastWindows.All(series, new ForecastSpec(3, 1, [0]), "ts.csv"));
        Assert.Equal("ts.csv: window: expected a series of at least window + horizon = 3 + 1 = 4 steps, found 3", e.Message);
        e = Assert.Throws<DataFormatException>(() => ForecastWindows.Split(Series("x\n1\n2\n3\n4\n5\n"), new ForecastSpec(3, 1, [0]), 0.1, "ts.csv"));
        Assert.Equal("ts.csv: validation: expected at least one training and one validation window, found 2 and 0 (series of 5 steps, validation from step 5, window 3, horizon 1)", e.Message);
    }

    [Fact]
    public void The_relative_transform_round_trips_forecasts()
    {
        var spec = new ForecastSpec(3, 2, [1]);
        float[] window = [1, 10, 2, 12, 3, 15];
        float[] last = window[4..];
        spec.PrepareInputs(window, 2);
        Assert.Equal([-2f, -5f, -1f, -3f, 0f, 0f], window);
        float[] targets = [16, 18];
        spec.PrepareTargets(last, targets);
        Assert.Equal([1f, 3f], targets);
        spec.RestoreForecasts(last, targets);
        Assert.Equal([16f, 18f], targets);
    }
}
