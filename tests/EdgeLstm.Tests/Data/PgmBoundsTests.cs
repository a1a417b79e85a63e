using System.Text;
using EdgeLstm.Data;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.Data;

/// <summary>A PGM costs what its header declares: endless or oversized input is refused after a bounded read.</summary>
public class PgmBoundsTests
{
    [Fact]
    public void Dev_zero_is_refused_after_a_few_bytes()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataFormatException>(() => PgmReader.Read("/dev/zero", 28, 28));
        Assert.Equal("/dev/zero: magic number: expected a short header token, found a long run of bytes", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 10);
    }

    [Fact]
    public void An_endless_raster_is_read_to_its_declared_size_and_one_byte()
    {
        // A valid 28×28 header followed by a stream that never ends: read 784 + 1 bytes, then refused.
        using var endless = new EndlessStream(Encoding.ASCII.GetBytes("P5 28 28 255\n"));
        var e = Assert.Throws<DataFormatException>(() => PgmReader.Read(endless, "pipe", 28, 28));
        Assert.Equal("pipe: pixel data: expected 784 bytes for 28×28, found more (trailing data after the image)", e.Message);
        Assert.True(endless.Served <= 13 + 784 + 1 + 256, $"read {endless.Served} bytes");

        // Spaces forever after an ASCII header: bounded by the declared pixels, not by the stream.
        using var spaces = new EndlessStream(Encoding.ASCII.GetBytes("P2 2 2 15\n1 2 3 4"), filler: (byte)' ');
        var e2 = Assert.Throws<DataFormatException>(() => PgmReader.Read(spaces, "pipe"));
        Assert.StartsWith("pipe: pixel data: expected at most ", e2.Message, StringComparison.Ordinal);
        Assert.True(spaces.Served < 1 << 16, $"read {spaces.Served} bytes");
    }

    [Fact]
    public void A_size_other_than_the_one_asked_for_is_refused_before_the_raster()
    {
        using var endless = new EndlessStream(Encoding.ASCII.GetBytes("P5 4096 4096 65535\n"));
        var e = Assert.Throws<DataFormatException>(() => PgmReader.Read(endless, "big.pgm", 28, 28));
        Assert.Equal("big.pgm: size: expected 28×28 pixels, found 4096×4096", e.Message);
        Assert.True(endless.Served < 1024, $"read {endless.Served} bytes");
    }

    [Theory]
    [InlineData("P5 2 1 255\n\u0001\u0002\n", "d.pgm: pixel data: expected 2 bytes for 2×1, found more (trailing data after the image)")]
    [InlineData("P2 2 1 15\n1 2 3", "d.pgm: pixel data: expected 2 pixels, found more (trailing data after the image)")]
    [InlineData("P5 2 1 255", "d.pgm: pixel data: expected the raster after the header, found the end of the file (file truncated)")]
    [InlineData("P5 2 1 255\n\u0001", "d.pgm: pixel data: expected 2 bytes for 2×1, found 1 (file truncated)")]
    public void Trailing_data_and_truncation_are_refused(string content, string message)
    {
        var e = Assert.Throws<DataFormatException>(() => PgmReader.Read(Encoding.Latin1.GetBytes(content), "d.pgm"));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Trailing_whitespace_and_comments_after_an_ascii_raster_are_fine_and_a_file_reads_as_before()
    {
        var image = PgmReader.Read(Encoding.ASCII.GetBytes("P2 2 1 15\n0 15\n# end\n\n"), "d.pgm");
        Assert.Equal([0f, 1f], image.ToFloats(0, 1));
        using var dir = new TempDirectory();
        string path = dir.File("d.pgm");
        File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes("P5 2 1 255\n"), 0, 255]);
        Assert.Equal([0f, 1f], PgmReader.Read(path, 2, 1).ToFloats(0, 1));
    }

    /// <summary>A prefix, then <c>filler</c> bytes for ever; counts what was read.</summary>
    private sealed class EndlessStream(byte[] prefix, byte filler = 0) : Stream
    {
        public long Served { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            for (int i = 0; i < count; i++)
            {
                buffer[offset + i] = Served < prefix.Length ? prefix[Served] : filler;
                Served++;
            }

            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
