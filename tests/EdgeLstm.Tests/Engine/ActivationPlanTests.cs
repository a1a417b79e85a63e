using EdgeLstm.Engine;
using EdgeLstm.Model;

namespace EdgeLstm.Tests.Engine;

/// <summary>The count of a plan's memory without allocating it (for memory checks) against what a plan allocates.</summary>
public class ActivationPlanTests
{
    /// <summary>Every mode, cell and head, with sizes that are not multiples of the 16-float alignment.</summary>
    [Fact]
    public void Counting_gives_exactly_the_bytes_a_plan_allocates()
    {
        foreach (var mode in Enum.GetValues<EngineMode>())
        {
            foreach (var cell in Enum.GetValues<CellKind>())
            {
                foreach (var head in Enum.GetValues<HeadKind>())
                {
                    var network = NetworkDescription.Of(new LstmConfig(5, 7, 2, 3, 4) { Cell = cell, Head = head });
                    long allocated = new ActivationPlan(network, mode, 3, 4).Floats * sizeof(float);
                    Assert.True(allocated > 0);
                    Assert.Equal(allocated, ActivationPlan.CarvedBytes(network, mode, 3, 4));
                }
            }
        }
    }
}
