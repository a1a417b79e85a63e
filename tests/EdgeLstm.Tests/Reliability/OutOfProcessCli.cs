using System.Diagnostics;

namespace EdgeLstm.Tests.Reliability;

/// <summary>
/// Runs the built <c>edgelstm</c> (the CLI's apphost, copied beside the tests) in its own process through bash, so a
/// test can use pipes and process substitution, cap the GC heap, and see a crash as the exit code it really is.
/// </summary>
internal static class OutOfProcessCli
{
    /// <summary>
    /// The CLI's apphost in the test output directory, or <c>EDGELSTM_TEST_CLI</c> when set (to run these tests against
    /// another build, e.g. the one before a fix, and see them fail).
    /// </summary>
    public static string Executable { get; } = Environment.GetEnvironmentVariable("EDGELSTM_TEST_CLI") is { Length: > 0 } other
        ? other
        : Path.Combine(AppContext.BaseDirectory, "EdgeLstm.Cli");

    /// <summary>
    /// Runs <paramref name="script"/> with bash; <c>$CLI</c> is the CLI and <paramref name="variables"/> are exported.
    /// Gives up (and fails) after <paramref name="timeoutSeconds"/>.
    /// </summary>
    public static CliRun Bash(string script, IReadOnlyDictionary<string, string>? variables = null, int timeoutSeconds = 120)
    {
        var start = new ProcessStartInfo("bash", ["-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["CLI"] = Executable;
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in variables ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"'{script}' did not finish in {timeoutSeconds} s");
        }

        return new CliRun(process.ExitCode, output.Result, error.Result);
    }
}

/// <summary>What a CLI process printed and how it ended.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- out ---\n{Out}\n--- error ---\n{Error}";
}
