using EdgeLstm.Data;

namespace EdgeLstm.Cli;

/// <summary>
/// Finds the data set: <c>--data DIR</c>, else the <c>EDGELSTM_DATA</c> environment variable, else the MNIST bundled
/// with the repository in <c>data/mnist</c>, looked for beside the executable and in the working directory and their
/// parents (so <c>dotnet run</c> from the repository root finds it). Only the bundled copy must match its MD5SUMS.
/// </summary>
internal static class DataLocator
{
    public const string EnvironmentVariable = "EDGELSTM_DATA";

    private static readonly string BundledRelative = Path.Combine("data", "mnist");

    public static DataLocation Find(string? dataOption, CliContext context)
    {
        if (!string.IsNullOrEmpty(dataOption))
        {
            return Require(context.Resolve(dataOption), "--data", ChecksumPolicy.VerifyIfListed);
        }

        string? fromEnvironment = context.Environment(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return Require(context.Resolve(fromEnvironment), EnvironmentVariable, ChecksumPolicy.VerifyIfListed);
        }

        var looked = new List<string>();
        foreach (string start in new[] { context.BaseDirectory, context.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, BundledRelative);
                if (looked.Contains(candidate))
                {
                    continue;
                }

                looked.Add(candidate);
                if (MnistDirectory.IsComplete(candidate))
                {
                    return new DataLocation(candidate, "bundled MNIST", ChecksumPolicy.Require);
                }
            }
        }

        throw new CliException(
            "no data set found. Looked in:" + Environment.NewLine +
            $"  --data DIR            (not given){Environment.NewLine}" +
            $"  ${EnvironmentVariable}         (not set){Environment.NewLine}" +
            string.Concat(looked.Select(l => $"  {l}{Environment.NewLine}")) +
            "A data directory holds train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and" + Environment.NewLine +
            "t10k-labels-idx1-ubyte.gz (or the same without .gz). The repository bundles MNIST in data/mnist: run from a" + Environment.NewLine +
            "checkout, or copy that folder next to the executable, or pass --data DIR. For Fashion-MNIST on Debian:" + Environment.NewLine +
            "apt-get install dataset-fashion-mnist, then --data /usr/share/datasets/fashion-mnist.");
    }

    private static DataLocation Require(string directory, string from, ChecksumPolicy policy)
    {
        if (!Directory.Exists(directory))
        {
            throw new CliException($"{directory} (from {from}): no such directory.");
        }

        var missing = MnistDirectory.FileNames.Where(n => MnistDirectory.FindFile(directory, n) is null).ToList();
        if (missing.Count > 0)
        {
            throw new CliException($"{directory} (from {from}) is not a data set in the MNIST layout: missing {string.Join(", ", missing.Select(m => m + "[.gz]"))}.");
        }

        return new DataLocation(directory, from, policy);
    }
}

/// <summary>A data set directory, where it came from, and how strictly its checksums are checked.</summary>
internal sealed record DataLocation(string Directory, string Origin, ChecksumPolicy Checksums)
{
    public LabeledImages Load(DatasetSplit split, int classes = 10) => MnistDirectory.Load(Directory, split, Checksums, classes);

    public string Describe() => Origin == "bundled MNIST" ? $"bundled MNIST ({Directory}, MD5 verified)" : $"{Directory} (from {Origin})";
}
