using System.Text;
using EdgeLstm.Data;

namespace EdgeLstm.Tests.Data;

public class PgmReaderTests
{
    [Fact]
    public void Reads_binary_pgm_with_a_comment()
    {
        byte[] header = Encoding.ASCII.GetBytes("P5\n# drawn by hand\n3 2\n255\n");
        byte[] bytes = [.. header, 0, 255, 51, 102, 204, 255];
        var image = PgmReader.Read(bytes, "d.pgm");
        Assert.Equal((2, 3), (image.Rows, image.Columns));
        Assert.Equal([0f, 1f, 0.2f, 0.4f, 0.8f, 1f], image.ToFloats(0, 1));
    }

    [Fact]
    public void Reads_ascii_pgm_scaled_by_its_maximum()
    {
        var image = PgmReader.Read(Encoding.ASCII.GetBytes("P2 2 2 15\n0 15\n5 10\n"), "d.pgm");
        Assert.Equal([0f, 1f, 1f / 3, 2f / 3], image.ToFloats(0, 1));
    }

    [Theory]
    [InlineData("P6 2 2 255\n", "d.pgm: magic number: expected P5 (binary PGM) or P2 (ASCII PGM), found \"P6\"")]
    [InlineData("P2 2 2 15\n0 16 1 1", "d.pgm: pixel 1: expected 0 to 15 (the maximum value), found 16")]
    [InlineData("P2 2 2 15\n0 1 1", "d.pgm: pixel 3: expected a value, found the end of the file (file truncated)")]
    [InlineData("P5 2 2 255\n\u0001\u0002", "d.pgm: pixel data: expected 4 bytes for 2×2, found 2 (file truncated)")]
    [InlineData("P2 0 2 15\n", "d.pgm: width: expected a whole number from 1 to 4096, found \"0\"")]
    public void Bad_files_are_named_with_the_field(string content, string message)
    {
        var e = Assert.Throws<DataFormatException>(() => PgmReader.Read(Encoding.Latin1.GetBytes(content), "d.pgm"));
        Assert.Equal(message, e.Message);
    }
}
