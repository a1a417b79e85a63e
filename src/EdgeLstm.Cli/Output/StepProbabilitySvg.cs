using System.Globalization;
using System.Text;

namespace EdgeLstm.Cli.Output;

/// <summary>
/// The recipe's part-3 figure as a standalone SVG: the digit on the left and, on the right, a 4×7 grid of bar charts,
/// one per time step, each showing the ten class probabilities the dense layer gives for that step's output, the most
/// likely class in orange and named above its bar, the step number in the corner.
/// </summary>
internal static class StepProbabilitySvg
{
    private const int PixelSize = 8;
    private const int GridLeft = 272;
    private const int GridTop = 78;
    private const int CellWidth = 104;
    private const int CellHeight = 124;
    private const int GridColumns = 7;
    private const string Accent = "#e8710a";
    private const string Bar = "#5b84b1";

    /// <param name="pixels">The image, row-major, values in [0, 1].</param>
    /// <param name="probabilities">[steps × classes], row-major.</param>
    public static string Render(ReadOnlySpan<float> pixels, int rows, int columns, float[] probabilities, int steps, int classes, string title, string caption)
    {
        int gridRows = (steps + GridColumns - 1) / GridColumns;
        int width = GridLeft + (GridColumns * CellWidth) + 16;
        int height = Math.Max(GridTop + (gridRows * CellHeight) + 24, GridTop + (rows * PixelSize) + 70);
        var svg = new StringBuilder();
        Line(svg, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"Helvetica, Arial, sans-serif\">");
        Line(svg, $"<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>");
        Line(svg, $"<text x=\"20\" y=\"34\" font-size=\"20\" font-weight=\"bold\" fill=\"#222\">{Escape(title)}</text>");
        Line(svg, $"<text x=\"20\" y=\"56\" font-size=\"13\" fill=\"#555\">{Escape(caption)}</text>");

        // The digit, one square per pixel, white on black as MNIST stores it.
        int left = 20, top = GridTop + 6;
        Line(svg, $"<g id=\"digit\" transform=\"translate({left},{top})\">");
        Line(svg, $"<rect width=\"{columns * PixelSize}\" height=\"{rows * PixelSize}\" fill=\"#000\"/>");
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                float v = pixels[(r * columns) + c];
                if (v > 0.004f)
                {
                    int grey = (int)Math.Round(Math.Clamp(v, 0f, 1f) * 255);
                    Line(svg, $"<rect x=\"{c * PixelSize}\" y=\"{r * PixelSize}\" width=\"{PixelSize}\" height=\"{PixelSize}\" fill=\"rgb({grey},{grey},{grey})\"/>");
                }
            }
        }

        Raw(svg, "</g>");
        Line(svg, $"<text x=\"{left}\" y=\"{top + (rows * PixelSize) + 20}\" font-size=\"12\" fill=\"#555\">Row t of the image is the input at step t.</text>");

        for (int s = 0; s < steps; s++)
        {
            Chart(svg, s, probabilities.AsSpan(s * classes, classes));
        }

        Raw(svg, "</svg>");
        return svg.ToString();
    }

    private static void Chart(StringBuilder svg, int step, ReadOnlySpan<float> p)
    {
        int x = GridLeft + (step % GridColumns * CellWidth);
        int y = GridTop + (step / GridColumns * CellHeight);
        int classes = p.Length;
        int best = 0;
        for (int c = 1; c < classes; c++)
        {
            best = p[c] > p[best] ? c : best;
        }

        const int plotLeft = 8, plotTop = 40, plotHeight = 56, plotWidth = 82;
        double slot = (double)plotWidth / classes;
        double barWidth = slot * 0.72;
        Line(svg, $"<g class=\"step-chart\" id=\"step-{step + 1}\" transform=\"translate({x},{y})\">");
        Line(svg, $"<rect x=\"0.5\" y=\"0.5\" width=\"{CellWidth - 8}\" height=\"{CellHeight - 10}\" rx=\"6\" fill=\"#f6f7f9\" stroke=\"#dde1e6\"/>");
        Line(svg, $"<text x=\"8\" y=\"17\" font-size=\"12\" font-weight=\"bold\" fill=\"#333\">step {step + 1}</text>");
        Line(svg, $"<text x=\"8\" y=\"31\" font-size=\"10\" fill=\"{Accent}\">best <tspan font-weight=\"bold\">{best}</tspan> · {Percent(p[best])}</text>");
        Line(svg, $"<line x1=\"{plotLeft}\" y1=\"{plotTop + plotHeight}.5\" x2=\"{plotLeft + plotWidth}\" y2=\"{plotTop + plotHeight}.5\" stroke=\"#9aa3ad\"/>");
        Line(svg, $"<line x1=\"{plotLeft}\" y1=\"{plotTop}.5\" x2=\"{plotLeft + plotWidth}\" y2=\"{plotTop}.5\" stroke=\"#dde1e6\" stroke-dasharray=\"2,2\"/>");
        for (int c = 0; c < classes; c++)
        {
            double h = Math.Clamp(p[c], 0f, 1f) * plotHeight;
            double bx = plotLeft + (c * slot) + ((slot - barWidth) / 2);
            string fill = c == best ? Accent : Bar;
            Line(svg, $"<rect class=\"bar{(c == best ? " most-likely" : string.Empty)}\" x=\"{N(bx)}\" y=\"{N(plotTop + plotHeight - h)}\" width=\"{N(barWidth)}\" height=\"{N(h)}\" fill=\"{fill}\"><title>class {c}: {Percent(p[c])}</title></rect>");
            string weight = c == best ? " font-weight=\"bold\"" : string.Empty;
            Line(svg, $"<text x=\"{N(bx + (barWidth / 2))}\" y=\"{plotTop + plotHeight + 11}\" font-size=\"9\" text-anchor=\"middle\" fill=\"{(c == best ? Accent : "#666")}\"{weight}>{c}</text>");
        }

        Raw(svg, "</g>");
    }

    private static string Percent(float p) => p >= 0.995f ? "100%" : (p * 100).ToString(p >= 0.1f ? "0" : "0.0", CultureInfo.InvariantCulture) + "%";

    private static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static void Line(StringBuilder svg, FormattableString text) => svg.Append(text.ToString(CultureInfo.InvariantCulture)).Append('\n');

    private static void Raw(StringBuilder svg, string text) => svg.Append(text).Append('\n');

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);
}
