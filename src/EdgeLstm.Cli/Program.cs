using System.Runtime.InteropServices;
using EdgeLstm.Cli;

// Ctrl-C (SIGINT) or a polite kill (SIGTERM, as from systemd or a job scheduler) asks the running command to stop:
// train then saves a checkpoint. A second signal ends the process at once.
using var interrupt = new CancellationTokenSource();
void Stop(PosixSignalContext signal)
{
    signal.Cancel = !interrupt.IsCancellationRequested;
    interrupt.Cancel();
}

using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
return CliApp.Run(args, CliContext.FromConsole(interrupt.Token));
