using EdgeLstm.Cli;

namespace EdgeLstm.Tests.CliBench;

public class BenchCommandTests
{
    [Fact]
    public void Bench_prints_every_row_with_a_fraction_of_the_measured_peak()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new CliContext { Out = output, Error = error };
        int code = CliApp.Run(["bench", "--hidden", "16", "--layers", "1", "--threads", "2"], context);

        Assert.True(code == 0, error.ToString());
        string text = output.ToString();
        foreach (string row in new[] { "training iteration, batch 64", "inference, batch 64, 28 steps", "inference, batch 1, 28 steps", "streaming step, batch 1" })
        {
            // Once per thread count (1 and 2), each with a percentage of the peak.
            var lines = text.Split('\n').Where(l => l.Contains(row, StringComparison.Ordinal)).ToArray();
            Assert.Equal(2, lines.Length);
            Assert.All(lines, l => Assert.Matches(@"\d+\.\d%", l));
        }

        Assert.Contains("FMA peak", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Bench_with_cell_gru_times_a_gru_model_and_counts_its_three_gate_blocks()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(["bench", "--hidden", "16", "--layers", "1", "--threads", "1", "--cell", "gru"], new CliContext { Out = output, Error = error });

        Assert.True(code == 0, error.ToString());
        string text = output.ToString();
        // 28 steps × 2·(28+16)·3·16 + 2·16·10 = 0.12 MFLOP forward (an LSTM's 4 gate blocks would make it 0.16).
        Assert.Contains("model: 28 steps × 28 inputs → 1 GRU layer × 16 → 10 classes; 0.12 MFLOP forward", text, StringComparison.Ordinal);
        Assert.Contains("training iteration, batch 64", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Bench_rejects_a_negative_thread_count_as_a_usage_error()
    {
        var error = new StringWriter();
        int code = CliApp.Run(["bench", "--threads", "-1"], new CliContext { Out = new StringWriter(), Error = error });
        Assert.Equal(2, code);
        Assert.Contains("--threads", error.ToString(), StringComparison.Ordinal);
    }
}
