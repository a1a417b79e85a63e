using System.CommandLine;
using System.CommandLine.Parsing;
using EdgeLstm.Model;

namespace EdgeLstm.Cli;

/// <summary>Options and arguments shared by several commands, with their range checks (failures are usage errors).</summary>
internal static class CommonOptions
{
    public static Option<string?> Data() => Path(
        "--data",
        $"Directory in the MNIST layout (train-images-idx3-ubyte[.gz] and the other three), or a sequence file: .csv (long format, or one time series with --window), .npy or .npz. Default: ${DataLocator.EnvironmentVariable}, else the bundled data/mnist.",
        "DIR|FILE");

    /// <summary>
    /// A file or directory option. An empty value is a usage error, not "the default": <c>--out "$UNSET"</c> must not
    /// quietly write somewhere else, nor <c>--data ""</c> quietly fall back to the bundled set.
    /// </summary>
    public static Option<string?> Path(string name, string description, string helpName, string? defaultValue = null)
    {
        var option = new Option<string?>(name) { Description = description, HelpName = helpName };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue;
        }

        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out string? value) && value is not null && (value.Length == 0 || value.Contains('\0', StringComparison.Ordinal)))
            {
                result.AddError(value.Length == 0 ? $"{name} needs a path; got an empty one." : $"{name}: a path cannot contain a NUL character.");
            }
        });
        return option;
    }

    /// <summary>The recurrent cell of every layer (<c>train</c>, <c>bench</c>).</summary>
    public static Option<CellKind> Cell() => new("--cell")
    {
        Description = "The recurrent cell of every layer: lstm (the recipe) or gru (PyTorch's nn.GRU).",
        DefaultValueFactory = _ => CellKind.Lstm,
        HelpName = "lstm|gru",
    };

    public static Option<int> Threads() => Int("--threads", "Threads to use; 0 = one per processor. Results do not depend on it.", 0, 0, 256);

    public static Argument<string> Model()
    {
        var argument = new Argument<string>("MODEL") { Description = "A model file (.safetensors) written by 'edgelstm train' (a checkpoint works too)." };
        argument.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && result.Tokens[0].Value.Length == 0)
            {
                result.AddError("MODEL needs a path; got an empty one.");
            }
        });
        return argument;
    }

    public static Option<int> Int(string name, string description, int defaultValue, int min, int max)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue, HelpName = "N" };
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out int value) && (value < min || value > max))
            {
                result.AddError($"{name} must be from {min} to {max}; got {value}.");
            }
        });
        return option;
    }

    public static Option<float> Float(string name, string description, float defaultValue, float min, float max, bool minExclusive = false)
    {
        var option = new Option<float>(name) { Description = description, DefaultValueFactory = _ => defaultValue, HelpName = "X" };
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out float value) && (!(minExclusive ? value > min : value >= min) || !(value <= max)))
            {
                result.AddError($"{name} must be {(minExclusive ? "above" : "at least")} {min} and at most {max}; got {value}.");
            }
        });
        return option;
    }

    /// <summary>
    /// The option's value, or false when it did not parse: validators run even then, and the parse error is
    /// already reported, so a range check must not throw on top of it.
    /// </summary>
    public static bool TryGetValue<T>(OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }
}
