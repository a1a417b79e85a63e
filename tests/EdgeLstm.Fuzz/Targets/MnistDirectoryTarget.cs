using EdgeLstm.Data;

namespace EdgeLstm.Fuzz.Targets;

/// <summary>
/// <see cref="MnistDirectory.Load"/> on a directory whose test images (or, with checksums, whose <c>MD5SUMS</c>) are the
/// case's input, the rest valid: the route <c>train</c> and <c>evaluate --data</c> take.
/// </summary>
internal sealed class MnistDirectoryTarget : FuzzTarget
{
    private readonly bool _checksums;
    private readonly string _directory;

    public MnistDirectoryTarget(bool checksums, string scratch)
    {
        _checksums = checksums;
        _directory = Path.Combine(scratch, checksums ? "mnist-md5" : "mnist");
        Directory.CreateDirectory(_directory);
        byte[] images = IdxTarget.Gzip(IdxTarget.Images(4, 28, 28), System.IO.Compression.CompressionLevel.Fastest);
        byte[] labels = IdxTarget.Gzip([0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 4], System.IO.Compression.CompressionLevel.Fastest);
        foreach (string split in new[] { "train", "t10k" })
        {
            File.WriteAllBytes(Path.Combine(_directory, split + "-images-idx3-ubyte.gz"), images);
            File.WriteAllBytes(Path.Combine(_directory, split + "-labels-idx1-ubyte.gz"), labels);
        }

        string sums = $"{Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(images))}  t10k-images-idx3-ubyte.gz\n" +
            $"{Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(labels))}  t10k-labels-idx1-ubyte.gz\n";
        Seeds = checksums ? [System.Text.Encoding.ASCII.GetBytes(sums)] : [images];
    }

    public override string Name => _checksums ? "MNIST directory (MD5SUMS)" : "MNIST directory";

    public override Type FormatException => typeof(DataFormatException);

    public override IReadOnlyList<byte[]> Seeds { get; }

    public override IReadOnlyList<LoadRoute> Routes { get; } = [LoadRoute.File];

    public override long MemoryBound(byte[] input) => base.MemoryBound(input) + (8L * 1032 * input.Length);

    public override void Load(byte[] input, LoadRoute route, string path)
    {
        File.WriteAllBytes(Path.Combine(_directory, _checksums ? MnistDirectory.ChecksumFile : "t10k-images-idx3-ubyte.gz"), input);
        MnistDirectory.Load(_directory, DatasetSplit.Test, _checksums ? ChecksumPolicy.VerifyIfListed : ChecksumPolicy.Skip);
    }
}
