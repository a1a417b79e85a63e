using System.Globalization;
using System.Security;
using System.Text;

namespace EdgeLstm.Cli.Output;

/// <summary>
/// A regression model's predictions against the actual values as a standalone SVG line chart: the actual values in
/// blue, the model's in orange, over the points in order (a series' validation span in time order), with the value axis
/// labelled at its ends and the first and last point named under the axis.
/// </summary>
internal static class PredictionSvg
{
    private const int Width = 960, Height = 420, Left = 70, Right = 20, Top = 78, Bottom = 50;

    public static string Render(IReadOnlyList<float> actual, IReadOnlyList<float> predicted, string firstLabel, string lastLabel, string title, string caption)
    {
        double min = Math.Min(actual.Min(), predicted.Min()), max = Math.Max(actual.Max(), predicted.Max());
        if (!(max > min))
        {
            (min, max) = (min - 1, max + 1);
        }

        int plotWidth = Width - Left - Right, plotHeight = Height - Top - Bottom;
        double X(int i) => Left + (actual.Count == 1 ? plotWidth / 2.0 : i * (double)plotWidth / (actual.Count - 1));
        double Y(double v) => Top + ((max - v) / (max - min) * plotHeight);
        string Points(IReadOnlyList<float> values) => string.Join(' ', values.Select((v, i) => Invariant($"{X(i):0.#},{Y(v):0.#}")));

        var svg = new StringBuilder();
        Line(svg, Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"Helvetica, Arial, sans-serif\">"));
        Line(svg, Invariant($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"#ffffff\"/>"));
        Line(svg, Invariant($"<text x=\"20\" y=\"34\" font-size=\"20\" font-weight=\"bold\" fill=\"#222\">{Escape(title)}</text>"));
        Line(svg, Invariant($"<text x=\"20\" y=\"56\" font-size=\"13\" fill=\"#555\">{Escape(caption)}</text>"));
        Line(svg, Invariant($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"#bbb\"/>"));
        Line(svg, Invariant($"<text x=\"{Left - 6}\" y=\"{Top + 4}\" font-size=\"12\" text-anchor=\"end\" fill=\"#555\">{max:0.##}</text>"));
        Line(svg, Invariant($"<text x=\"{Left - 6}\" y=\"{Top + plotHeight}\" font-size=\"12\" text-anchor=\"end\" fill=\"#555\">{min:0.##}</text>"));
        Line(svg, Invariant($"<text x=\"{Left}\" y=\"{Height - Bottom + 18}\" font-size=\"12\" fill=\"#555\">{Escape(firstLabel)}</text>"));
        Line(svg, Invariant($"<text x=\"{Left + plotWidth}\" y=\"{Height - Bottom + 18}\" font-size=\"12\" text-anchor=\"end\" fill=\"#555\">{Escape(lastLabel)}</text>"));
        Line(svg, Invariant($"<polyline id=\"actual\" fill=\"none\" stroke=\"#5b84b1\" stroke-width=\"1.5\" points=\"{Points(actual)}\"/>"));
        Line(svg, Invariant($"<polyline id=\"predicted\" fill=\"none\" stroke=\"#e8710a\" stroke-width=\"1.5\" points=\"{Points(predicted)}\"/>"));
        Line(svg, Invariant($"<text x=\"{Left + 10}\" y=\"{Height - 14}\" font-size=\"13\" fill=\"#5b84b1\">— actual</text>"));
        Line(svg, Invariant($"<text x=\"{Left + 90}\" y=\"{Height - 14}\" font-size=\"13\" fill=\"#e8710a\">— model</text>"));
        Line(svg, "</svg>");
        return svg.ToString();
    }

    private static void Line(StringBuilder svg, string text) => svg.Append(text).Append('\n');

    private static string Escape(string text) => SecurityElement.Escape(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
