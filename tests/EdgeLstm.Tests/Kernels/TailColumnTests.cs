using System.Runtime.InteropServices;
using EdgeLstm.Kernels;
using EdgeLstm.Simd;

namespace EdgeLstm.Tests.Kernels;

/// <summary>
/// The columns of C past the last whole vector (a dense head's 10 outputs are all of its columns) run in vector tiles
/// that read whole vectors of B's rows where those stay inside B. Two claims are tested at every width: each element is
/// exactly the chain of fused multiply-adds in depth order (bit for bit, not within a tolerance), and no read goes past
/// B's last element (B ends at a page that cannot be read, so an over-read kills the test run).
/// </summary>
public partial class TailColumnTests
{
    private const int PageSize = 4096;

    // Widths the processor lacks run in software emulation, as in MatMulTests, whose widths these tests take.
    static TailColumnTests() => SimdSupport.AllowEmulatedWidths = true;

    [Theory]
    [MemberData(nameof(MatMulTests.Widths), MemberType = typeof(MatMulTests))]
    public void Tail_columns_are_the_scalar_chain_bit_for_bit_and_never_read_past_B(SimdWidth width)
    {
        Assert.True(OperatingSystem.IsLinux(), "the guard page is mapped with Linux's mmap");
        var rng = new Random(4242);
        int checkedShapes = 0;
        foreach (int n in new[] { 1, 2, 3, 5, 10, 15, 17, 31, 79 })
        {
            // Row counts leaving every remainder after the 256-bit path's 6-row tiles, with and without a whole one.
            foreach (int m in new[] { 1, 3, 4, 5, 7, 8, 9, 11, 32, 64 })
            {
                foreach (int k in new[] { 1, 2, 7, 64, 129, 300 })
                {
                    foreach (bool accumulate in new[] { false, true })
                    {
                        Check(rng, MatMulForm.AB, m, n, k, accumulate, width);
                        Check(rng, MatMulForm.AtB, m, n, k, accumulate, width);
                        checkedShapes += 2;
                    }
                }
            }
        }

        Assert.Equal(9 * 10 * 6 * 2 * 2, checkedShapes);
    }

    [Theory]
    [MemberData(nameof(MatMulTests.Widths), MemberType = typeof(MatMulTests))]
    public void The_packed_paths_second_row_panel_and_4_KB_rows_are_the_scalar_chain_too(SimdWidth width)
    {
        // 300 rows: more than one packed row panel (256 rows at 512 bits, 258 at 256), with 64- and 16-column slices
        // and a tail, over three depth chunks.
        // And 1024 columns: rows of B 4 KB apart, which the 256-bit path packs for A·B as well.
        var rng = new Random(77);
        foreach (bool accumulate in new[] { false, true })
        {
            Check(rng, MatMulForm.AB, 300, 79, 300, accumulate, width);
            Check(rng, MatMulForm.AtB, 300, 79, 300, accumulate, width);
            Check(rng, MatMulForm.AB, 9, 1024, 129, accumulate, width);
        }
    }

    private static unsafe void Check(Random rng, MatMulForm form, int m, int n, int k, bool accumulate, SimdWidth width)
    {
        var a = MatMulTests.Random(rng, m * k);
        var bValues = MatMulTests.Random(rng, k * n);
        var initial = MatMulTests.Random(rng, m * n);
        var expected = new float[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float s = accumulate ? initial[(i * n) + j] : 0f;
                for (int p = 0; p < k; p++)
                {
                    float x = form == MatMulForm.AB ? a[(i * k) + p] : a[(p * m) + i];
                    s = MathF.FusedMultiplyAdd(x, bValues[(p * n) + j], s);
                }

                expected[(i * n) + j] = s;
            }
        }

        using var guarded = new GuardedFloats(k * n);
        bValues.CopyTo(guarded.Values);
        var c = (float[])initial.Clone();
        var b = new ReadOnlySpan<float>(guarded.Pointer, k * n);
        if (form == MatMulForm.AB)
        {
            MatMul.Multiply(a, b, c, m, n, k, accumulate, width);
        }
        else
        {
            MatMul.MultiplyTransposedA(a, b, c, m, n, k, accumulate, width);
        }

        for (int e = 0; e < c.Length; e++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[e]) == BitConverter.SingleToInt32Bits(c[e]), $"{form} {m}×{n}×{k} acc={accumulate} {width}: element {e} is {c[e]:R}, the scalar chain gives {expected[e]:R}");
        }
    }

    /// <summary>Floats that end exactly where a page mapped with no access begins.</summary>
    private sealed unsafe partial class GuardedFloats : IDisposable
    {
        private const int ProtNone = 0, ProtReadWrite = 3, MapPrivateAnonymous = 0x22;
        private readonly nint _mapping;
        private readonly nuint _bytes;
        private readonly int _count;

        public GuardedFloats(int count)
        {
            long dataPages = ((4L * count) + PageSize - 1) / PageSize;
            _bytes = (nuint)((dataPages + 1) * PageSize);
            _mapping = Mmap(0, _bytes, ProtReadWrite, MapPrivateAnonymous, -1, 0);
            Assert.True(_mapping != -1, $"mmap failed (errno {Marshal.GetLastPInvokeError()})");
            nint guard = _mapping + (nint)(dataPages * PageSize);
            Assert.Equal(0, Mprotect(guard, PageSize, ProtNone));
            Pointer = (float*)guard - count;
            _count = count;
        }

        public float* Pointer { get; }

        public Span<float> Values => new(Pointer, _count);

        public void Dispose() => Munmap(_mapping, _bytes);

        [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
        private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

        [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
        private static partial int Mprotect(nint address, nuint length, int protection);

        [LibraryImport("libc", EntryPoint = "munmap")]
        private static partial int Munmap(nint address, nuint length);
    }
}
