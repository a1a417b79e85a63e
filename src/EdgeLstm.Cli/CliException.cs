namespace EdgeLstm.Cli;

/// <summary>A runtime problem (exit code 1) whose message is already fit for the user, e.g. no data found.</summary>
internal sealed class CliException(string message) : Exception(message);
