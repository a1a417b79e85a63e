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

    /// <summary>Stopped by SIGHUP (a closed terminal or SSH session): 128 + 1, the shell's convention.</summary>
    public const int Hangup = 129;

    /// <summary>Stopped by Ctrl-C (SIGINT): 128 + 2. Train saves a checkpoint first.</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM (kill, systemd, a job scheduler): 128 + 15. Train saves a checkpoint first.</summary>
    public const int Terminated = 143;
}
