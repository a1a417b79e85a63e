using Microsoft.ML.OnnxRuntime;

namespace EdgeLstm.Benchmarks.Onnx;

/// <summary>How every ONNX Runtime session of the suite is made, and whether ONNX Runtime can run here at all.</summary>
internal static class OnnxSessions
{
    /// <summary>
    /// A CPU session with every graph optimisation, <paramref name="threads"/> intra-op threads (the calling thread
    /// counts as one, like EdgeLstm's pool) and sequential execution of nodes.
    /// </summary>
    public static InferenceSession Create(byte[] model, int threads)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        return new InferenceSession(model, options);
    }

    /// <summary>
    /// Null where ONNX Runtime loads and runs here, else why not (e.g. no native library for this platform): the
    /// suite prints it and goes on without the comparison.
    /// </summary>
    public static string? WhyUnavailable()
    {
        try
        {
            using var options = new SessionOptions();
            return OrtEnv.Instance().GetVersionString() is { Length: > 0 } ? null : "ONNX Runtime reports no version";
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException or OnnxRuntimeException)
        {
            return $"{e.GetType().Name}: {e.InnerException?.Message ?? e.Message}";
        }
    }

    public static string Version => OrtEnv.Instance().GetVersionString();
}
