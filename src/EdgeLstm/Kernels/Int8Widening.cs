using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeLstm.Kernels;

/// <summary>
/// The one operation int8 kernels add to <see cref="Simd.IVectorOps{TV}"/>: load as many int8 values as the float
/// vector has lanes and widen them to floats in registers (the bytes read are a quarter of fp32's; the conversion is
/// exact, every int8 is a float).
/// </summary>
/// <typeparam name="TV">The float vector type the matching <see cref="Simd.IVectorOps{TV}"/> works on.</typeparam>
internal unsafe interface IInt8Widening<TV> where TV : struct
{
    /// <summary>Count(TV) signed bytes from <paramref name="source"/> (unaligned), as floats.</summary>
    static abstract TV LoadWidened(sbyte* source);
}

/// <summary>4 bytes → 4 floats: SSE4.1 <c>pmovsxbd</c>, or the portable widening (NEON <c>sxtl</c>).</summary>
internal unsafe struct Int8Widening128 : IInt8Widening<Vector128<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadWidened(sbyte* source)
        => Sse41.IsSupported ? Sse2.ConvertToVector128Single(Sse41.ConvertToVector128Int32(source)) : Portable(source);

    /// <summary>The same result through the cross-platform API: what ARM64 and an emulated width run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Portable(sbyte* source)
    {
        var bytes = Vector128.CreateScalar(Unsafe.ReadUnaligned<int>(source)).AsSByte();
        return Vector128.ConvertToSingle(Vector128.WidenLower(Vector128.WidenLower(bytes)));
    }
}

/// <summary>8 bytes → 8 floats: AVX2 <c>vpmovsxbd</c>, or the portable widening.</summary>
internal unsafe struct Int8Widening256 : IInt8Widening<Vector256<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadWidened(sbyte* source)
        => Avx2.IsSupported ? Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(source)) : Portable(source);

    /// <summary>The same result through the cross-platform API.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Portable(sbyte* source)
    {
        var shorts = Vector128.WidenLower(Vector128.CreateScalar(Unsafe.ReadUnaligned<long>(source)).AsSByte());
        return Vector256.Create(
            Vector128.ConvertToSingle(Vector128.WidenLower(shorts)),
            Vector128.ConvertToSingle(Vector128.WidenUpper(shorts)));
    }
}

/// <summary>16 bytes → 16 floats: AVX-512F <c>vpmovsxbd</c>, or the portable widening.</summary>
internal unsafe struct Int8Widening512 : IInt8Widening<Vector512<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadWidened(sbyte* source)
        => Avx512F.IsSupported ? Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(source))) : Portable(source);

    /// <summary>The same result through the cross-platform API.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Portable(sbyte* source)
    {
        var bytes = Vector128.Load(source);
        Vector128<short> low = Vector128.WidenLower(bytes), high = Vector128.WidenUpper(bytes);
        return Vector512.Create(
            Vector256.Create(Vector128.ConvertToSingle(Vector128.WidenLower(low)), Vector128.ConvertToSingle(Vector128.WidenUpper(low))),
            Vector256.Create(Vector128.ConvertToSingle(Vector128.WidenLower(high)), Vector128.ConvertToSingle(Vector128.WidenUpper(high))));
    }
}
