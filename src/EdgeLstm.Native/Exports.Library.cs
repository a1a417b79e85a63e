using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using EdgeLstm.Simd;

namespace EdgeLstm.Native;

/// <summary>
/// The functions of <c>include/edgelstm.h</c>. Each one checks what C passed, calls the EdgeLstm library, and turns
/// every exception into a status and a thread-local message: no exception crosses the boundary.
/// </summary>
internal static unsafe partial class Exports
{
    /// <summary>The header's <c>EDGELSTM_ABI_VERSION</c>.</summary>
    public const int AbiVersion = 1;

    [StructLayout(LayoutKind.Sequential)]
    internal struct VersionInfo
    {
        public int Major;
        public int Minor;
        public int Patch;
        public int Abi;
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_last_error")]
    internal static byte* LastErrorMessage() => LastError.Pointer;

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_version")]
    internal static Status Version(VersionInfo* output)
    {
        LastError.Clear();
        try
        {
            Args.NotNull(output, "out");
            HandleTable.ThrowIfShutDown();
            var version = LibraryVersion;
            *output = new VersionInfo { Major = version.Major, Minor = version.Minor, Patch = Math.Max(version.Build, 0), Abi = AbiVersion };
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_version", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_build_info")]
    internal static Status BuildInfo(byte* buffer, nuint size, nuint* needed)
    {
        LastError.Clear();
        try
        {
            HandleTable.ThrowIfShutDown();
            var v = LibraryVersion;
            string text = $"EdgeLstm {v.Major}.{v.Minor}.{Math.Max(v.Build, 0)} (C ABI {AbiVersion}); {RuntimeInformation.RuntimeIdentifier}; "
                + $"{RuntimeInformation.FrameworkDescription} {(RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "Native AOT")}; "
                + $"SIMD {(int)SimdSupport.Widest}-bit; {Environment.ProcessorCount} processors; {Settings.EffectiveThreads} threads";
            Args.CopyOut(Encoding.UTF8.GetBytes(text), buffer, size, needed, terminate: true);
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_build_info", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_set_threads")]
    internal static Status SetThreads(int threads)
    {
        LastError.Clear();
        try
        {
            HandleTable.ThrowIfShutDown();
            Settings.Threads = ThreadSetting(threads);
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_set_threads", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_get_threads")]
    internal static Status GetThreads(int* threads)
    {
        LastError.Clear();
        try
        {
            Args.NotNull(threads, "threads");
            HandleTable.ThrowIfShutDown();
            *threads = Settings.EffectiveThreads;
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_get_threads", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_live_handles")]
    internal static Status LiveHandles(long* models, long* sessions, long* trainers)
    {
        LastError.Clear();
        try
        {
            Args.NotNull(models, "models");
            Args.NotNull(sessions, "sessions");
            Args.NotNull(trainers, "trainers");
            HandleTable.ThrowIfShutDown();
            *models = HandleTable.Count(HandleKind.Model);
            *sessions = HandleTable.Count(HandleKind.Session);
            *trainers = HandleTable.Count(HandleKind.Trainer);
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_live_handles", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_status_name")]
    internal static byte* StatusName(int status) => StatusNames.Of(status);

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_shutdown")]
    internal static Status ShutDown()
    {
        LastError.Clear();
        try
        {
            foreach (object target in HandleTable.ShutDown())
            {
                switch (target)
                {
                    case ModelEntry model:
                        model.Free();
                        break;
                    case ExclusiveEntry exclusive:
                        // A call in flight on it finishes first; then its threads stop.
                        exclusive.EnterWhenFree();
                        exclusive.Free();
                        exclusive.Exit();
                        break;
                }
            }

            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_shutdown", e);
        }
    }

    /// <summary>A thread setting from C: 0 (one per processor) to 256.</summary>
    private static int ThreadSetting(int threads) => threads is >= 0 and <= 256
        ? threads
        : throw new NativeException(Status.InvalidArgument, $"threads must be 0 (one per processor) to 256; it is {threads}");

    private static Version LibraryVersion => typeof(Exports).Assembly.GetName().Version ?? new Version(0, 0, 0);
}
