namespace EdgeLstm.Simd;

/// <summary>The vector width the matrix kernels run with.</summary>
public enum SimdWidth
{
    /// <summary>Pick the widest width the processor accelerates (in this build).</summary>
    Auto = 0,

    /// <summary>128-bit vectors: SSE on x64, NEON on ARM64 (Raspberry Pi class boards).</summary>
    Vector128 = 128,

    /// <summary>256-bit vectors: AVX2 + FMA.</summary>
    Vector256 = 256,

    /// <summary>512-bit vectors: AVX-512F.</summary>
    Vector512 = 512,
}

/// <summary>Which widths this process can run, and the resolution of <see cref="SimdWidth.Auto"/>.</summary>
public static class SimdSupport
{
    /// <summary>The widest width that is hardware-accelerated here.</summary>
    public static SimdWidth Widest =>
        System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? SimdWidth.Vector512
        : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? SimdWidth.Vector256
        : SimdWidth.Vector128;

    /// <summary>True when <paramref name="width"/> runs on hardware here (not emulated in software).</summary>
    public static bool IsAccelerated(SimdWidth width) => width switch
    {
        SimdWidth.Auto => true,
        SimdWidth.Vector128 => System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated,
        SimdWidth.Vector256 => System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated,
        SimdWidth.Vector512 => System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary>
    /// Lets a width that is not hardware-accelerated run in .NET's software emulation: slow, but the same results, so
    /// the tests can prove the Vector512 body correct on a machine without AVX-512 (and on an ARM64 board).
    /// </summary>
    internal static bool AllowEmulatedWidths { get; set; }

    /// <summary>Resolves <see cref="SimdWidth.Auto"/> and rejects a width this processor cannot run.</summary>
    public static SimdWidth Resolve(SimdWidth width)
    {
        if (width == SimdWidth.Auto)
        {
            return Widest;
        }

        if (!IsAccelerated(width) && !AllowEmulatedWidths)
        {
            throw new NotSupportedException($"SIMD width {(int)width} bits is not hardware-accelerated on this processor; the widest here is {(int)Widest} bits.");
        }

        return width;
    }
}
