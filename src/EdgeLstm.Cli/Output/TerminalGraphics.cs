using System.Text;

namespace EdgeLstm.Cli.Output;

/// <summary>Bars and greyscale pictures drawn with Unicode block characters, for any terminal with a monospace font.</summary>
internal static class TerminalGraphics
{
    private static readonly string[] Eighths = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    private static readonly char[] Shades = [' ', '░', '▒', '▓', '█'];
    private static readonly char[] Columns = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

    /// <summary>A horizontal bar <paramref name="width"/> characters long at 1, in eighths of a character.</summary>
    public static string Bar(double fraction, int width)
    {
        int eighths = (int)Math.Round(Math.Clamp(fraction, 0, 1) * width * 8);
        return new string('█', eighths / 8) + Eighths[eighths % 8];
    }

    /// <summary>One character per value in [0, 1], as a little column chart (a sparkline).</summary>
    public static string Sparkline(ReadOnlySpan<float> values)
    {
        var text = new StringBuilder(values.Length);
        foreach (float v in values)
        {
            text.Append(Columns[(int)Math.Round(Math.Clamp(v, 0f, 1f) * (Columns.Length - 1))]);
        }

        return text.ToString();
    }

    /// <summary>An image as text, two characters per pixel so it keeps its proportions, in a frame.</summary>
    public static string Picture(ReadOnlySpan<float> pixels, int rows, int columns)
    {
        var text = new StringBuilder();
        text.Append('┌').Append('─', 2 * columns).Append('┐').AppendLine();
        for (int r = 0; r < rows; r++)
        {
            text.Append('│');
            for (int c = 0; c < columns; c++)
            {
                char shade = Shades[(int)Math.Round(Math.Clamp(pixels[(r * columns) + c], 0f, 1f) * (Shades.Length - 1))];
                text.Append(shade).Append(shade);
            }

            text.Append('│').AppendLine();
        }

        text.Append('└').Append('─', 2 * columns).Append('┘').AppendLine();
        return text.ToString();
    }
}
