using EdgeLstm.Diagnostics;
using EdgeLstm.Simd;

namespace EdgeLstm.Tests.Diagnostics;

/// <summary>
/// The FMA peak every %-of-peak figure divides by. Its speed is not tested here (no timing decides a pass); what is
/// tested is what made it wrong once, and what its figure is made of. Sixteen accumulator chains spilled on x64
/// without AVX-512 (16 vector registers) and measured 0.55 of the peak, so every fraction of it read 1.8× too high.
/// </summary>
public class FmaPeakProbeTests
{
    [Fact]
    public void The_chains_and_their_two_operands_fit_the_smallest_register_file_and_cover_the_latency()
    {
        // x64 without AVX-512 has 16 vector registers; latency × pipes of the x64 and ARM64 cores in use is at most 5 × 2.
        Assert.InRange(FmaPeakProbe.Chains, 10, 16 - 2);
    }

    [Theory]
    [InlineData(SimdWidth.Vector128, 4)]
    [InlineData(SimdWidth.Vector256, 8)]
    [InlineData(SimdWidth.Vector512, 16)]
    public void The_flops_a_run_claims_are_the_multiply_adds_it_does(SimdWidth width, int lanes)
    {
        // The loop runs MultiplyAdds / Chains rounds of Chains multiply-adds per lane: whole rounds, or the claim is high.
        SimdSupport.AllowEmulatedWidths = true;
        Assert.Equal(0, FmaPeakProbe.MultiplyAdds % FmaPeakProbe.Chains);
        Assert.Equal(2.0 * FmaPeakProbe.MultiplyAdds * lanes, FmaPeakProbe.CreateJob(width).FlopsPerPart);
    }
}
