namespace EdgeLstm.Native;

/// <summary>
/// A reader-writer lock that serves callers in the order they arrive: readers (inference) share it, a writer (a
/// training batch) has it alone, and nobody overtakes an earlier caller. A predict that arrives while a trainer trains
/// back to back therefore waits for the batch in flight only, and the trainer's next batch waits for that predict.
/// </summary>
/// <remarks>
/// <see cref="ReaderWriterLockSlim"/> is not fair: a writer that comes straight back takes the lock again before a
/// waiting reader wakes, and one predict waited out 20 to 80 batches (issue 10, item 8b). Here each caller takes a
/// ticket; the holder of the next ticket enters when no writer is inside (a reader) or when nobody is inside (a
/// writer), so consecutive readers still run together. No recursion: a thread must not enter twice.
/// </remarks>
internal sealed class FairReaderWriterLock
{
    private readonly object _gate = new();
    private long _nextTicket;
    private long _serving;
    private int _readers;
    private bool _writer;
    private int _waiting;

    /// <summary>Enters as a reader, after every caller that arrived earlier.</summary>
    public void EnterRead()
    {
        lock (_gate)
        {
            long ticket = _nextTicket++;
            while (ticket != _serving || _writer)
            {
                Wait();
            }

            _readers++;
            _serving++;
            if (_waiting > 0)
            {
                // The next ticket may be another reader, which can come in alongside.
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Leaves after <see cref="EnterRead"/>.</summary>
    public void ExitRead()
    {
        lock (_gate)
        {
            if (--_readers == 0 && _waiting > 0)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Enters alone, after every caller that arrived earlier has left.</summary>
    public void EnterWrite()
    {
        lock (_gate)
        {
            long ticket = _nextTicket++;
            while (ticket != _serving || _writer || _readers > 0)
            {
                Wait();
            }

            _writer = true;
            _serving++;
        }
    }

    /// <summary>Leaves after <see cref="EnterWrite"/>.</summary>
    public void ExitWrite()
    {
        lock (_gate)
        {
            _writer = false;
            if (_waiting > 0)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    private void Wait()
    {
        _waiting++;
        try
        {
            Monitor.Wait(_gate);
        }
        finally
        {
            _waiting--;
        }
    }
}
