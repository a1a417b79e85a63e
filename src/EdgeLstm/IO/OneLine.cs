using System.Globalization;
using System.Text;

namespace EdgeLstm.IO;

/// <summary>
/// Makes an error message one line whatever it quotes: names and values come from hostile files (a tensor key can hold
/// "\n" or a terminal escape), and a message must print as one line that names the file and field.
/// </summary>
internal static class OneLine
{
    /// <summary><paramref name="text"/> with each control character written as <c>\uXXXX</c>.</summary>
    public static string Of(string text)
    {
        if (!text.Any(char.IsControl))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            if (char.IsControl(c))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
