using EdgeLstm.Kernels;

namespace EdgeLstm.Engine;

/// <summary>
/// The engine's products with an int8 weight matrix: C (+)= A·Wᵀ over the rows of A, on the caller or shared between
/// the context's threads by panels of output rows. Any split gives the same bits (each output is one fixed chain, see
/// <see cref="Int8PanelKernel{TOps, TWiden, TV}"/>), so the thread count never changes a result.
/// </summary>
internal static unsafe class Int8Products
{
    /// <summary>C[m × W.Rows] (+)= A[m × W.Cols]·Wᵀ (row strides <paramref name="lda"/> and <paramref name="ldc"/>).</summary>
    public static void Run(ComputeContext context, Int8PanelMatrix w, float* a, int lda, float* c, int ldc, int m, bool accumulate)
    {
        if (m == 0 || w.Rows == 0)
        {
            return;
        }

        if (context.Threads > 1 && w.Panels > 1 && (long)m * w.Rows * w.Cols >= ComputeContext.ParallelThreshold)
        {
            var job = context.Int8Product;
            job.Set(w, a, lda, c, ldc, m, accumulate, context.Width);
            context.Run(job);
        }
        else
        {
            Int8MatVec.Run(w, a, lda, c, ldc, m, 0, w.Rows, accumulate, context.Width);
        }
    }

    /// <summary>Batch rows [start, end) of a step's product, described as a <see cref="MatMulJob"/> whose B is <paramref name="w"/>.</summary>
    public static void Rows(Int8PanelMatrix w, in MatMulJob p, int start, int end)
        => Int8MatVec.Run(w, p.A + ((long)start * p.Lda), p.Lda, p.C + ((long)start * p.Ldc), p.Ldc, end - start, 0, w.Rows, p.Accumulate, p.Width);

    /// <summary>A step's whole product (the job's rows), on the caller or shared by panels.</summary>
    public static void Run(ComputeContext context, Int8PanelMatrix w, in MatMulJob p)
        => Run(context, w, p.A, p.Lda, p.C, p.Ldc, p.M, p.Accumulate);
}
