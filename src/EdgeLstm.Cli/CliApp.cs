using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using EdgeLstm.Cli.Commands;
using EdgeLstm.Data;
using EdgeLstm.IO;

namespace EdgeLstm.Cli;

/// <summary>
/// The <c>edgelstm</c> command line: builds the commands, parses, runs, and turns every outcome into one of
/// <see cref="ExitCodes"/>. A command is a class with a <c>Create(CliContext)</c>; adding one is one line here.
/// </summary>
internal static class CliApp
{
    /// <summary>Runs the command line <paramref name="args"/>; returns the exit code.</summary>
    public static int Run(string[] args, CliContext context)
    {
        // A plain Command named "edgelstm", not a RootCommand: a RootCommand takes its name from the executable, which is
        // EdgeLstm.Cli under dotnet (see the project file), so usage lines would not show the command users type.
        var root = new Command("edgelstm", "EdgeLstm: train and run stacked-LSTM classifiers on MNIST-style data (the reference TF1 recipe, in C#).")
        {
            new HelpOption(),
            new VersionOption(),
            TrainCommand.Create(context),
            EvaluateCommand.Create(context),
            PredictCommand.Create(context),
            InspectCommand.Create(context),
            BenchCommand.Create(context),
            InfoCommand.Create(context),
            QuantizeCommand.Create(context),
        };

        var parsed = root.Parse(args);
        if (parsed.Action is ParseErrorAction)
        {
            foreach (var error in parsed.Errors)
            {
                context.Error.WriteLine($"error: {error.Message}");
            }

            context.Error.WriteLine(HelpHint(parsed));
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            EnableDefaultExceptionHandler = false,

            // Ctrl-C is handled by Program (a cancellation token in the context), not by the library.
            ProcessTerminationTimeout = null,
        };
        try
        {
            return parsed.Invoke(invocation);
        }
        catch (UsageException e)
        {
            context.Error.WriteLine($"error: {e.Message}");
            context.Error.WriteLine(HelpHint(parsed));
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is DataFormatException or ModelFormatException or IOException or UnauthorizedAccessException or CliException)
        {
            context.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Error;
        }
        catch (OutOfMemoryException)
        {
            context.Error.WriteLine("error: out of memory (a smaller --batch-size or model, or fewer --threads, needs less).");
            return ExitCodes.Error;
        }
        catch (OperationCanceledException)
        {
            context.Error.WriteLine("interrupted");
            return context.InterruptExitCode();
        }
        catch (Exception e)
        {
            // The backstop: every case we know of has its own message before this point; anything reaching here is a bug
            // to report, but still one line and exit 1, never a stack trace over the user's terminal.
            context.Error.WriteLine($"error: {OneLine(e.Message)} (an unexpected {e.GetType().Name}: please report it)");
            return ExitCodes.Error;
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");

    private static string HelpHint(ParseResult parsed) =>
        $"Run 'edgelstm {string.Join(' ', CommandPath(parsed))} --help' for the options.".Replace("  ", " ", StringComparison.Ordinal);

    private static IEnumerable<string> CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
        {
            names.Insert(0, result.Command.Name);
        }

        return names;
    }
}
