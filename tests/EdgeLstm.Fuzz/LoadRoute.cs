namespace EdgeLstm.Fuzz;

/// <summary>How a case hands its bytes to the loader: as bytes in memory, as a stream that cannot seek, or as a file.</summary>
internal enum LoadRoute
{
    /// <summary>The loader's byte-array or memory overload (what the C ABI's <c>_memory</c> calls use).</summary>
    Bytes,

    /// <summary>A stream that cannot seek and returns short reads, as a pipe does.</summary>
    Stream,

    /// <summary>A file on disk, loaded by path (what the CLI does).</summary>
    File,
}
