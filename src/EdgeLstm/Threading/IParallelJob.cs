namespace EdgeLstm.Threading;

/// <summary>Work that a <see cref="WorkerPool"/> splits into a fixed number of parts, one per thread.</summary>
internal interface IParallelJob
{
    /// <summary>Does part <paramref name="part"/> of <paramref name="parts"/>. Parts must not depend on which thread runs them.</summary>
    void Execute(int part, int parts);
}
