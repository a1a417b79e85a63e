using EdgeLstm.Kernels;

namespace EdgeLstm.Threading;

/// <summary>
/// A fixed set of threads that run one <see cref="IParallelJob"/> at a time, each thread always the same part.
/// </summary>
/// <remarks>
/// A training iteration of the recipe has over a hundred short parallel regions (every time step of every layer,
/// forward and backward), each a few tens of microseconds long. Waking threads through the OS for each would cost as
/// much as the work, so workers spin for a while on a generation counter before they fall back to sleeping on an
/// event. Nothing is allocated per run. Runs are not re-entrant: one caller at a time.
/// </remarks>
public sealed class WorkerPool : IDisposable
{
    // About 50-100 µs of spinning: longer than the serial gaps inside an iteration, short enough that an idle pool
    // stops burning a core almost at once.
    private const int SpinIterations = 4000;

    private readonly Worker[] _workers;
    private IParallelJob? _job;
    private int _generation;
    private int _pending;
    private Exception? _error;
    private volatile bool _disposed;

    /// <summary>Creates a pool of <paramref name="threads"/> threads in all, the caller's included.</summary>
    /// <param name="threads">Threads in all (1 = run everything on the caller). 0 or less means one per processor.</param>
    public WorkerPool(int threads = 0)
    {
        Threads = threads <= 0 ? Environment.ProcessorCount : threads;
        _workers = new Worker[Threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Worker(this, i + 1);
        }
    }

    /// <summary>The number of threads that share each job, the caller's included.</summary>
    public int Threads { get; }

    /// <summary>A matrix-product job owned by this pool, reused so a product allocates nothing.</summary>
    internal MatMulJob MatMulJob { get; } = new();

    /// <summary>Runs every part of <paramref name="job"/>: part 0 on the caller, part k on worker k. Returns when all are done.</summary>
    internal void Run(IParallelJob job)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_workers.Length == 0)
        {
            job.Execute(0, 1);
            return;
        }

        _job = job;
        _error = null;
        Volatile.Write(ref _pending, _workers.Length);
        Interlocked.Increment(ref _generation);
        foreach (var worker in _workers)
        {
            worker.Wake();
        }

        try
        {
            job.Execute(0, Threads);
        }
        finally
        {
            var spin = default(SpinWait);
            while (Volatile.Read(ref _pending) != 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            _job = null;
        }

        if (_error is { } error)
        {
            throw new AggregateException("A worker thread failed.", error);
        }
    }

    /// <summary>
    /// Bytes allocated by the worker threads, as each last measured it after a job: lets a test prove that the hot path
    /// allocates nothing on any thread, not just the caller's.
    /// </summary>
    internal long WorkerAllocatedBytes
    {
        get
        {
            long sum = 0;
            foreach (var worker in _workers)
            {
                sum += Volatile.Read(ref worker.AllocatedBytes);
            }

            return sum;
        }
    }

    /// <summary>Stops the worker threads.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Interlocked.Increment(ref _generation);
        foreach (var worker in _workers)
        {
            worker.Wake();
            worker.Join();
        }
    }

    private sealed class Worker
    {
        private readonly WorkerPool _pool;
        private readonly int _part;
        private readonly ManualResetEventSlim _wake = new(false, 0);
        private readonly Thread _thread;

        // Written by the worker after each job, read by WorkerAllocatedBytes.
        internal long AllocatedBytes;

        public Worker(WorkerPool pool, int part)
        {
            _pool = pool;
            _part = part;
            _thread = new Thread(Loop) { IsBackground = true, Name = $"EdgeLstm worker {part}" };
            _thread.Start();
        }

        public void Wake() => _wake.Set();

        public void Join()
        {
            _thread.Join();
            _wake.Dispose();
        }

        private void Loop()
        {
            int seen = 0;
            while (true)
            {
                int target = seen + 1;
                while (Volatile.Read(ref _pool._generation) < target)
                {
                    for (int s = 0; s < SpinIterations && Volatile.Read(ref _pool._generation) < target; s++)
                    {
                        Thread.SpinWait(4);
                    }

                    if (Volatile.Read(ref _pool._generation) < target)
                    {
                        // The caller bumps the generation before it sets the event, and the generation is checked
                        // again after the reset, so a wake-up is never lost.
                        _wake.Wait();
                        _wake.Reset();
                    }
                }

                seen = target;
                if (_pool._disposed)
                {
                    return;
                }

                try
                {
                    _pool._job!.Execute(_part, _pool.Threads);
                }
                catch (Exception ex)
                {
                    Interlocked.CompareExchange(ref _pool._error, ex, null);
                }
                finally
                {
                    Volatile.Write(ref AllocatedBytes, GC.GetAllocatedBytesForCurrentThread());
                    Interlocked.Decrement(ref _pool._pending);
                }
            }
        }
    }
}
