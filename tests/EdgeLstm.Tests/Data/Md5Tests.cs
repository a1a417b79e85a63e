using System.Text;
using EdgeLstm.Data;

namespace EdgeLstm.Tests.Data;

public class Md5Tests
{
    [Theory]
    [InlineData("", "d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("abc", "900150983cd24fb0d6963f7d28e17f72")]
    [InlineData("The quick brown fox jumps over the lazy dog", "9e107d9d372bb6826bd81d3542a419d6")]
    public void Matches_the_rfc_vectors(string text, string digest)
    {
        Assert.Equal(digest, Md5.HashHex(new MemoryStream(Encoding.ASCII.GetBytes(text))));
    }

    [Theory]
    [InlineData(55)]
    [InlineData(56)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(65_536 + 119)]
    [InlineData(300_001)]
    public void Matches_the_platform_hash_across_block_and_buffer_boundaries(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        string expected = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(data));
        Assert.Equal(expected, Md5.HashHex(new MemoryStream(data)));
    }

    /// <summary>Appended in pieces of every awkward size (empty, inside a block, across one, several blocks), the same digest.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(1000)]
    [InlineData(65_536 + 119)]
    public void Appending_in_pieces_gives_the_whole_datas_digest(int length)
    {
        var data = new byte[length];
        new Random(length + 1).NextBytes(data);
        string expected = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(data));
        var md5 = new Md5.Incremental();
        var rng = new Random(7);
        for (int at = 0; at < length || at == 0;)
        {
            int piece = Math.Min(length - at, rng.Next(0, 150));
            md5.Append(data.AsSpan(at, piece));
            at += piece;
            if (length == 0)
            {
                break;
            }
        }

        Assert.Equal(expected, md5.HashHex());
    }
}
