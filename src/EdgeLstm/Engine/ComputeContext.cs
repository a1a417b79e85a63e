using EdgeLstm.Diagnostics;
using EdgeLstm.Kernels;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Engine;

/// <summary>
/// Where the engine computes: a worker pool (or the caller alone), a vector width, and the reusable jobs that split
/// work between the pool's threads. A trainer, a predictor and a stream may share one context, so a program holds one
/// set of spinning threads however many of them it drives; they must then be called one at a time (a pool runs one job
/// at a time).
/// </summary>
public sealed unsafe class ComputeContext : IDisposable
{
    private readonly WorkerPool? _pool;
    private readonly ParallelProduct _product = new();

    /// <summary>The rows of A of the product with int8 weights under way, quantised (see <see cref="MatMulJob.Quantize"/>).</summary>
    private readonly Int8ActivationBuffer _int8Rows = new();

    /// <summary>Creates a context with its own threads.</summary>
    /// <param name="threads">Threads in all, the caller's included; 0 or less means one per processor; 1 runs everything on the caller.</param>
    /// <param name="width">Vector width of the matrix kernels.</param>
    public ComputeContext(int threads = 0, SimdWidth width = SimdWidth.Auto)
    {
        Width = SimdSupport.Resolve(width);
        int resolved = threads <= 0 ? Environment.ProcessorCount : threads;
        _pool = resolved > 1 ? new WorkerPool(resolved) : null;
        Threads = resolved;
    }

    /// <summary>
    /// Below this many multiply-adds (about 10 µs of work) a product or a time step runs on the caller alone: splitting
    /// it saves at most a few microseconds, while a worker that the OS has descheduled (a busy or shared machine) costs
    /// a whole time slice. The tests lower it to 0 so that every parallel path runs on their small shapes too.
    /// </summary>
    internal static long ParallelThreshold { get; set; } = 512 * 1024;

    /// <summary>Threads that share the work, the caller's included.</summary>
    public int Threads { get; }

    /// <summary>The vector width of the matrix kernels.</summary>
    public SimdWidth Width { get; }

    /// <summary>The jobs of one LSTM time step, reused so a step allocates nothing.</summary>
    internal LstmStepForwardJob LstmStepForward { get; } = new();

    /// <summary>The jobs of one LSTM backward time step.</summary>
    internal LstmStepBackwardJob LstmStepBackward { get; } = new();

    /// <summary>The jobs of one GRU time step.</summary>
    internal GruStepForwardJob GruStepForward { get; } = new();

    /// <summary>The jobs of one GRU backward time step.</summary>
    internal GruStepBackwardJob GruStepBackward { get; } = new();

    /// <summary>The job of a forward step split by hidden units (small-batch inference).</summary>
    internal UnitSplitStepJob UnitSplitStep { get; } = new();

    /// <summary>Bytes the worker threads have allocated so far; for the allocation tests.</summary>
    internal long WorkerAllocatedBytes => _pool?.WorkerAllocatedBytes ?? 0;

    /// <summary>The time this context's products take, when the perf tool records it.</summary>
    internal ProductClock ProductClock { get; } = new();

    /// <summary>True when a job of <paramref name="rows"/> rows and <paramref name="work"/> multiply-adds is worth sharing by rows.</summary>
    internal bool SplitsRows(int rows, long work) => _pool is not null && BlockSplit.CanSplitRows(rows, Threads) && work >= ParallelThreshold;

    /// <summary>Runs every part of <paramref name="job"/> on the pool (or on the caller when there is no pool).</summary>
    internal void Run(IParallelJob job)
    {
        if (_pool is null)
        {
            job.Execute(0, 1);
        }
        else
        {
            _pool.Run(job);
        }
    }

    /// <summary>C (+)= op(A)·B on raw buffers, shared between the threads when it is large enough.</summary>
    internal void Product(MatMulForm form, float* a, int lda, float* b, int ldb, float* c, int ldc, int m, int n, int k, bool accumulate)
        => Product(new MatMulJob { Form = form, A = a, Lda = lda, B = b, Ldb = ldb, C = c, Ldc = ldc, M = m, N = n, K = k, Accumulate = accumulate });

    /// <summary>The product <paramref name="job"/> describes, at this context's width, shared when it is large enough.</summary>
    internal void Product(MatMulJob job)
    {
        Prepare(ref job);
        RunPrepared(job);
    }

    /// <summary>C (+)= A·<paramref name="weights"/> for a packed weight matrix, fp32 or int8.</summary>
    internal void Product(float* a, int lda, WeightMatrix weights, float* c, int m, bool accumulate)
        => Product(weights.Product(a, lda, c, weights.Columns, m, accumulate));

    /// <summary>
    /// Readies <paramref name="job"/> to run here, on the caller: this context's width and, for int8 weights, A's rows
    /// quantised into <paramref name="rows"/> (the context's own buffer when null; a job that runs two products at
    /// once brings a buffer for the second).
    /// </summary>
    internal void Prepare(ref MatMulJob job, Int8ActivationBuffer? rows = null)
    {
        job.Width = Width;
        job.Quantize(rows ?? _int8Rows);
    }

    /// <summary>A product readied by <see cref="Prepare"/>, on the caller or shared when it is large enough.</summary>
    internal void RunPrepared(in MatMulJob job)
    {
        if (job.M == 0 || job.N == 0 || job.K == 0)
        {
            return;
        }

        long clock = ProductClock.Begin();
        if (_pool is null || job.Work < ParallelThreshold)
        {
            job.Execute(0, 1);
        }
        else
        {
            _product.Job = job;
            _pool.Run(_product);
        }

        ProductClock.End(clock, job);
    }

    /// <summary>The span form of <see cref="Product(MatMulForm, float*, int, float*, int, float*, int, int, int, int, bool)"/>, checked; for tests.</summary>
    internal void Product(MatMulForm form, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        var job = MatMul.Describe(form, a, b, c, m, n, k, accumulate, Width);
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (k == 0 && !accumulate)
            {
                c[..(m * n)].Clear();
            }

            Product(form, pa, job.Lda, pb, job.Ldb, pc, job.Ldc, m, n, k, accumulate);
        }
    }

    /// <summary>Stops the worker threads.</summary>
    public void Dispose() => _pool?.Dispose();

    /// <summary>A product split between the pool's threads; the description is set before each run.</summary>
    private sealed class ParallelProduct : IParallelJob
    {
        public MatMulJob Job;

        public void Execute(int part, int parts) => Job.Execute(part, parts);
    }
}
