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

    public CliResult Run(CancellationToken cancellation, params string[] args)
    {
        using var output = new StringWriter();
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

internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- out ---\n{Out}\n--- error ---\n{Error}";
}
