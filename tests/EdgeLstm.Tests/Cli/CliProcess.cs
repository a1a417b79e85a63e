using System.Collections.Concurrent;
using System.Diagnostics;

namespace EdgeLstm.Tests.Cli;

/// <summary>
/// The built CLI (EdgeLstm.Cli.dll beside the tests) as a real child process, for what only a process shows: signals,
/// exit codes set by the runtime, crashes.
/// </summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = [];
    private readonly ConcurrentQueue<string> _error = new();

    public CliProcess(string workingDirectory, params string[] args)
    {
        // "env --default-signal=INT": a child inherits an ignored SIGINT (a shell ignores it for its background jobs, and
        // the runtime then rightly keeps ignoring it), so the test resets it, as a terminal's foreground job has it.
        var start = new ProcessStartInfo("env")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "EdgeLstm.Cli.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                _lines.Add(line);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                _error.Enqueue(line);
            }
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public List<string> Output { get; } = [];

    public string Error => string.Join('\n', _error);

    /// <summary>Waits for a line of standard output containing <paramref name="text"/> (the process is then past that point).</summary>
    public void WaitForOutput(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_lines.TryTake(out string? line, deadline - DateTime.UtcNow > TimeSpan.Zero ? deadline - DateTime.UtcNow : TimeSpan.Zero))
        {
            Output.Add(line);
            if (line.Contains(text, StringComparison.Ordinal))
            {
                return;
            }
        }

        Assert.Fail($"no line with \"{text}\" within {timeout}; output so far:\n{string.Join('\n', Output)}\nerror:\n{Error}");
    }

    /// <summary>Sends <paramref name="signal"/> (HUP, INT, TERM, KILL) with kill(1).</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits for the exit (a generous bound: it only stops a test that would otherwise hang) and returns the code.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"still running after {timeout}; output:\n{string.Join('\n', Output)}\nerror:\n{Error}");
        }

        _process.WaitForExit(); // drains the output events
        while (_lines.TryTake(out string? line))
        {
            Output.Add(line);
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        _lines.Dispose();
    }
}
