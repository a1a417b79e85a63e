namespace EdgeLstm.Cli;

/// <summary>A command line that parses but makes no sense (exit code 2), found while running the command.</summary>
internal sealed class UsageException(string message) : Exception(message);
