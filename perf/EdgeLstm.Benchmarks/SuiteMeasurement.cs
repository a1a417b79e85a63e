using BenchmarkDotNet.Running;

namespace EdgeLstm.Benchmarks;

/// <summary>What one run of the suite measured: the FMA peak per thread count, and every other case's median time.</summary>
internal sealed class SuiteMeasurement
{
    /// <summary>One measured case. <see cref="Name"/> is the key of perf/baseline.json.</summary>
    public sealed record Row(string Name, BenchmarkCase Case, int Threads, double Flops, double Seconds)
    {
        public double Gflops => Flops / Seconds / 1e9;
    }

    public Dictionary<int, double> Peak { get; } = [];

    public List<Row> Rows { get; } = [];

    public List<(string Name, BenchmarkCase Case)> Unmeasured { get; } = [];

    /// <summary>e.g. "Model Case=InferenceBatch64, Threads=2": the class, then its parameters, Case first.</summary>
    public static string NameOf(BenchmarkCase c) =>
        $"{c.Descriptor.Type.Name.Replace("Benchmarks", string.Empty, StringComparison.Ordinal)} {Parameters(c)}";

    /// <summary>The case's class with its parameters set (no set-up run): enough to ask its thread count and FLOP count.</summary>
    public static IFlopCounted Counted(BenchmarkCase c)
    {
        var type = c.Descriptor.Type;
        var instance = Activator.CreateInstance(type)!;
        foreach (var parameter in c.Parameters.Items)
        {
            type.GetProperty(parameter.Name)!.SetValue(instance, parameter.Value);
        }

        return (IFlopCounted)instance;
    }

    /// <summary>Percent of the same run's FMA peak at the row's thread count.</summary>
    public double PercentOfPeak(Row row) => 100 * row.Gflops / Peak[row.Threads];

    /// <summary>The ONNX Runtime row timing the same work as an EdgeLstm model row, if the suite ran one.</summary>
    public Row? OnnxCounterpart(Row row) =>
        row.Case.Descriptor.Type != typeof(ModelBenchmarks)
            ? null
            : Rows.FirstOrDefault(o => o.Case.Descriptor.Type == typeof(OnnxBenchmarks) && Parameters(o.Case) == Parameters(row.Case));

    private static string Parameters(BenchmarkCase c) =>
        string.Join(", ", c.Parameters.Items.OrderBy(p => p.Name == "Case" ? 0 : 1).Select(p => $"{p.Name}={p.Value}"));
}
