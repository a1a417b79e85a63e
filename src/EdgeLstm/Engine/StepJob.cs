using EdgeLstm.Diagnostics;
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
    private ProductClock? _clock;

    public void Execute(int part, int parts)
    {
        var (start, end) = BlockSplit.Rows(_product.M, part, parts);
        StepTimeline.Mark(StepTimeline.Point.Start, part, 0);
        if (_product.A != null)
        {
            long clock = part == 0 ? _clock!.Begin() : 0;
            _product.Compute(start, end, 0, _product.N);
            _clock!.End(clock, _product);
        }

        StepTimeline.Mark(StepTimeline.Point.ProductDone, part, 0);
        Cell(start, end);
        StepTimeline.Mark(StepTimeline.Point.CellDone, part, 0);
    }

    /// <summary>
    /// Runs a step: <paramref name="product"/> over the batch rows (its M), skipped when its A is null (a zero state, or
    /// the last step backward), then <see cref="Cell"/>.
    /// </summary>
    protected void Run(ComputeContext context, MatMulJob product)
    {
        context.Prepare(ref product);
        _product = product;
        _clock = context.ProductClock;
        StepTimeline.Mark(StepTimeline.Point.RegionStart, 0, 0);
        if (context.SplitsRows(product.M, product.Work))
        {
            context.Run(this);
        }
        else
        {
            StepTimeline.Mark(StepTimeline.Point.Start, 0, 0);
            if (product.A != null)
            {
                context.RunPrepared(product);
            }

            StepTimeline.Mark(StepTimeline.Point.ProductDone, 0, 0);
            Cell(0, product.M);
            StepTimeline.Mark(StepTimeline.Point.CellDone, 0, 0);
        }

        StepTimeline.Mark(StepTimeline.Point.RegionEnd, 0, 0);
    }

    /// <summary>
    /// The product dh += dG·W_hh of a backward step over <paramref name="batch"/> rows, W_hh [G·H×H] as
    /// <see cref="BackwardRecurrentWeight"/> laid it out.
    /// </summary>
    protected static MatMulJob Backward(float* dGates, WeightMatrix recurrent, float* dh, int batch)
        => recurrent.Product(dGates, recurrent.Rows, dh, recurrent.Columns, batch, accumulate: true);

    /// <summary>Rows [start, end) of the cell.</summary>
    protected abstract void Cell(int start, int end);
}
