using EdgeLstm.Cli;

using var interrupts = new Interrupts();
return CliApp.Run(args, CliContext.FromConsole(interrupts));
