using System.IO.Compression;
using EdgeLstm.Data;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.Data;

/// <summary>Gzip as the IDX reader decodes it: every member's trailer verified, nothing after the last, memory bounded.</summary>
public class GzipIdxTests
{
    private static byte[] Gzip(byte[] content, CompressionLevel level)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, level))
        {
            gzip.Write(content);
        }

        return output.ToArray();
    }

    public static TheoryData<int, CompressionLevel> Sizes => new()
    {
        { 0, CompressionLevel.Optimal },
        { 1, CompressionLevel.Fastest },
        { 70_000, CompressionLevel.NoCompression },
        { 70_000, CompressionLevel.Fastest },
        { 300_000, CompressionLevel.Optimal },
        { 300_000, CompressionLevel.SmallestSize },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Decodes_what_the_platform_encodes_at_every_level(int count, CompressionLevel level)
    {
        // Runs, noise and repeats, so stored, fixed and dynamic blocks with long and short matches all occur.
        var random = new Random(count);
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = (byte)(i % 5000 < 2500 ? random.Next(10) : (i / 7) % 10);
        }

        byte[] file = Gzip(IdxBuilder.Labels(labels), level);
        Assert.Equal(labels.Select(b => (int)b), IdxReader.ReadLabels(file, "l.gz"));
    }

    [Fact]
    public void The_bundled_mnist_decodes_to_what_the_platform_decodes()
    {
        string path = Path.Combine(RepositoryPaths.Root, "data", "mnist", "t10k-images-idx3-ubyte.gz");
        using var platform = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        platform.CopyTo(raw);
        var expected = IdxReader.ReadImages(raw.ToArray(), "raw");
        var decoded = IdxReader.ReadImages(path);
        Assert.Equal(expected.ToFloats(0, expected.Count), decoded.ToFloats(0, decoded.Count));
    }

    [Fact]
    public void Two_members_are_one_file_and_each_trailer_is_checked()
    {
        byte[] content = IdxBuilder.Labels(1, 2, 3, 4, 5, 6);
        byte[] twoMembers = [.. Gzip(content[..7], CompressionLevel.Fastest), .. Gzip(content[7..], CompressionLevel.Optimal)];
        Assert.Equal([1, 2, 3, 4, 5, 6], IdxReader.ReadLabels(twoMembers, "l.gz"));

        byte[] second = Gzip(content[7..], CompressionLevel.Optimal);
        second[^8] ^= 1;
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadLabels([.. Gzip(content[..7], CompressionLevel.Fastest), .. second], "l.gz"));
        Assert.StartsWith("l.gz: gzip member 2: CRC-32: expected 0x", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, Func<byte[], byte[]>, string> Damaged => new()
    {
        { "a CRC-32 that does not match", f => Flip(f, f.Length - 8), "l.gz: gzip member 1: CRC-32: expected 0x" },
        { "an ISIZE that does not match", f => Flip(f, f.Length - 1), "l.gz: gzip member 1: ISIZE: expected " },
        { "the trailer cut off", f => f[..^8], "l.gz: gzip member 1: trailer (CRC-32): expected more compressed data, found the end of the file (truncated)" },
        { "half the trailer cut off", f => f[..^4], "l.gz: gzip member 1: trailer (ISIZE): expected more compressed data, found the end of the file (truncated)" },
        { "trailing garbage", f => [.. f, 1, 2, 3, 4], "l.gz: gzip member 2: header: expected another gzip member or the end of the file, found other bytes (trailing garbage)" },
        { "trailing zeros", f => [.. f, 0, 0, 0, 0, 0, 0, 0, 0], "l.gz: gzip member 2: header: expected another gzip member or the end of the file, found other bytes (trailing garbage)" },
        { "a lone trailing byte", f => [.. f, 0x41], "l.gz: gzip member 2: header: expected another gzip member or the end of the file, found other bytes (trailing garbage)" },
        { "a second member cut short", f => [.. f, 0x1f, 0x8b, 8], "l.gz: gzip member 2: header: expected more compressed data, found the end of the file (truncated)" },
        { "an unknown method", f => Set(f, 2, 7), "l.gz: gzip member 1: compression method: expected 8 (deflate), found 7" },
        { "reserved flags", f => Set(f, 3, 0x20), "l.gz: gzip member 1: flags: expected the reserved bits clear, found 0x20" },
    };

    private static byte[] Flip(byte[] file, int at)
    {
        byte[] copy = (byte[])file.Clone();
        copy[at] ^= 1;
        return copy;
    }

    private static byte[] Set(byte[] file, int at, byte value)
    {
        byte[] copy = (byte[])file.Clone();
        copy[at] = value;
        return copy;
    }

    [Theory]
    [MemberData(nameof(Damaged))]
    public void A_damaged_member_is_refused_though_its_data_decodes(string what, Func<byte[], byte[]> damage, string message)
    {
        // The platform's GZipStream returns these labels without complaint for the cut-off trailer and the garbage.
        byte[] file = damage(Gzip(IdxBuilder.Labels(1, 2, 3), CompressionLevel.Optimal));
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadLabels(file, "l.gz"));
        Assert.True(e.Message.StartsWith(message, StringComparison.Ordinal), $"{what}: {e.Message}");
    }

    [Fact]
    public void A_gzip_bomb_costs_the_stated_dimensions_not_what_it_inflates_to()
    {
        // 64 MiB of zeros after a header that states ten 28×28 images: about 64 KB of gzip.
        byte[] content = new byte[(64 << 20) + 16];
        IdxBuilder.Images(10, 28, 28).AsSpan(0, 16).CopyTo(content);
        byte[] bomb = Gzip(content, CompressionLevel.Fastest);
        Assert.True(bomb.Length < 1 << 20);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(bomb, "bomb.gz"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("bomb.gz: pixel data (10 images of 28×28): expected 7840 bytes, found more (trailing data after the last item)", e.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");

        // A header that states more than the limit is refused before any payload is read.
        byte[] tooLarge = Gzip(IdxBuilder.Raw(IdxReader.ImagesMagic, [342_500, 28, 28], new byte[1000]), CompressionLevel.Fastest);
        var e2 = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(tooLarge, "big.gz"));
        Assert.Equal("big.gz: size: 342500 images of 28×28 would need 271,260,000 bytes, more than the 268,435,456-byte limit", e2.Message);
    }

    [Fact]
    public void A_stream_that_cannot_seek_is_read_like_a_file()
    {
        byte[] gz = Gzip(IdxBuilder.Images(3, 4, 5), CompressionLevel.Optimal);
        using var pipe = new PipeLikeStream(gz, 7);
        var images = IdxReader.ReadImages(pipe, "pipe");
        Assert.Equal(IdxReader.ReadImages(gz, "file").ToFloats(0, 3), images.ToFloats(0, 3));
        using var rawPipe = new PipeLikeStream(IdxBuilder.Labels(7, 8), 7);
        Assert.Equal([7, 8], IdxReader.ReadLabels(rawPipe, "pipe"));
    }
}
