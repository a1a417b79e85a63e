using EdgeLstm.Diagnostics;

namespace EdgeLstm.Tests.Diagnostics;

/// <summary>
/// The FMA peak every %-of-peak figure divides by. Its speed is not tested here (no timing decides a pass); what is
/// tested is what made it wrong once: sixteen accumulator chains spilled on x64 without AVX-512 (16 vector registers)
/// and measured 0.55 of the peak, so every fraction of it read 1.8× too high.
/// </summary>
public class FmaPeakProbeTests
{
    [Fact]
    public void The_chains_and_their_two_operands_fit_the_register_file()
    {
        foreach (int registers in new[] { 16, 32 })
        {
            int chains = FmaPeakProbe.ChainsFor(registers);
            Assert.True(chains + 2 <= registers, $"{chains} chains and two operands do not fit {registers} registers");

            // Latency × pipes of the x64 and ARM64 cores in use is at most 5 × 2: fewer chains would measure the latency.
            Assert.True(chains >= 10, $"{chains} chains cannot cover an FMA latency of 5 cycles on 2 pipes");
        }
    }
}
