using EdgeLstm.Kernels;
using EdgeLstm.Threading;

namespace EdgeLstm.Engine;

/// <summary>
/// The shape every per-step job of a recurrent layer has, forward or backward, LSTM or GRU: a recurrent product over
/// the batch rows, then the cell. With enough batch rows each thread takes whole rows and does both halves for them
/// without waiting for the others, so a step costs one parallel region, not two; with too few rows the product is
/// split by columns instead and the cell runs on the caller. A subclass says what its product is and what its cell does.
/// </summary>
internal abstract unsafe class StepJob : IParallelJob
{
    private MatMulJob _product;
    private Int8Product? _int8;

    public void Execute(int part, int parts)
    {
        var (start, end) = RowRange.Of(_product.M, part, parts);
        if (_product.A != null && _int8 is not null)
        {
            _int8.Rows(_product, start, end);
        }
        else if (_product.A != null)
        {
            MatMulJob.ComputeRange(_product.Form, _product.A, _product.Lda, _product.B, _product.Ldb, _product.C, _product.Ldc, start, end, 0, _product.N, _product.K, _product.Accumulate, _product.Width, _product.Descending);
        }

        Cell(start, end);
    }

    /// <summary>
    /// Runs a step: <paramref name="product"/> over the batch rows (its M), skipped when its A is null (a zero state, or
    /// the last step backward), then <see cref="Cell"/>.
    /// </summary>
    protected void Run(ComputeContext context, MatMulJob product)
    {
        product.Width = context.Width;
        _product = product;
        if (context.SplitsRows(product.M, product.Work))
        {
            context.Run(this);
        }
        else
        {
            if (product.A != null && _int8 is not null)
            {
                _int8.Run(context, product);
            }
            else if (product.A != null)
            {
                context.Product(product);
            }

            Cell(0, product.M);
        }
    }

    /// <summary>A forward step whose weights may be int8 (<paramref name="int8"/>; null: the product's fp32 B).</summary>
    protected void Run(ComputeContext context, MatMulJob product, Int8PanelMatrix? int8)
    {
        _int8 = int8 is null ? null : context.Int8Product.Prepare(context, int8, product.A, product.Lda, product.M);
        Run(context, product);
    }

    /// <summary>The product C (+)= h·Wᵀ of a forward step (W packed as <paramref name="weightT"/>) over <paramref name="batch"/> rows.</summary>
    protected static MatMulJob Forward(float* h, WeightMatrix weightT, float* c, int batch, bool accumulate, bool descending) => new()
    {
        Descending = descending,
        Form = weightT.Form,
        A = h,
        Lda = weightT.Rows,
        B = weightT.Data,
        Ldb = weightT.Ldb,
        C = c,
        Ldc = weightT.Columns,
        M = batch,
        N = weightT.Columns,
        K = weightT.Rows,
        Accumulate = accumulate,
    };

    /// <summary>The product dh += dG·W of a backward step (W row-major [G·H×H]) over <paramref name="batch"/> rows.</summary>
    protected static MatMulJob Backward(float* dGates, float* weight, float* dh, int batch, int hidden, int gates) => new()
    {
        Form = MatMulForm.AB,
        A = dGates,
        Lda = gates * hidden,
        B = weight,
        Ldb = hidden,
        C = dh,
        Ldc = hidden,
        M = batch,
        N = hidden,
        K = gates * hidden,
        Accumulate = true,
    };

    /// <summary>Rows [start, end) of the cell.</summary>
    protected abstract void Cell(int start, int end);
}
