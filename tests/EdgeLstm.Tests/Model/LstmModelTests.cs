using EdgeLstm.Model;

namespace EdgeLstm.Tests.Model;

public class LstmModelTests
{
    [Fact]
    public void An_architecture_whose_weights_overflow_an_array_is_refused_before_anything_is_allocated()
    {
        // Valid field by field (input 65536, hidden 8192), but weight_ih_l0 would hold 4·8192·65536 = 2^31 floats: the
        // parameter limit refuses it with a clear error (before, the offsets' checked arithmetic threw OverflowException).
        var config = new LstmConfig(65536, 8192, 1, 1, 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(config.Validate);
        Assert.Contains("at most 268435456 (1 GiB of weights) are accepted", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => LstmModel.CreateEmpty(config));
    }
}
