using EdgeLstm.Cli;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.Cli;

/// <summary>Runs the CLI in-process in a scratch directory with a small data set, capturing output and exit code.</summary>
internal sealed class CliHarness : IDisposable
{
    private readonly TempDirectory _dir = new();

    public CliHarness(int train = 120, int test = 40)
    {
        DataDirectory = Path.Combine(_dir.Path, "data");
        IdxBuilder.WriteDataset(DataDirectory, train, test);
    }

    public string Directory => _dir.Path;

    public string DataDirectory { get; }

    public Dictionary<string, string> Environment { get; } = [];

    public string File(string name) => _dir.File(name);

    public CliResult Run(params string[] args) => Run(CancellationToken.None, args);

    public CliResult Run(CancellationToken cancellation, params string[] args) => Run(new StringWriter(), cancellation, args);

    /// <summary>
    /// Runs with a cancellation that fires as soon as the command writes a line <paramref name="signalAfter"/> accepts:
    /// an interrupt at a chosen point of the run, in-process and with no timing involved.
    /// </summary>
    public CliResult Run(Func<string, bool> signalAfter, params string[] args)
    {
        using var interrupt = new CancellationTokenSource();
        return Run(new SignallingWriter(signalAfter, interrupt), interrupt.Token, args);
    }

    private CliResult Run(StringWriter output, CancellationToken cancellation, string[] args)
    {
        using var outputScope = output;
        using var error = new StringWriter();
        var context = new CliContext
        {
            Out = output,
            Error = error,
            Cancellation = cancellation,
            Environment = name => Environment.GetValueOrDefault(name),
            CurrentDirectory = _dir.Path,
            BaseDirectory = _dir.Path,
        };
        int code = CliApp.Run(args, context);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    /// <summary>A tiny, fast training run on the small data set.</summary>
    public CliResult TrainSmall(string output, params string[] extra) =>
        Run([.. new[] { "train", "--data", DataDirectory, "--iterations", "12", "--hidden", "8", "--batch-size", "16", "--threads", "1", "--out", output }, .. extra]);

    public void Dispose() => _dir.Dispose();
}

/// <summary>Captures output and cancels <paramref name="interrupt"/> right after a line that <paramref name="signalAfter"/> accepts.</summary>
internal sealed class SignallingWriter(Func<string, bool> signalAfter, CancellationTokenSource interrupt) : StringWriter
{
    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        if (value is not null && signalAfter(value))
        {
            interrupt.Cancel();
        }
    }
}

internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- out ---\n{Out}\n--- error ---\n{Error}";
}
