using System.Diagnostics.CodeAnalysis;
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
        int segment = LaneSegment(destination.Length);
        bool repeated = segment == _lastSegment;
        _lastSegment = segment;
        if (Avx2.IsSupported && destination.Length >= (repeated ? LaneMinimum : LaneMinimumNewLength))
        {
            start = DrawInLanes(destination, ref s0, ref s1, ref s2, ref s3);
        }

        // The rest one at a time, on fresh locals: the JIT keeps locals whose address is taken (passed by reference
        // above) in memory for the whole method, and every draw would wait on a store and a load.
        ulong a = s0, b = s1, c = s2, e = s3;
        for (int i = start; i < destination.Length; i++)
        {
            destination[i] = (Next(ref a, ref b, ref c, ref e) >> 40) * (1f / (1 << 24));
        }

        (_s0, _s1, _s2, _s3) = (a, b, c, e);
    }

    /// <summary>
    /// The first 8·L draws of <paramref name="destination"/> (L a multiple of 4) by eight generators side by side, lane i
    /// drawing [i·L, (i+1)·L) from the state jumped i·L steps on (<see cref="XoshiroJump"/>): the same numbers as one
    /// generator in turn, faster, since one generator's draws wait on each other and the lanes' do not. Two groups of
    /// four lanes, each one 256-bit vector per word of state, so that each group's chain of dependent steps runs while
    /// the other's waits. Leaves the state at draw 8·L, and returns 8·L.
    /// </summary>
    private unsafe int DrawInLanes(Span<float> destination, ref ulong s0, ref ulong s1, ref ulong s2, ref ulong s3)
    {
        int segment = LaneSegment(destination.Length);
        if (_jumpDistance != (ulong)segment)
        {
            XoshiroJump.Polynomial((ulong)segment, _jump);
            _jumpDistance = (ulong)segment;
        }

        // Lane i's state: lane i−1's jumped on by one segment; word w of lane i at [w·Lanes + i].
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

        var low = new LaneGroup(lanes, 0, Lanes);
        var high = new LaneGroup(lanes, 4, Lanes);
        fixed (float* d = destination)
        {
            float* lowFirst = d, highFirst = d + (4 * segment);
            for (int step = 0; step < segment; step += Round)
            {
                DrawRound(ref low, lowFirst + step, segment);
                DrawRound(ref high, highFirst + step, segment);
            }
        }

        // Lane 7 ended where draw 8·L begins.
        s0 = high.S0.GetElement(3);
        s1 = high.S1.GetElement(3);
        s2 = high.S2.GetElement(3);
        s3 = high.S3.GetElement(3);
        return Lanes * segment;
    }

    /// <summary>
    /// Four steps of a group's four lanes, written as floats exactly as the scalar draw makes them (the top 24 bits,
    /// converted exactly, times 2^-24): lane i's four draws in a row at <paramref name="first"/> + i·<paramref name="segment"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void DrawRound(ref LaneGroup g, float* first, int segment)
    {
        var a = Output(g.S1);
        Advance(ref g);
        var b = Output(g.S1);
        Advance(ref g);
        var c = Output(g.S1);
        Advance(ref g);
        var e = Output(g.S1);
        Advance(ref g);
        var scale = Vector256.Create(1f / (1 << 24));
        var fab = Vector256.ConvertToSingle(Vector256.Narrow(a >>> 40, b >>> 40).AsInt32()) * scale;
        var fce = Vector256.ConvertToSingle(Vector256.Narrow(c >>> 40, e >>> 40).AsInt32()) * scale;

        // [a0..a3 | b0..b3] and [c0..c3 | e0..e3] transposed into lane i's (a_i, b_i, c_i, e_i).
        var ab01 = Sse.UnpackLow(fab.GetLower(), fab.GetUpper());
        var ab23 = Sse.UnpackHigh(fab.GetLower(), fab.GetUpper());
        var ce01 = Sse.UnpackLow(fce.GetLower(), fce.GetUpper());
        var ce23 = Sse.UnpackHigh(fce.GetLower(), fce.GetUpper());
        Sse.Store(first, Sse.MoveLowToHigh(ab01, ce01));
        Sse.Store(first + segment, Sse.MoveHighToLow(ce01, ab01));
        Sse.Store(first + (2 * segment), Sse.MoveLowToHigh(ab23, ce23));
        Sse.Store(first + (3 * segment), Sse.MoveHighToLow(ce23, ab23));
    }

    /// <summary>Four lanes' states: word w of lane i is element i of Sw.</summary>
    private struct LaneGroup
    {
        public Vector256<ulong> S0, S1, S2, S3;

        /// <param name="lanes">Word w of lane i at [w·<paramref name="stride"/> + i].</param>
        /// <param name="firstLane">The group's first lane.</param>
        /// <param name="stride">Lanes in all.</param>
        public LaneGroup(ReadOnlySpan<ulong> lanes, int firstLane, int stride)
        {
            S0 = Vector256.Create<ulong>(lanes.Slice(firstLane, 4));
            S1 = Vector256.Create<ulong>(lanes.Slice(stride + firstLane, 4));
            S2 = Vector256.Create<ulong>(lanes.Slice((2 * stride) + firstLane, 4));
            S3 = Vector256.Create<ulong>(lanes.Slice((3 * stride) + firstLane, 4));
        }
    }

    /// <summary>Every lane's output for its state (xoshiro256**: rotl(s1·5, 7)·9, the products as shifts and adds).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Output(Vector256<ulong> s1)
    {
        var times5 = (s1 << 2) + s1;
        var rotated = RotateLeft(times5, 7);
        return (rotated << 3) + rotated;
    }

    /// <summary>Each lane rotated left: one instruction with AVX-512 (VL), three without.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> RotateLeft(Vector256<ulong> value, [ConstantExpected] byte count)
        => Avx512F.VL.IsSupported ? Avx512F.VL.RotateLeft(value, count) : (value << count) | (value >>> (64 - count));

    /// <summary>One xoshiro256** state step in every lane of a group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Advance(ref LaneGroup g)
    {
        var t = g.S1 << 17;
        var n2 = g.S2 ^ g.S0;
        var n3 = g.S3 ^ g.S1;
        g.S1 ^= n2;
        g.S0 ^= n3;
        g.S2 = n2 ^ t;
        g.S3 = RotateLeft(n3, 45);
    }

    /// <summary>Generators drawing side by side in a bulk draw: two groups of four.</summary>
    private const int Lanes = 8;

    /// <summary>Draws each lane makes per round: four, which a 4×4 transpose puts in place.</summary>
    private const int Round = 4;

    /// <summary>The draws each lane makes for a bulk draw of <paramref name="length"/>: a whole number of rounds.</summary>
    private static int LaneSegment(int length) => length / (Lanes * Round) * Round;

    /// <summary>
    /// Bulk draws shorter than this are made one at a time: the lanes' seven jumps take about what 4,096 draws one at a
    /// time do (4.3 against 4.6 µs, optimised code, here).
    /// </summary>
    private const int LaneMinimum = 4096;

    /// <summary>
    /// The same when the length differs from the last bulk draw's, which may cost a new jump polynomial too (about 10
    /// µs): 16,384 draws took 22.5 µs in lanes against 19.3 one at a time, 65,536 took 45.5 against 74.6. A length met
    /// twice in a row (a training run's masks) pays for its polynomial once and is drawn in lanes from then on.
    /// </summary>
    private const int LaneMinimumNewLength = 32768;

    /// <summary>The lanes' segment of the last bulk draw, whether or not it ran in lanes; −1 before the first.</summary>
    private int _lastSegment = -1;

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
