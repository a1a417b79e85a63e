using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeLstm.Model;

/// <summary>
/// xoshiro256** seeded through SplitMix64: fast, of good quality, and with a state of four integers that a checkpoint
/// can save and restore, so a resumed training run draws exactly the numbers an uninterrupted one would.
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator from a seed; equal seeds give equal sequences on every platform.</summary>
    public SeededRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>The four words of the state, for a checkpoint.</summary>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3];

    /// <summary>Restores a state saved by <see cref="GetState"/>.</summary>
    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4 || (state[0] | state[1] | state[2] | state[3]) == 0)
        {
            throw new ArgumentException("A generator state is four words, not all zero.", nameof(state));
        }

        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64() => Next(ref _s0, ref _s1, ref _s2, ref _s3);

    /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>
    /// <paramref name="destination"/>.Length calls of <see cref="NextSingle"/> at once, with the state in registers
    /// rather than written back to the object after every draw (a dropout mask draws hundreds of thousands).
    /// </summary>
    internal void NextSingles(Span<float> destination)
    {
        int start = 0;
        ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        if (Avx2.IsSupported && destination.Length >= LaneMinimum)
        {
            start = DrawInLanes(destination, ref s0, ref s1, ref s2, ref s3);
        }

        for (int i = start; i < destination.Length; i++)
        {
            destination[i] = (Next(ref s0, ref s1, ref s2, ref s3) >> 40) * (1f / (1 << 24));
        }

        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    /// <summary>
    /// The first 4·L draws of <paramref name="destination"/> (L a multiple of 4) by four generators side by side, lane i
    /// drawing [i·L, (i+1)·L) from the state jumped i·L steps on (<see cref="XoshiroJump"/>): the same numbers as one
    /// generator in turn, several times faster, since one generator's draws wait on each other and four lanes do not.
    /// Leaves the state at draw 4·L, and returns 4·L.
    /// </summary>
    private unsafe int DrawInLanes(Span<float> destination, ref ulong s0, ref ulong s1, ref ulong s2, ref ulong s3)
    {
        const int Lanes = 4, Round = 4;
        int segment = destination.Length / (Lanes * Round) * Round;
        if (_jumpDistance != (ulong)segment)
        {
            XoshiroJump.Polynomial((ulong)segment, _jump);
            _jumpDistance = (ulong)segment;
        }

        // Lane i's state: lane i−1's jumped on by one segment.
        Span<ulong> lanes = stackalloc ulong[4 * Lanes];
        ulong t0 = s0, t1 = s1, t2 = s2, t3 = s3;
        for (int lane = 0; lane < Lanes; lane++)
        {
            if (lane > 0)
            {
                XoshiroJump.Apply(_jump, ref t0, ref t1, ref t2, ref t3);
            }

            lanes[lane] = t0;
            lanes[Lanes + lane] = t1;
            lanes[(2 * Lanes) + lane] = t2;
            lanes[(3 * Lanes) + lane] = t3;
        }

        var v0 = Vector256.Create<ulong>(lanes[..4]);
        var v1 = Vector256.Create<ulong>(lanes.Slice(4, 4));
        var v2 = Vector256.Create<ulong>(lanes.Slice(8, 4));
        var v3 = Vector256.Create<ulong>(lanes.Slice(12, 4));
        var scale = Vector128.Create(1f / (1 << 24));
        fixed (float* d = destination)
        {
            float* lane0 = d, lane1 = d + segment, lane2 = d + (2 * segment), lane3 = d + (3 * segment);
            for (int step = 0; step < segment; step += Round)
            {
                // Four steps of every lane: a, b, c, d, each [lane 0..3]; as floats exactly as the scalar draw makes them
                // (the top 24 bits, converted exactly, times 2^-24).
                var a = LaneStep(ref v0, ref v1, ref v2, ref v3);
                var b = LaneStep(ref v0, ref v1, ref v2, ref v3);
                var c = LaneStep(ref v0, ref v1, ref v2, ref v3);
                var e = LaneStep(ref v0, ref v1, ref v2, ref v3);
                var ab = Vector256.Narrow(a >>> 40, b >>> 40).AsInt32();
                var ce = Vector256.Narrow(c >>> 40, e >>> 40).AsInt32();
                var fa = Vector128.ConvertToSingle(ab.GetLower()) * scale;
                var fb = Vector128.ConvertToSingle(ab.GetUpper()) * scale;
                var fc = Vector128.ConvertToSingle(ce.GetLower()) * scale;
                var fe = Vector128.ConvertToSingle(ce.GetUpper()) * scale;

                // Transposed, lane i's four draws in a row.
                var ab01 = Sse.UnpackLow(fa, fb);
                var ab23 = Sse.UnpackHigh(fa, fb);
                var ce01 = Sse.UnpackLow(fc, fe);
                var ce23 = Sse.UnpackHigh(fc, fe);
                Sse.Store(lane0 + step, Sse.MoveLowToHigh(ab01, ce01));
                Sse.Store(lane1 + step, Sse.MoveHighToLow(ce01, ab01));
                Sse.Store(lane2 + step, Sse.MoveLowToHigh(ab23, ce23));
                Sse.Store(lane3 + step, Sse.MoveHighToLow(ce23, ab23));
            }
        }

        // Lane 3 ended where draw 4·L begins.
        s0 = v0.GetElement(3);
        s1 = v1.GetElement(3);
        s2 = v2.GetElement(3);
        s3 = v3.GetElement(3);
        return Lanes * segment;
    }

    /// <summary>One xoshiro256** step in every lane; its output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> LaneStep(ref Vector256<ulong> s0, ref Vector256<ulong> s1, ref Vector256<ulong> s2, ref Vector256<ulong> s3)
    {
        // rotl(s1·5, 7)·9 with the products as shifts and adds (no 64-bit vector multiply in AVX2).
        var times5 = (s1 << 2) + s1;
        var rotated = (times5 << 7) | (times5 >>> 57);
        var result = (rotated << 3) + rotated;
        var t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = (s3 << 45) | (s3 >>> 19);
        return result;
    }

    /// <summary>Draws below this many are made one at a time: the lanes' set-up (three jumps) would cost more than they save.</summary>
    private const int LaneMinimum = 4096;

    /// <summary>The distance <see cref="_jump"/> jumps (the lanes' segment of the last bulk draw); 0 before the first.</summary>
    private ulong _jumpDistance;

    /// <summary>x^<see cref="_jumpDistance"/> mod xoshiro256's characteristic polynomial (<see cref="XoshiroJump"/>).</summary>
    private readonly ulong[] _jump = new ulong[4];

    /// <summary>One step of a state, its output thrown away (for <see cref="XoshiroJump"/>).</summary>
    internal static void Step(ref ulong s0, ref ulong s1, ref ulong s2, ref ulong s3) => Next(ref s0, ref s1, ref s2, ref s3);

    /// <summary>A uniform integer in [0, bound).</summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        return (int)((NextUInt64() >> 32) * (ulong)bound >> 32);
    }

    /// <summary>A standard normal sample (Box–Muller).</summary>
    public double NextGaussian()
    {
        double u1 = ((NextUInt64() >> 11) + 1) * (1.0 / (1UL << 53));
        double u2 = (NextUInt64() >> 11) * (1.0 / (1UL << 53));
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>One xoshiro256** step on a state wherever it lives: the object's fields, or a caller's locals.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Next(ref ulong s0, ref ulong s1, ref ulong s2, ref ulong s3)
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
