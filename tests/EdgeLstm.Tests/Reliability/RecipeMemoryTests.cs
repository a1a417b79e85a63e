using System.Globalization;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.Reliability;

/// <summary>
/// The recipe's peak memory as a user meets it: the built <c>edgelstm</c> in its own process, its peak resident set
/// read from the kernel (<c>/usr/bin/time</c> prints the child's ru_maxrss) after a short recipe run on the bundled
/// MNIST. Nothing here depends on timing: the peak is the memory the run holds, and every allocation of a full run is
/// made in its first iterations and the final evaluation (an iteration after the first allocates nothing).
/// </summary>
/// <remarks>
/// This runs the JIT build (the apphost beside the tests), which carries what the Native AOT binary does not: the
/// mapped runtime, CoreLib and JIT (about 30 MB resident), W^X double mapping and tiering's code and PGO data. Measured
/// 132 to 141 MB here (474 MB before the images stayed bytes); the bound leaves room for the runtime's timing-dependent
/// tiering and still fails on any set of images held as floats (+170 MB) or a batch-500 evaluation (+90 MB). The
/// issue's 128 MB is checked on the AOT binary in tools/test.d/20-aot.sh (measured 96 MB).
/// </remarks>
public sealed class RecipeMemoryTests : IDisposable
{
    /// <summary>The bound for the JIT build, in kB (ru_maxrss's unit): 150 MB.</summary>
    public const long PeakKilobytes = 150 * 1024;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Training_the_recipe_on_the_bundled_mnist_peaks_within_150_MB_on_the_jit()
    {
        // Loads both splits, builds the 2 × 256 model, trains 3 iterations (the trainer's and the predictor's
        // activations are made on the first), evaluates the 10,000 test images and saves the model.
        string peakFile = _dir.File("peak");
        var variables = new Dictionary<string, string>
        {
            ["MNIST"] = RepositoryPaths.BundledMnist,
            ["DIR"] = _dir.Path,
            ["PEAK"] = peakFile,
        };
        var run = OutOfProcessCli.Bash(
            "/usr/bin/time -f %M -o \"$PEAK\" \"$CLI\" train --data \"$MNIST\" --iterations 3 --threads 2 --out \"$DIR/m.safetensors\"",
            variables,
            timeoutSeconds: 600);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("test accur", run.Out, StringComparison.Ordinal);

        long peak = long.Parse(File.ReadAllText(peakFile).Trim(), CultureInfo.InvariantCulture);
        Assert.True(peak <= PeakKilobytes, $"peak resident set {peak} kB, more than {PeakKilobytes} kB\n{run}");
    }
}
