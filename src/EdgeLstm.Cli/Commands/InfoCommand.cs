using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using EdgeLstm.Cli.Output;
using EdgeLstm.Diagnostics;
using EdgeLstm.IO;
using EdgeLstm.Simd;

namespace EdgeLstm.Cli.Commands;

/// <summary>
/// <c>edgelstm info</c>: what this binary is and what it will use here: version, how it was compiled (JIT or Native AOT,
/// and for which instruction set), the architecture, which vector widths run in hardware and which one the kernels
/// pick, and the threads. The first thing to run on a new board. Given a model file, also what it holds: the format
/// version, the network and how its weights are stored (fp32, or int8 and the quantisation scheme).
/// </summary>
internal static class InfoCommand
{
    /// <summary>The assembly metadata key under which the build records the instruction set it compiled for.</summary>
    public const string InstructionSetKey = "EdgeLstm.InstructionSet";

    public static Command Create(CliContext context)
    {
        var measure = new Option<bool>("--measure")
        {
            Description = "Also measure the fused multiply-add peak of one thread at the kernels' width (about a second).",
        };
        var model = new Argument<string?>("MODEL")
        {
            Description = "Also describe this model file: format version, network, and the weight type (fp32 or int8 and its scheme).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("info", "Print the version, how this binary was compiled, the architecture, the vector widths the kernels use here, and the threads; with MODEL, also what the model file holds.")
        {
            model, measure,
        };
        command.SetAction(parsed =>
        {
            var o = context.Out;
            foreach (var (name, value) in Describe())
            {
                o.WriteLine($"{name + ":",-14}{value}");
            }

            if (parsed.GetValue(measure))
            {
                double gflops = FmaPeakProbe.Measure(SimdWidth.Auto, threads: 1);
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"fma peak:",-14}{gflops:0.0} GFLOP/s on 1 thread at {(int)SimdSupport.Widest} bits"));
            }

            if (parsed.GetValue(model) is { } modelPath)
            {
                if (modelPath.Length == 0)
                {
                    throw new UsageException("MODEL needs a path; got an empty one.");
                }

                foreach (var (name, value) in DescribeModel(context.Resolve(modelPath)))
                {
                    o.WriteLine($"{name + ":",-14}{value}");
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The facts, in print order.</summary>
    public static IReadOnlyList<(string Name, string Value)> Describe()
    {
        var assembly = typeof(InfoCommand).Assembly;
        string version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "unknown";
        string? instructionSet = assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == InstructionSetKey)?.Value;
        // Not RuntimeFeature.IsDynamicCodeSupported: PublishAot sets that switch to false in every build's runtimeconfig,
        // so a JIT run (dotnet run) would be called Native AOT. Under Native AOT no method is ever JIT-compiled.
        bool aot = JitInfo.GetCompiledMethodCount() == 0;
        string compiled = aot
            ? $"Native AOT, for {(string.IsNullOrEmpty(instructionSet) ? "the default baseline of " + Architecture() : instructionSet)}"
            : "JIT (compiled at run time for this processor)";
        var widest = SimdSupport.Widest;
        int threads = Environment.ProcessorCount;

        return
        [
            ("edgelstm", version),
            ("runtime", $".NET {Environment.Version}, {compiled}"),
            ("os", RuntimeInformation.OSDescription),
            ("architecture", Architecture()),
            ("vectors", $"128-bit {Accelerated(Vector128.IsHardwareAccelerated)}, 256-bit {Accelerated(Vector256.IsHardwareAccelerated)}, 512-bit {Accelerated(Vector512.IsHardwareAccelerated)}"),
            ("fma", FusedMultiplyAdd()),
            ("kernels use", $"{(int)widest}-bit vectors ({widest}), {Vector128<float>.Count * ((int)widest / 128)} floats per vector"),
            ("threads", $"{threads} processor{(threads == 1 ? string.Empty : "s")}: --threads 0 (the default) uses {threads}"),
        ];
    }

    /// <summary>What the model file at <paramref name="path"/> holds, in print order (after loading and checking all of it).</summary>
    public static IReadOnlyList<(string Name, string Value)> DescribeModel(string path)
    {
        var loaded = ModelFile.Load(path);
        var config = loaded.Model.Config;
        string format = loaded.Metadata.GetValueOrDefault(ModelFile.FormatKey) == ModelFile.FormatName
            ? $"safetensors, EdgeLstm format_version {loaded.Metadata.GetValueOrDefault(ModelFile.FormatVersionKey)} ({loaded.Kind})"
            : "safetensors without EdgeLstm metadata (read from its tensor names and shapes)";
        return
        [
            ("model", path),
            ("format", format),
            ("network", string.Create(CultureInfo.InvariantCulture, $"{config.Describe()}, head {ModelFile.HeadName(config.Head)} ({loaded.Model.Parameters.Length:N0} parameters)")),
            ("weights", WeightTypeText.Describe(loaded.Model)),
        ];
    }

    private static string Architecture() => RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();

    private static string Accelerated(bool accelerated) => accelerated ? "hardware" : "not accelerated";

    private static string FusedMultiplyAdd()
    {
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            return "hardware (x86 FMA3)";
        }

        if (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported)
        {
            return "hardware (Arm AdvSIMD)";
        }

        return "software emulation (slow: this build or processor lacks FMA)";
    }
}
