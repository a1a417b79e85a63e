using System.Diagnostics;
using System.Globalization;
using EdgeLstm.Training;

namespace EdgeLstm.Cli.Output;

/// <summary>
/// Training progress: on a terminal one line rewritten in place (at most ten times a second) under the permanent
/// lines; elsewhere (a file, a pipe, CI) a plain line every <c>plainEvery</c> iterations, so logs stay readable.
/// </summary>
internal sealed class ProgressLine(TextWriter output, bool terminal, long plainEvery)
{
    private readonly Stopwatch _sinceDraw = Stopwatch.StartNew();
    private int _shownLength;

    public void Update(TrainingStep step)
    {
        string text = Format(step);
        if (!terminal)
        {
            if (step.Iteration % plainEvery == 0 || step.Iteration == step.TotalIterations)
            {
                output.WriteLine(text);
            }

            return;
        }

        if (_shownLength > 0 && _sinceDraw.ElapsedMilliseconds < 100 && step.Iteration != step.TotalIterations)
        {
            return;
        }

        output.Write("\r" + text.PadRight(_shownLength));
        output.Flush();
        _shownLength = text.Length;
        _sinceDraw.Restart();
    }

    /// <summary>Shows a transient status (terminal only), e.g. the test pass after training.</summary>
    public void Status(string text)
    {
        if (terminal)
        {
            output.Write("\r" + text.PadRight(_shownLength));
            output.Flush();
            _shownLength = text.Length;
        }
    }

    /// <summary>Writes a permanent line above the progress line.</summary>
    public void WriteLine(string line)
    {
        Clear();
        output.WriteLine(line);
    }

    /// <summary>Removes the progress line (before the final report).</summary>
    public void Clear()
    {
        if (_shownLength > 0)
        {
            output.Write("\r" + new string(' ', _shownLength) + "\r");
            _shownLength = 0;
        }
    }

    public static string Duration(TimeSpan time) => time.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalHours}:{time.Minutes:00}:{time.Seconds:00}")
        : string.Create(CultureInfo.InvariantCulture, $"{time.Minutes}:{time.Seconds:00}");

    private static string Format(TrainingStep s) => string.Create(
        CultureInfo.InvariantCulture,
        $"iteration {s.Iteration}/{s.TotalIterations}  epoch {s.EpochsCompleted}  loss {s.Loss:0.0000}  {s.SamplesPerSecond:0} samples/s  ETA {Duration(s.Remaining)}");
}
