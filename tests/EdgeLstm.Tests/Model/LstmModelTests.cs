using EdgeLstm.Model;

namespace EdgeLstm.Tests.Model;

public class LstmModelTests
{
    [Fact]
    public void An_architecture_whose_weights_overflow_an_array_is_refused_before_anything_is_allocated()
    {
        // Valid field by field (input 65536, hidden 16384), but weight_ih_l0 would hold 4·16384·65536 = 2^32 floats.
        var config = new LstmConfig(65536, 16384, 1, 1, 1);
        config.Validate();
        Assert.Throws<OverflowException>(() => LstmModel.CreateEmpty(config));
    }
}
