namespace EdgeLstm.Benchmarks;

/// <summary>A benchmark that knows how much arithmetic one operation does, so its time becomes GFLOP/s.</summary>
public interface IFlopCounted
{
    /// <summary>Threads the operation runs on (which peak it is compared with).</summary>
    int Threads { get; }

    /// <summary>Floating-point operations (a multiply-add counts 2) per benchmark operation, for the current parameters.</summary>
    double FlopsPerOperation { get; }
}
