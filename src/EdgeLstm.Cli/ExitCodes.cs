namespace EdgeLstm.Cli;

/// <summary>The process exit codes, the same for every command.</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>A runtime or data error: bad or missing file, I/O failure.</summary>
    public const int Error = 1;

    /// <summary>The command line itself is wrong (unknown option, value out of range, missing argument).</summary>
    public const int Usage = 2;

    /// <summary>Stopped by Ctrl-C after saving a checkpoint (128 + SIGINT, the shell's convention).</summary>
    public const int Interrupted = 130;
}
