namespace EdgeLstm.Fuzz;

/// <summary>
/// One reader of outside bytes under fuzzing: valid inputs to start from, mutations that know its format, and the load
/// through the same entry point the CLI and the C ABI use. A new reader joins the fuzz stage by adding one subclass to
/// <see cref="Targets.Targets.All"/>: the generic byte mutations come with it.
/// </summary>
internal abstract class FuzzTarget
{
    /// <summary>The target's name in the report, e.g. <c>model file</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The exception the loader documents for a bad input; any other is a defect.</summary>
    public abstract Type FormatException { get; }

    /// <summary>Valid inputs the mutations start from (each must load).</summary>
    public abstract IReadOnlyList<byte[]> Seeds { get; }

    /// <summary>
    /// Bytes a load may allocate for <paramref name="input"/>: a multiple of its size plus a constant. A loader that
    /// allocates by what a header claims, rather than by the bytes really there, passes it.
    /// </summary>
    public virtual long MemoryBound(byte[] input) => (16L << 20) + (64L * input.Length);

    /// <summary>The routes this target can load by (bytes always).</summary>
    public virtual IReadOnlyList<LoadRoute> Routes { get; } = [LoadRoute.Bytes, LoadRoute.File];

    /// <summary>Format-aware mutations, by group name: each makes one input from a seed and the case's generator.</summary>
    public virtual IReadOnlyList<(string Group, Func<byte[], Random, byte[]> Mutate)> Structured { get; } = [];

    /// <summary>Loads <paramref name="input"/> by <paramref name="route"/>; <paramref name="path"/> is a scratch file for the file route.</summary>
    public abstract void Load(byte[] input, LoadRoute route, string path);
}
