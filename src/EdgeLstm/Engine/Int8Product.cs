using EdgeLstm.Kernels;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Engine;

/// <summary>
/// A context's products with int8 weight matrices: C (+)= A·Wᵀ over the rows of A. <see cref="Prepare"/> quantises A
/// once, on the caller; the rows are then computed on the caller or shared between the context's threads, by panels of
/// output rows (<see cref="Execute"/>) or by rows of A (<see cref="Rows"/>, for a step job that splits its batch). Any
/// split gives the same bits (each output is one exact integer sum, see <see cref="Int8PanelKernel{TDot, TV}"/>), so
/// the thread count never changes a result. One per context, reused: after warm-up it allocates nothing.
/// </summary>
internal sealed unsafe class Int8Product : IParallelJob
{
    private readonly Int8ActivationBuffer _activations = new();
    private Int8PanelMatrix? _w;
    private float* _c;
    private int _ldc, _m;
    private bool _accumulate;
    private SimdWidth _width;

    /// <summary>Quantises A [m × W.Cols] (row stride <paramref name="lda"/>) for products with <paramref name="w"/>; A null (a zero state) quantises nothing.</summary>
    public Int8Product Prepare(ComputeContext context, Int8PanelMatrix w, float* a, int lda, int m)
    {
        _w = w;
        _width = Int8MatVec.Preferred(context.Width);
        if (a != null)
        {
            _activations.Quantize(w, a, lda, m, Int8MatVec.Biased(_width));
        }

        return this;
    }

    /// <summary>C[m × W.Rows] (+)= A·Wᵀ for the prepared A, on the caller or shared by panels.</summary>
    public void Run(ComputeContext context, float* c, int ldc, int m, bool accumulate)
    {
        var w = _w!;
        if (m == 0 || w.Rows == 0)
        {
            return;
        }

        if (context.Threads > 1 && w.Panels > 1 && (long)m * w.Rows * w.Cols >= ComputeContext.ParallelThreshold)
        {
            _c = c;
            _ldc = ldc;
            _m = m;
            _accumulate = accumulate;
            context.Run(this);
        }
        else
        {
            Int8MatVec.Run(w, _activations, c, ldc, m, 0, w.Rows, accumulate, _width);
        }
    }

    /// <summary>Rows [start, end) of A for a step's product, described as a <see cref="MatMulJob"/> whose B is the prepared matrix.</summary>
    public void Rows(in MatMulJob p, int start, int end)
    {
        var x = _activations;
        Int8MatVec.Run(_w!, x.Values + ((long)start * x.Stride), x.Stride, x.Scales + start, p.C + ((long)start * p.Ldc), p.Ldc, end - start, 0, _w!.Rows, p.Accumulate, _width);
    }

    /// <summary>A step's whole product (the job's rows), on the caller or shared by panels.</summary>
    public void Run(ComputeContext context, in MatMulJob p) => Run(context, p.C, p.Ldc, p.M, p.Accumulate);

    /// <summary>Part of a product shared by whole panels of output rows.</summary>
    public void Execute(int part, int parts)
    {
        var w = _w!;
        int first = (int)((long)w.Panels * part / parts), last = (int)((long)w.Panels * (part + 1) / parts);
        int start = first * Int8PanelMatrix.Width, end = Math.Min(last * Int8PanelMatrix.Width, w.Rows);
        Int8MatVec.Run(w, _activations, _c, _ldc, _m, start, end, _accumulate, _width);
    }
}
