using EdgeLstm.Kernels;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Engine;

/// <summary>One int8 product shared between threads by whole panels of output rows; reused, so it allocates nothing.</summary>
internal sealed unsafe class Int8ProductJob : IParallelJob
{
    private Int8PanelMatrix? _w;
    private float* _a, _c;
    private int _lda, _ldc, _m;
    private bool _accumulate;
    private SimdWidth _width;

    public void Set(Int8PanelMatrix w, float* a, int lda, float* c, int ldc, int m, bool accumulate, SimdWidth width)
    {
        _w = w;
        _a = a;
        _lda = lda;
        _c = c;
        _ldc = ldc;
        _m = m;
        _accumulate = accumulate;
        _width = width;
    }

    public void Execute(int part, int parts)
    {
        var w = _w!;
        int first = (int)((long)w.Panels * part / parts), last = (int)((long)w.Panels * (part + 1) / parts);
        int start = first * Int8PanelMatrix.Width, end = Math.Min(last * Int8PanelMatrix.Width, w.Rows);
        Int8MatVec.Run(w, _a, _lda, _c, _ldc, _m, start, end, _accumulate, _width);
    }
}
