using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Engine;

/// <summary>
/// The shape every per-step job of a recurrent layer has, forward or backward, LSTM or GRU: a recurrent product, then
/// the cell. With enough batch rows each thread takes whole rows and does both halves for them without waiting for the
/// others, so a step costs one parallel region, not two; with too few rows the product is split by columns instead and
/// the cell runs on the caller.
/// </summary>
internal abstract class StepJob : IParallelJob
{
    /// <summary>The batch rows of the step being run.</summary>
    protected int Batch { get; private set; }

    /// <summary>The vector width of the step being run.</summary>
    protected SimdWidth Width { get; private set; }

    public void Execute(int part, int parts)
    {
        var (start, end) = RowRange.Of(Batch, part, parts);
        ProductRows(start, end);
        Cell(start, end);
    }

    /// <summary>Runs the step whose operands the caller has just set; <paramref name="work"/> is its product's multiply-adds.</summary>
    protected void Run(ComputeContext context, int batch, long work)
    {
        Batch = batch;
        Width = context.Width;
        if (context.SplitsRows(batch, work))
        {
            context.Run(this);
        }
        else
        {
            Product(context);
            Cell(0, batch);
        }
    }

    /// <summary>The whole recurrent product, shared by the context's threads as it sees fit.</summary>
    protected abstract void Product(ComputeContext context);

    /// <summary>Rows [start, end) of the recurrent product, on the calling thread.</summary>
    protected abstract void ProductRows(int start, int end);

    /// <summary>Rows [start, end) of the cell.</summary>
    protected abstract void Cell(int start, int end);
}
