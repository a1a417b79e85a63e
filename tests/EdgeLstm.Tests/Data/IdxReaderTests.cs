using EdgeLstm.Data;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.Data;

public class IdxReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_images_raw_or_gzipped_and_scales_pixels_to_unit_range(bool gzip)
    {
        byte[] raw = IdxBuilder.Images(3, 2, 4, i => i switch { 0 => 0, 1 => 255, 2 => 128, _ => (byte)i });
        var set = IdxReader.ReadImages(gzip ? IdxBuilder.Gzip(raw) : raw, "images");
        Assert.Equal((3, 2, 4), (set.Count, set.Rows, set.Columns));
        float[] pixels = set.ToFloats(0, set.Count);
        Assert.Equal(0f, pixels[0]);
        Assert.Equal(1f, pixels[1]);
        Assert.Equal(128f / 255f, pixels[2], 6);
        Assert.Equal(23f / 255f, set.Image(2)[7], 6);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_labels_raw_or_gzipped(bool gzip)
    {
        byte[] raw = IdxBuilder.Labels(7, 2, 1, 0, 9);
        Assert.Equal([7, 2, 1, 0, 9], IdxReader.ReadLabels(gzip ? IdxBuilder.Gzip(raw) : raw, "labels"));
    }

    [Fact]
    public void Reads_a_file_from_disk_naming_it_in_errors()
    {
        using var dir = new TempDirectory();
        string path = dir.File("train-labels-idx1-ubyte.gz");
        File.WriteAllBytes(path, IdxBuilder.Gzip(IdxBuilder.Labels(1, 12)));
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadLabels(path));
        Assert.Equal(path + ": label 1: expected a class from 0 to 9, found 12", e.Message);
    }

    [Fact]
    public void A_label_file_given_as_images_is_named_by_its_magic_number()
    {
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(IdxBuilder.Labels(1, 2), "x.idx"));
        Assert.Equal("x.idx: magic number: expected 0x00000803 (images), found 0x00000801 (a label file)", e.Message);
        Assert.Equal("x.idx", e.FileName);
        Assert.Equal("magic number", e.Field);
    }

    [Fact]
    public void An_unknown_magic_number_is_refused()
    {
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadLabels(IdxBuilder.Raw(0x00000C01, [1], [0]), "l"));
        Assert.Equal("l: magic number: expected 0x00000801 (labels), found 0x00000C01", e.Message);
    }

    [Theory]
    [InlineData(0, "l: magic number: expected 4 bytes, found 0 (file truncated)")]
    [InlineData(3, "l: magic number: expected 4 bytes, found 3 (file truncated)")]
    [InlineData(6, "l: dimension 0 (label count): expected 4 bytes, found 2 (file truncated)")]
    [InlineData(10, "l: label data (5 labels): expected 5 bytes, found 2 (file truncated)")]
    public void A_truncated_label_file_says_where_it_ends(int keep, string message)
    {
        byte[] full = IdxBuilder.Labels(1, 2, 3, 4, 5);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadLabels(full[..keep], "l"));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void A_truncated_gzip_stream_is_refused()
    {
        byte[] gz = IdxBuilder.Gzip(IdxBuilder.Images(50, 28, 28));
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(gz[..(gz.Length / 2)], "i.gz"));
        Assert.StartsWith("i.gz: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message + e.InnerException?.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_corrupt_gzip_stream_is_refused()
    {
        byte[] gz = IdxBuilder.Gzip(IdxBuilder.Images(5, 28, 28));
        for (int i = 12; i < gz.Length - 8; i++)
        {
            gz[i] ^= 0x5A;
        }

        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(gz, "i.gz"));
        Assert.StartsWith("i.gz: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trailing_bytes_after_the_last_item_are_refused()
    {
        byte[] raw = [.. IdxBuilder.Labels(1, 2), 0];
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadLabels(raw, "l"));
        Assert.Equal("l: label data (2 labels): expected 2 bytes, found more (trailing data after the last item)", e.Message);
    }

    [Theory]
    [InlineData(1, 0, 28, "dimension 1 (rows): expected 1 to 4096, found 0")]
    [InlineData(1, 28, 5000, "dimension 2 (columns): expected 1 to 4096, found 5000")]
    [InlineData(-1, 28, 28, "dimension 0 (image count): expected 0 to 2147483647, found 4294967295")]
    public void Bad_image_dimensions_are_refused(int count, int rows, int columns, string problem)
    {
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(IdxBuilder.Raw(0x00000803, [count, rows, columns], []), "i"));
        Assert.Equal("i: " + problem, e.Message);
    }

    [Fact]
    public void A_header_claiming_a_billion_pixels_costs_only_the_bytes_present()
    {
        byte[] hostile = IdxBuilder.Raw(0x00000803, [200_000, 32, 32], new byte[100]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(hostile, "i"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("i: pixel data (200000 images of 32×32): expected 204800000 bytes, found 100 (file truncated)", e.Message);
        Assert.True(allocated < 4 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Too_many_pixels_in_all_are_refused_before_reading()
    {
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(IdxBuilder.Raw(0x00000803, [100_000_000, 100, 100], []), "i"));
        Assert.Equal("i: size: 100000000 images of 100×100 would need 1,000,800,000,000 bytes, more than the 268,435,456-byte limit", e.Message);
    }
}
