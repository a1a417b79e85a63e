using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using EdgeLstm.Model;

namespace EdgeLstm.Tests.Model;

/// <summary>
/// A dropout mask is drawn in bulk, by four lanes jumped apart in the one sequence (<see cref="XoshiroJump"/>); every
/// trained bit depends on it being the sequence one generator draws in turn, and on the state after it (the next
/// mask, a checkpoint's resume). Checked against <see cref="SeededRandom.NextSingle"/> one draw at a time.
/// </summary>
public class SeededRandomTests
{
    [Fact]
    public void The_lanes_are_what_these_tests_check_on_x64()
    {
        // The bulk path needs AVX2; without it every draw here would be made one at a time and the lanes go untested.
        if (RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            Assert.True(Avx2.IsSupported, "this x64 machine has no AVX2: the lanes of SeededRandom.NextSingles are not tested here");
        }
    }

    [Theory]
    [InlineData(1UL, 0)]
    [InlineData(2UL, 1)]
    [InlineData(3UL, 4095)]
    [InlineData(4UL, 4096)]
    [InlineData(5UL, 4097)]
    [InlineData(6UL, 4111)]
    [InlineData(7UL, 100_003)]
    [InlineData(8UL, 458_752)]
    public void Bulk_draws_are_the_one_at_a_time_sequence_and_leave_its_state(ulong seed, int count)
    {
        var bulk = new SeededRandom(seed);
        var single = new SeededRandom(seed);

        // Two masks in a row (the second reuses the cached jump when the length repeats), then one draw.
        for (int mask = 0; mask < 2; mask++)
        {
            var drawn = new float[count];
            bulk.NextSingles(drawn);
            for (int i = 0; i < count; i++)
            {
                float expected = single.NextSingle();
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(drawn[i]), $"seed {seed}, {count} draws, mask {mask}: draw {i} is {drawn[i]:R}, one at a time {expected:R}");
            }

            Assert.Equal(single.GetState(), bulk.GetState());
        }

        Assert.Equal(single.NextUInt64(), bulk.NextUInt64());
    }

    [Fact]
    public void Masks_of_changing_lengths_each_jump_their_own_distance()
    {
        var bulk = new SeededRandom(9);
        var single = new SeededRandom(9);
        // Lengths new and repeated, short and long: lanes with a jump polynomial just made, lanes with the one kept from
        // the draw before, and one at a time for a new short length.
        foreach (int count in new[] { 8192, 8192, 5000, 65_536, 65_536, 40_000, 4096, 4096, 8192 })
        {
            var drawn = new float[count];
            bulk.NextSingles(drawn);
            for (int i = 0; i < count; i++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(single.NextSingle()), BitConverter.SingleToInt32Bits(drawn[i]));
            }
        }

        Assert.Equal(single.GetState(), bulk.GetState());
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(255UL)]
    [InlineData(256UL)]
    [InlineData(257UL)]
    [InlineData(114_688UL)]
    public void A_jump_lands_where_stepping_does(ulong distance)
    {
        ulong s0 = 1, s1 = 2, s2 = 3, s3 = 4;
        ulong t0 = s0, t1 = s1, t2 = s2, t3 = s3;
        for (ulong i = 0; i < distance; i++)
        {
            SeededRandom.Step(ref t0, ref t1, ref t2, ref t3);
        }

        Span<ulong> polynomial = stackalloc ulong[4];
        XoshiroJump.Polynomial(distance, polynomial);
        XoshiroJump.Apply(polynomial, ref s0, ref s1, ref s2, ref s3);
        Assert.Equal((t0, t1, t2, t3), (s0, s1, s2, s3));
    }
}
