namespace EdgeLstm.Data;

/// <summary>
/// A directory in the MNIST layout: <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>,
/// <c>t10k-images-idx3-ubyte</c> and <c>t10k-labels-idx1-ubyte</c>, each gzipped (<c>.gz</c>) or raw, optionally with an
/// <c>MD5SUMS</c> file (lines of "<c>digest  name</c>"). MNIST, Fashion-MNIST and KMNIST all ship this way.
/// </summary>
public static class MnistDirectory
{
    /// <summary>The checksum list's file name.</summary>
    public const string ChecksumFile = "MD5SUMS";

    /// <summary>The largest checksum list read (a line is about 60 bytes; four are needed).</summary>
    public const int MaxChecksumFileBytes = 1 << 16;

    /// <summary>The base names (without <c>.gz</c>) of the four files, train images first.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>True when all four files are present (gzipped or raw).</summary>
    public static bool IsComplete(string directory) => FileNames.All(name => FindFile(directory, name) is not null);

    /// <summary>The path of <paramref name="baseName"/> in <paramref name="directory"/>, preferring <c>.gz</c>, or null.</summary>
    public static string? FindFile(string directory, string baseName)
    {
        foreach (var candidate in new[] { baseName + ".gz", baseName })
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>
    /// Loads one split: images and labels, checked against each other (same count) and, per <paramref name="checksums"/>,
    /// against <c>MD5SUMS</c>. Throws <see cref="DataFormatException"/> naming the file and what is wrong.
    /// </summary>
    public static LabeledImages Load(string directory, DatasetSplit split, ChecksumPolicy checksums = ChecksumPolicy.VerifyIfListed, int classes = 10)
    {
        string prefix = split == DatasetSplit.Train ? "train" : "t10k";
        string imagesPath = Require(directory, prefix + "-images-idx3-ubyte");
        string labelsPath = Require(directory, prefix + "-labels-idx1-ubyte");
        if (checksums != ChecksumPolicy.Skip)
        {
            var listed = ReadChecksums(directory, checksums == ChecksumPolicy.Require);
            Verify(imagesPath, listed, checksums == ChecksumPolicy.Require);
            Verify(labelsPath, listed, checksums == ChecksumPolicy.Require);
        }

        var images = IdxReader.ReadImages(imagesPath);
        var labels = IdxReader.ReadLabels(labelsPath, classes);
        if (images.Count != labels.Length)
        {
            throw new DataFormatException(labelsPath, "dimension 0 (label count)", $"expected {images.Count} labels, one per image of {imagesPath}, found {labels.Length}");
        }

        return new LabeledImages(images, labels);
    }

    private static string Require(string directory, string baseName)
    {
        return FindFile(directory, baseName)
            ?? throw new DataFormatException(Path.Combine(directory, baseName + ".gz"), "file", $"expected {baseName}.gz or {baseName} in {directory}, found neither");
    }

    /// <summary>Name → digest from <c>MD5SUMS</c>; empty when there is none and it is not required.</summary>
    private static Dictionary<string, string> ReadChecksums(string directory, bool required)
    {
        string path = Path.Combine(directory, ChecksumFile);
        var sums = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return required
                ? throw new DataFormatException(path, "file", "expected the checksum list of the bundled data set, found no file")
                : sums;
        }

        int lineNumber = 0;
        foreach (string raw in ReadBounded(path).Split('\n'))
        {
            lineNumber++;
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            int space = line.IndexOf(' ', StringComparison.Ordinal);
            string digest = space < 0 ? line : line[..space];
            string name = space < 0 ? string.Empty : line[space..].TrimStart(' ', '*');
            if (digest.Length != 32 || !digest.All(Uri.IsHexDigit) || name.Length == 0)
            {
                throw new DataFormatException(path, $"line {lineNumber}", $"expected \"<32 hex digits>  <file name>\", found \"{raw}\"");
            }

            sums[name] = digest.ToLowerInvariant();
        }

        return sums;
    }

    /// <summary>The text of a small file, read to at most <see cref="MaxChecksumFileBytes"/> (a device or pipe included).</summary>
    private static string ReadBounded(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var bytes = new byte[MaxChecksumFileBytes + 1];
        int length = file.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        return length > MaxChecksumFileBytes
            ? throw new DataFormatException(path, "file", $"expected a checksum list of at most {MaxChecksumFileBytes} bytes, found more")
            : System.Text.Encoding.UTF8.GetString(bytes, 0, length);
    }

    private static void Verify(string path, Dictionary<string, string> listed, bool required)
    {
        string name = Path.GetFileName(path);
        if (!listed.TryGetValue(name, out string? expected))
        {
            if (required)
            {
                throw new DataFormatException(path, "MD5", $"expected a digest for {name} in {ChecksumFile}, found none");
            }

            return;
        }

        string actual = Md5.HashFile(path);
        if (!string.Equals(actual, expected, StringComparison.Ordinal))
        {
            throw new DataFormatException(path, "MD5", $"expected {expected} (from {ChecksumFile}), found {actual}: the file is damaged or not the original");
        }
    }
}
