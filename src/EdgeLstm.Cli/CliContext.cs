namespace EdgeLstm.Cli;

/// <summary>
/// What a command may touch of the outside world, passed in so that tests run the CLI in-process with their own
/// writers, environment and cancellation.
/// </summary>
internal sealed class CliContext
{
    /// <summary>Normal output.</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Error messages.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>True when <see cref="Out"/> is a terminal: progress is then one line rewritten in place.</summary>
    public bool OutputIsTerminal { get; init; }

    /// <summary>Signalled by Ctrl-C, SIGTERM or SIGHUP once a command has called <see cref="HandleInterrupts"/>.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// Called by a command that from then on stops by itself at a safe point when <see cref="Cancellation"/> is signalled
    /// (train: after the current iteration, with a checkpoint). Until then, and in every other command, an interrupt
    /// ends the process at once: there is nothing to save.
    /// </summary>
    public Action HandleInterrupts { get; init; } = () => { };

    /// <summary>The exit code for the interrupt that signalled <see cref="Cancellation"/>: 128 + the signal's number.</summary>
    public Func<int> InterruptExitCode { get; init; } = () => ExitCodes.Interrupted;

    /// <summary>Reads an environment variable.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>The working directory, where relative paths and the bundled data are looked up.</summary>
    public string CurrentDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>The executable's directory, where the bundled data is also looked up.</summary>
    public string BaseDirectory { get; init; } = AppContext.BaseDirectory;

    /// <summary>The real console.</summary>
    public static CliContext FromConsole(Interrupts interrupts) => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        OutputIsTerminal = !Console.IsOutputRedirected,
        Cancellation = interrupts.Token,
        HandleInterrupts = interrupts.Defer,
        InterruptExitCode = () => interrupts.ExitCode,
    };

    /// <summary>A path from the command line, made absolute against <see cref="CurrentDirectory"/>.</summary>
    public string Resolve(string path) => Path.GetFullPath(path, CurrentDirectory);
}
