using System.Runtime.InteropServices;

namespace EdgeLstm.Cli;

/// <summary>
/// SIGINT (Ctrl-C), SIGTERM (kill, systemd) and SIGHUP (a closed terminal or SSH session) for the real process. Once a
/// command has said it stops at a safe point (<see cref="Defer"/>: train, which then saves a checkpoint), the first
/// signal cancels <see cref="Token"/> and the command ends with <see cref="ExitCode"/>. Before that, in every other
/// command, and on a second signal, the process ends at once with 128 + the signal's number.
/// </summary>
internal sealed class Interrupts : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration[] _registrations;
    private volatile bool _deferred;
    private volatile int _exitCode = ExitCodes.Interrupted;

    public Interrupts()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal),
        ];
    }

    public CancellationToken Token => _source.Token;

    /// <summary>128 + the number of the signal that cancelled <see cref="Token"/>.</summary>
    public int ExitCode => _exitCode;

    /// <summary>From now on the first signal only cancels <see cref="Token"/>.</summary>
    public void Defer() => _deferred = true;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _source.Dispose();
    }

    private void OnSignal(PosixSignalContext signal)
    {
        int code = signal.Signal switch
        {
            PosixSignal.SIGHUP => ExitCodes.Hangup,
            PosixSignal.SIGTERM => ExitCodes.Terminated,
            _ => ExitCodes.Interrupted,
        };
        if (!_deferred || _source.IsCancellationRequested)
        {
            // Nothing to save, or asked twice: stop now. Outputs are written atomically, so none is left half-written.
            Console.Error.WriteLine(_source.IsCancellationRequested ? "stopped without saving (second signal)" : "interrupted");
            Environment.Exit(code);
        }

        _exitCode = code;
        signal.Cancel = true;
        _source.Cancel();
    }
}
