using System.CommandLine;
using System.CommandLine.Parsing;

namespace EdgeLstm.Cli;

/// <summary>
/// The one rule, for every command with <c>--data</c>, that an option for the other kind of data is refused: a
/// sequence file's options with MNIST images, an image's options with a sequence file. Ignoring one silently would run
/// something other than what was asked (<c>evaluate --validation 0.5</c> on MNIST would still score every test image).
/// Checked when the command line is parsed, so the refusal is a usage error before anything is read.
/// </summary>
internal static class DataKindOptions
{
    /// <summary>
    /// Adds the rule to <paramref name="command"/>: <paramref name="sequenceOnly"/> are refused unless <paramref name="data"/>
    /// names a sequence file, <paramref name="imagesOnly"/> when it does, saying <paramref name="imagesOnlyWhy"/>.
    /// </summary>
    public static void Add(Command command, Option<string?> data, CliContext context, IEnumerable<Option> sequenceOnly, IEnumerable<Option> imagesOnly, string imagesOnlyWhy)
    {
        Option[] sequence = [.. sequenceOnly], images = [.. imagesOnly];
        command.Validators.Add(result =>
        {
            bool isSequenceFile = IsSequenceFile(result, data, context);
            foreach (var option in (isSequenceFile ? images : sequence).Where(o => result.GetResult(o) is { Implicit: false }))
            {
                result.AddError(isSequenceFile
                    ? $"{option.Name} is for MNIST images, not a sequence file: {imagesOnlyWhy}"
                    : $"{option.Name} is for a sequence file (--data FILE.csv|.npy|.npz), not MNIST images.");
            }
        });
    }

    /// <summary>True when the command line's <c>--data</c> names a sequence file (a bad path is left to the option's own check).</summary>
    public static bool IsSequenceFile(CommandResult result, Option<string?> data, CliContext context) =>
        result.GetValue(data) is { Length: > 0 } path && !path.Contains('\0', StringComparison.Ordinal) && Sequences.SequenceFile.Is(context.Resolve(path));
}
