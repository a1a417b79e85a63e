using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace EdgeLstm.Kernels;

/// <summary>
/// The operations the integer product kernel needs at one vector width: per int32 lane, add the dot product of the
/// lane's four int8 weights with four int8 activations (the same four for every lane), and turn a finished sum into
/// floats. Integer sums are exact, so every implementation (VNNI, ARM SDOT, the portable shifts) gives the same bits.
/// </summary>
/// <typeparam name="TV">The int32 vector type.</typeparam>
internal unsafe interface IInt8Dot<TV> where TV : struct
{
    /// <summary>Int32 lanes per vector.</summary>
    static abstract int Count { get; }

    static abstract TV Zero { get; }

    /// <summary>
    /// True when the activations are stored as unsigned q + 128 (VNNI multiplies unsigned by signed bytes), so
    /// <see cref="Dot"/> adds 128·Σ(weights) too; <see cref="Store"/> takes it off with the matrix's row sums.
    /// </summary>
    static abstract bool Biased { get; }

    /// <summary>The four activation bytes at <paramref name="x"/> in every lane (as the buffer holds them: q, or q + 128 when <see cref="Biased"/>).</summary>
    static abstract TV Broadcast(sbyte* x);

    /// <summary>acc[j] + Σ_t w[4j + t]·x_t, x_t the four bytes of each lane of <paramref name="x"/> (little-endian).</summary>
    static abstract TV Dot(TV acc, sbyte* w, TV x);

    /// <summary>
    /// y[j] = float(d[j])·s[j], or fma(float(d[j]), s[j], y[j]) when accumulating, for d = acc (less 128·rowSums when
    /// <see cref="Biased"/>) and s[j] = scales[j]·xScale; the lanes from <paramref name="lanes"/> on are not written.
    /// </summary>
    static abstract void Store(TV acc, int* rowSums, float* scales, float xScale, float* y, int lanes, bool accumulate);
}

/// <summary>The shared scalar parts of the widths.</summary>
internal static unsafe class Int8Dot
{

    /// <summary>One lane of <see cref="IInt8Dot{TV}.Store"/>: for a partial vector (the last panel, or a thread's share).</summary>
    public static void StoreLane(int d, float scale, float xScale, float* y, bool accumulate)
    {
        float s = scale * xScale;
        *y = accumulate ? MathF.FusedMultiplyAdd(d, s, *y) : d * s;
    }
}

/// <summary>4 int32 lanes: ARM SDOT (ARMv8.2 dot product, the Pi 5), AVX-VNNI on x64, else the portable shifts (ARMv8.0, SSE).</summary>
internal unsafe struct Int8Dot128 : IInt8Dot<Vector128<int>>
{
    public static int Count => Vector128<int>.Count;

    public static Vector128<int> Zero => Vector128<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Broadcast(sbyte* x) => Vector128.Create(*(int*)x);

    public static bool Biased => !Dp.IsSupported && AvxVnni.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Dot(Vector128<int> acc, sbyte* w, Vector128<int> x)
    {
        if (Dp.IsSupported)
        {
            return Dp.DotProduct(acc, Vector128.Load(w), x.AsSByte());
        }

        if (AvxVnni.IsSupported)
        {
            return AvxVnni.MultiplyWideningAndAdd(acc, x.AsByte(), Vector128.Load(w));
        }

        return Portable(acc, w, x);
    }

    /// <summary>The same sums through the cross-platform API: each weight byte shifted out of its lane, multiplied and added.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Portable(Vector128<int> acc, sbyte* w, Vector128<int> x)
    {
        var words = Vector128.Load((int*)w);
        acc += Byte(words, 0) * Byte(x, 0);
        acc += Byte(words, 1) * Byte(x, 1);
        acc += Byte(words, 2) * Byte(x, 2);
        return acc + (Byte(words, 3) * Byte(x, 3));
    }

