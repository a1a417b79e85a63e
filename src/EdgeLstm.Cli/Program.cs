using EdgeLstm.Cli;

// Ctrl-C asks the running command to stop (train then saves a checkpoint); a second Ctrl-C ends the process at once.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !interrupt.IsCancellationRequested;
    interrupt.Cancel();
};

return CliApp.Run(args, CliContext.FromConsole(interrupt.Token));
