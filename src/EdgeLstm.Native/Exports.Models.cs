using System.Runtime.InteropServices;
using EdgeLstm.IO;
using EdgeLstm.Model;

namespace EdgeLstm.Native;

internal static unsafe partial class Exports
{
    [StructLayout(LayoutKind.Sequential)]
    internal struct Config
    {
        public int InputSize;
        public int HiddenSize;
        public int Layers;
        public int Classes;
        public int Steps;
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_create")]
    internal static Status ModelCreate(Config* config, ulong seed, ulong* output)
    {
        LastError.Clear();
        try
        {
            Args.NotNull(output, "out");
            *output = 0;
            Args.NotNull(config, "config");
            var c = *config;
            HandleTable.ThrowIfShutDown();
            var model = LstmModel.Create(new LstmConfig(c.InputSize, c.HiddenSize, c.Layers, c.Classes, c.Steps), seed);
            *output = HandleTable.Add(HandleKind.Model, new ModelEntry(model, NoMetadata));
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_create", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_load")]
    internal static Status ModelLoad(byte* path, ulong* output)
    {
        LastError.Clear();
        try
        {
            Args.NotNull(output, "out");
            *output = 0;
            Args.NotNull(path, "path");
            HandleTable.ThrowIfShutDown();
            var loaded = ModelFile.Load(PathOf(path));
            *output = HandleTable.Add(HandleKind.Model, new ModelEntry(loaded.Model, loaded.Metadata));
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_load", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_load_memory")]
    internal static Status ModelLoadMemory(byte* data, nuint size, ulong* output)
    {
        LastError.Clear();
        try
        {
            Args.NotNull(output, "out");
            *output = 0;
            Args.NotNull(data, "data");
            if (size > int.MaxValue)
            {
                throw new NativeException(Status.InvalidArgument, $"size is {size} bytes; a model in memory may have at most 2^31 − 1");
            }

            HandleTable.ThrowIfShutDown();
            byte[] copy = new ReadOnlySpan<byte>(data, (int)size).ToArray();
            var loaded = ModelFile.Load(copy, "(memory)");
            *output = HandleTable.Add(HandleKind.Model, new ModelEntry(loaded.Model, loaded.Metadata));
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_load_memory", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_save")]
    internal static Status ModelSave(ulong model, byte* path)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<ModelEntry>(model, HandleKind.Model);
            Args.NotNull(path, "path");
            string file = PathOf(path);
            entry.Read(m =>
            {
                ModelFile.Save(m, file);
                return true;
            });
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_save", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_save_memory")]
    internal static Status ModelSaveMemory(ulong model, byte* buffer, nuint size, nuint* needed)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<ModelEntry>(model, HandleKind.Model);
            Args.NotNull(needed, "needed");
            byte[] bytes = entry.Read(m => ModelFile.ToBytes(m));
            Args.CopyOut(bytes, buffer, size, needed, terminate: false);
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_save_memory", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_clone")]
    internal static Status ModelClone(ulong model, ulong* output)
    {
        LastError.Clear();
        try
        {
            Args.NotNull(output, "out");
            *output = 0;
            var entry = HandleTable.Get<ModelEntry>(model, HandleKind.Model);
            var copy = entry.Read(m => m.Clone());
            *output = HandleTable.Add(HandleKind.Model, new ModelEntry(copy, entry.Metadata) { Threads = entry.Threads });
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_clone", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_free")]
    internal static Status ModelFree(ulong model)
    {
        LastError.Clear();
        try
        {
            HandleTable.ThrowIfShutDown();
            if (model == 0)
            {
                return Status.Ok;
            }

            var entry = HandleTable.Get<ModelEntry>(model, HandleKind.Model);
            HandleTable.Remove(model, HandleKind.Model);
            entry.Free();
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_free", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_config")]
    internal static Status ModelConfig(ulong model, Config* output)
    {
        LastError.Clear();
        try
        {
            var config = HandleTable.Get<ModelEntry>(model, HandleKind.Model).Model.Config;
            Args.NotNull(output, "out");
            *output = new Config
            {
                InputSize = config.InputSize,
                HiddenSize = config.HiddenSize,
                Layers = config.Layers,
                Classes = config.Classes,
                Steps = config.Steps,
            };
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_config", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_parameter_count")]
    internal static Status ModelParameterCount(ulong model, long* count)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<ModelEntry>(model, HandleKind.Model);
            Args.NotNull(count, "count");
            *count = entry.Model.Parameters.Length;
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_parameter_count", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_set_threads")]
    internal static Status ModelSetThreads(ulong model, int threads)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<ModelEntry>(model, HandleKind.Model);
            entry.Threads = ThreadSetting(threads);
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_set_threads", e);
        }
    }

    /// <summary>The metadata of a model that did not come from a file.</summary>
    private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();

    private static string PathOf(byte* path)
    {
        Args.NotNull(path, "path");
        string text = Marshal.PtrToStringUTF8((nint)path)!;
        return text.Length > 0 ? text : throw new NativeException(Status.InvalidArgument, "path is empty");
    }
}
