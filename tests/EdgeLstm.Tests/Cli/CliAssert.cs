namespace EdgeLstm.Tests.Cli;

/// <summary>What every refused command line must look like: the exit code, one message, no stack trace.</summary>
internal static class CliAssert
{
    public static void Error(CliResult result, int code, string message)
    {
        Assert.True(result.ExitCode == code, result.ToString());
        Assert.True(result.Error.Contains(message, StringComparison.Ordinal), $"expected \"{message}\" in:\n{result}");
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Error, StringComparison.Ordinal);
    }

    /// <summary>Exit code 1 with <paramref name="message"/>, found before training: no iteration was run.</summary>
    public static void RefusedBeforeTraining(CliResult result, string message, int code = 1)
    {
        Error(result, code, message);
        NoTraining(result);
    }

    /// <summary>The command stopped before training: no iteration was run.</summary>
    public static void NoTraining(CliResult result) =>
        Assert.False(result.Out.Contains("train iteration", StringComparison.Ordinal), $"training ran:\n{result}");
}