    /// <summary>Byte <paramref name="t"/> of every lane, sign-extended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Byte(Vector128<int> words, int t) => Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(words, 24 - (8 * t)), 24);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<int> acc, int* rowSums, float* scales, float xScale, float* y, int lanes, bool accumulate)
    {
        if (Biased)
        {
            acc -= Vector128.Load(rowSums) << 7;
        }

        if (lanes < Count)
        {
            for (int j = 0; j < lanes; j++)
            {
                Int8Dot.StoreLane(acc.GetElement(j), scales[j], xScale, y + j, accumulate);
            }

            return;
        }

        var s = Vector128.Load(scales) * xScale;
        var f = Vector128.ConvertToSingle(acc);
        (accumulate ? Vector128.FusedMultiplyAdd(f, s, Vector128.Load(y)) : f * s).Store(y);
    }
}

/// <summary>8 int32 lanes: AVX-VNNI <c>vpdpbusd</c> (Zen 4/5, Alder Lake and later), else the portable shifts (AVX2).</summary>
internal unsafe struct Int8Dot256 : IInt8Dot<Vector256<int>>
{
    public static int Count => Vector256<int>.Count;

    public static Vector256<int> Zero => Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Broadcast(sbyte* x) => Vector256.Create(*(int*)x);

    public static bool Biased => AvxVnni.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<int> acc, sbyte* w, Vector256<int> x)
        => AvxVnni.IsSupported
            ? AvxVnni.MultiplyWideningAndAdd(acc, x.AsByte(), Vector256.Load(w))
            : Portable(acc, w, x);

    /// <summary>The same sums through the cross-platform API.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Portable(Vector256<int> acc, sbyte* w, Vector256<int> x)
    {
        var words = Vector256.Load((int*)w);
        acc += Byte(words, 0) * Byte(x, 0);
        acc += Byte(words, 1) * Byte(x, 1);
        acc += Byte(words, 2) * Byte(x, 2);
        return acc + (Byte(words, 3) * Byte(x, 3));
    }

    /// <summary>Byte <paramref name="t"/> of every lane, sign-extended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Byte(Vector256<int> words, int t) => Vector256.ShiftRightArithmetic(Vector256.ShiftLeft(words, 24 - (8 * t)), 24);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<int> acc, int* rowSums, float* scales, float xScale, float* y, int lanes, bool accumulate)
    {
        if (Biased)
        {
            acc -= Vector256.Load(rowSums) << 7;
        }

        if (lanes < Count)
        {
            for (int j = 0; j < lanes; j++)
            {
                Int8Dot.StoreLane(acc.GetElement(j), scales[j], xScale, y + j, accumulate);
            }

            return;
        }

        var s = Vector256.Load(scales) * xScale;
        var f = Vector256.ConvertToSingle(acc);
        (accumulate ? Vector256.FusedMultiplyAdd(f, s, Vector256.Load(y)) : f * s).Store(y);
    }
}

/// <summary>16 int32 lanes: the portable shifts (.NET exposes no 512-bit VNNI; the engine prefers 256-bit VNNI where it exists).</summary>
internal unsafe struct Int8Dot512 : IInt8Dot<Vector512<int>>
{
    public static int Count => Vector512<int>.Count;

    public static Vector512<int> Zero => Vector512<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Broadcast(sbyte* x) => Vector512.Create(*(int*)x);

    public static bool Biased => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Dot(Vector512<int> acc, sbyte* w, Vector512<int> x)
    {
        var words = Vector512.Load((int*)w);
        acc += Byte(words, 0) * Byte(x, 0);
        acc += Byte(words, 1) * Byte(x, 1);
        acc += Byte(words, 2) * Byte(x, 2);
        return acc + (Byte(words, 3) * Byte(x, 3));
    }

    /// <summary>Byte <paramref name="t"/> of every lane, sign-extended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Byte(Vector512<int> words, int t) => Vector512.ShiftRightArithmetic(Vector512.ShiftLeft(words, 24 - (8 * t)), 24);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<int> acc, int* rowSums, float* scales, float xScale, float* y, int lanes, bool accumulate)
    {
        if (lanes < Count)
        {
            for (int j = 0; j < lanes; j++)
            {
                Int8Dot.StoreLane(acc.GetElement(j), scales[j], xScale, y + j, accumulate);
            }

            return;
        }

        var s = Vector512.Load(scales) * xScale;
        var f = Vector512.ConvertToSingle(acc);
        (accumulate ? Vector512.FusedMultiplyAdd(f, s, Vector512.Load(y)) : f * s).Store(y);
    }
}
