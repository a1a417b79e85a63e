using System.CommandLine;
using System.Globalization;
using EdgeLstm.Cli.Output;
using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Quantization;

namespace EdgeLstm.Cli.Commands;

/// <summary>
/// <c>edgelstm quantize MODEL --out FILE</c>: writes MODEL with int8 weights (<see cref="Int8Weights.Quantize"/>:
/// symmetric, one fp32 scale per output row; biases stay fp32), about a quarter of the fp32 file. Training stays fp32:
/// this is the step after it.
/// </summary>
internal static class QuantizeCommand
{
    /// <summary>What replaces <c>.safetensors</c> in MODEL's name when <c>--out</c> is not given.</summary>
    public const string DefaultSuffix = ".int8.safetensors";

    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model();
        var output = CommonOptions.Path("--out", $"Where to write the int8 model. Default: MODEL's name with {DefaultSuffix} (model.safetensors → model{DefaultSuffix}).", "FILE");
        var command = new Command("quantize", "Write MODEL with int8 weights: symmetric, one fp32 scale per output row, biases fp32 (about a quarter of the file). predict, evaluate, inspect and the C library read the result as they read MODEL.")
        {
            model, output,
        };
        command.SetAction(parsed =>
        {
            var o = context.Out;
            string path = context.Resolve(parsed.GetValue(model)!);
            string outPath = context.Resolve(parsed.GetValue(output) ?? DefaultOutput(path));
            if (SameFile(path, outPath))
            {
                throw new UsageException($"--out {outPath} is MODEL itself: the fp32 weights would be lost. Write the int8 model to another file.");
            }

            var loaded = ModelFile.Load(path);
            var fp32 = loaded.Model;
            if (fp32.Int8Weights is not null)
            {
                throw new CliException($"{path}: the weights are int8 already (format_version {Int8ModelFile.Version}); quantize the fp32 model it was made from.");
            }

            // Checked before the work, as every output is: the int8 file is smaller than the fp32 weights.
            outPath = OutputTarget.Check("--out", outPath, checked((long)fp32.Parameters.Length * sizeof(float)));

            var facts = Facts(loaded, path);
            long before = FileKind.Describe(path) == FileKind.RegularFile && loaded.Kind == "model"
                ? new FileInfo(path).Length
                : ModelFile.ToBytes(fp32, facts).LongLength; // a pipe or a checkpoint: the fp32 model file it holds
            LstmModel int8;
            try
            {
                int8 = Int8Weights.Quantize(fp32);
            }
            catch (ArgumentException e)
            {
                throw new CliException($"{path}: cannot quantize: {e.Message}");
            }

            ModelFile.Save(int8, outPath, facts);
            long after = new FileInfo(outPath).Length;
            var inv = CultureInfo.InvariantCulture;
            o.WriteLine($"model:     {path}");
            o.WriteLine($"weights:   {WeightTypeText.Describe(fp32)}");
            o.WriteLine($"quantized: {WeightTypeText.Describe(int8)}");
            o.WriteLine(string.Create(inv, $"largest weight change: {LargestChange(fp32, int8):G4} (at most half a row's scale)"));
            o.WriteLine(string.Create(inv, $"size:      {before:N0} bytes (fp32) → {after:N0} bytes (int8) = {(double)after / before:0.000}× the fp32 file"));
            o.WriteLine($"int8 model saved to {outPath}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>MODEL's name with <see cref="DefaultSuffix"/> instead of <c>.safetensors</c> (or after it, for any other name).</summary>
    public static string DefaultOutput(string modelPath)
    {
        string stem = modelPath.EndsWith(".safetensors", StringComparison.Ordinal) ? modelPath[..^".safetensors".Length] : modelPath;
        return stem + DefaultSuffix;
    }

    /// <summary>
    /// The training facts of the source (<c>train.*</c>: how the weights were learned) and the file it was quantised
    /// from; the architecture and format keys are written by <see cref="ModelFile"/> itself.
    /// </summary>
    private static Dictionary<string, string> Facts(LoadedModel loaded, string path)
    {
        var facts = loaded.Metadata.Where(p => p.Key.StartsWith("train.", StringComparison.Ordinal))
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        facts["quantized_from"] = Path.GetFileName(path);
        return facts;
    }

    private static float LargestChange(LstmModel fp32, LstmModel int8)
    {
        float largest = 0;
        var a = fp32.Parameters;
        var b = int8.Parameters;
        for (int i = 0; i < a.Length; i++)
        {
            largest = MathF.Max(largest, MathF.Abs(a[i] - b[i]));
        }

        return largest;
    }

    private static bool SameFile(string a, string b)
    {
        try
        {
            return AtomicFile.ResolveTarget(a) == AtomicFile.ResolveTarget(b);
        }
        catch (IOException)
        {
            return false; // --out is not a writable file: OutputTarget says so with its own message
        }
    }
}
