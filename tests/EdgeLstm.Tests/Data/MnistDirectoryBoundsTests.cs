using EdgeLstm.Data;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.Data;

public class MnistDirectoryBoundsTests
{
    [Fact]
    public void A_checksum_list_that_never_ends_is_refused_after_a_bounded_read()
    {
        // MD5SUMS as a link to /dev/zero: one line that never ends. Before, File.ReadLines grew it until memory ran out.
        using var dir = new TempDirectory();
        IdxBuilder.WriteDataset(dir.Path, train: 2, test: 2);
        File.CreateSymbolicLink(dir.File(MnistDirectory.ChecksumFile), "/dev/zero");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataFormatException>(() => MnistDirectory.Load(dir.Path, DatasetSplit.Test));
        Assert.Equal($"{dir.File("MD5SUMS")}: file: expected a checksum list of at most 65536 bytes, found more", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }
}
