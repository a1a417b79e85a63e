namespace EdgeLstm.Threading;

/// <summary>
/// A fixed set of threads that run one <see cref="IParallelJob"/> at a time, each thread always the same part.
/// </summary>
/// <remarks>
/// A training iteration of the recipe has over a hundred short parallel regions (every time step of every layer,
/// forward and backward), each a few tens of microseconds long. Waking threads through the OS for each would cost as
/// much as the work, so workers spin for a while on a generation counter before they fall back to sleeping on an
/// event. Parts are claimed through an atomic counter by whichever thread is free, the caller included, so a worker
/// that the OS has descheduled costs nothing: the caller runs its part. Which thread runs a part never changes what the
/// part computes, so results stay deterministic. Nothing is allocated per run. Runs are not re-entrant.
/// </remarks>
public sealed class WorkerPool : IDisposable
{
    // About 50-100 µs of spinning: longer than the serial gaps inside an iteration, short enough that an idle pool
    // stops burning a core almost at once.
    private const int SpinIterations = 4000;

    private readonly Worker[] _workers;
    private IParallelJob? _job;
    private int _generation;
    private int _nextPart;
    private int _donePart;
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

    /// <summary>Runs every part of <paramref name="job"/> (as many parts as threads) and returns when all are done.</summary>
    internal void Run(IParallelJob job)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_workers.Length == 0)
        {
            job.Execute(0, 1);
            return;
        }

        // Publish the job before the claim counter: a thread that claims a part of this run then sees this job.
        _job = job;
        _error = null;
        Volatile.Write(ref _donePart, 0);
        Volatile.Write(ref _nextPart, 0);
        Interlocked.Increment(ref _generation);
        foreach (var worker in _workers)
        {
            worker.Wake();
        }

        RunClaimedParts();
        var spin = default(SpinWait);
        while (Volatile.Read(ref _donePart) < Threads)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        _job = null;
        if (_error is { } error)
        {
            throw new AggregateException("A part of a parallel job failed.", error);
        }
    }

    /// <summary>
    /// Claims and runs parts until none is left. The job is read only after a claim succeeds: the caller publishes the
    /// job before it resets the counter and waits for every claimed part before the next run, so a claimed part always
    /// belongs to the job that is read, even for a worker that woke up late.
    /// </summary>
    private void RunClaimedParts()
    {
        int parts = Threads;
        while (true)
        {
            int part = Interlocked.Increment(ref _nextPart) - 1;
            if (part >= parts)
            {
                return;
            }

            try
            {
                Volatile.Read(ref _job)!.Execute(part, parts);
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref _error, ex, null);
            }
            finally
            {
                Interlocked.Increment(ref _donePart);
            }
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
        private readonly ManualResetEventSlim _wake = new(false, 0);
        private readonly Thread _thread;

        // Written by the worker after each job, read by WorkerAllocatedBytes.
        internal long AllocatedBytes;

        public Worker(WorkerPool pool, int part)
        {
            _pool = pool;

            // ManualResetEventSlim creates its lock object (24 bytes) on the first Wait that blocks. Left to the worker,
            // that allocation lands on it the first time it falls asleep, which on a busy machine can be long after
            // warm-up, in the middle of the hot path. One short blocking wait here makes it now, on the creating thread.
            _wake.Wait(1);
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

                seen = Volatile.Read(ref _pool._generation);
                if (_pool._disposed)
                {
                    return;
                }

                // A late worker may find every part claimed (the caller ran them), or the next run's parts: both fine.
                _pool.RunClaimedParts();

                Volatile.Write(ref AllocatedBytes, GC.GetAllocatedBytesForCurrentThread());
            }
        }
    }
}
