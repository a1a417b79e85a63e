using System.Runtime.InteropServices;
using System.Text;
using EdgeLstm.Model;

namespace EdgeLstm.Native;

internal static unsafe partial class Exports
{
    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_metadata_count")]
    internal static Status ModelMetadataCount(ulong model, int* count)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<ModelEntry>(model, HandleKind.Model);
            Args.NotNull(count, "count");
            *count = entry.MetadataKeys.Length;
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_metadata_count", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_metadata_key")]
    internal static Status ModelMetadataKey(ulong model, int index, byte* buffer, nuint size, nuint* needed)
    {
        LastError.Clear();
        try
        {
            var keys = HandleTable.Get<ModelEntry>(model, HandleKind.Model).MetadataKeys;
            Args.NotNull(needed, "needed");
            Index(index, keys.Length, "metadata entries");
            Args.CopyOut(Encoding.UTF8.GetBytes(keys[index]), buffer, size, needed, terminate: true);
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_metadata_key", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_metadata_value")]
    internal static Status ModelMetadataValue(ulong model, byte* key, byte* buffer, nuint size, nuint* needed)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<ModelEntry>(model, HandleKind.Model);
            Args.NotNull(key, "key");
            Args.NotNull(needed, "needed");
            string name = Marshal.PtrToStringUTF8((nint)key)!;
            if (!entry.Metadata.TryGetValue(name, out string? value))
            {
                throw new NativeException(Status.InvalidArgument, $"the model has no metadata entry \"{name}\" (edgelstm_model_metadata_key lists them)");
            }

            Args.CopyOut(Encoding.UTF8.GetBytes(value), buffer, size, needed, terminate: true);
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_metadata_value", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_tensor_count")]
    internal static Status ModelTensorCount(ulong model, int* count)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<ModelEntry>(model, HandleKind.Model);
            Args.NotNull(count, "count");
            *count = entry.Model.Tensors.Count;
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_tensor_count", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_tensor_find")]
    internal static Status ModelTensorFind(ulong model, byte* name, int* index)
    {
        LastError.Clear();
        try
        {
            var tensors = HandleTable.Get<ModelEntry>(model, HandleKind.Model).Model.Tensors;
            Args.NotNull(name, "name");
            Args.NotNull(index, "index");
            string text = Marshal.PtrToStringUTF8((nint)name)!;
            for (int i = 0; i < tensors.Count; i++)
            {
                if (tensors[i].Name == text)
                {
                    *index = i;
                    return Status.Ok;
                }
            }

            throw new NativeException(Status.InvalidArgument, $"the model has no tensor \"{text}\" (edgelstm_model_tensor_name lists them)");
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_tensor_find", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_tensor_name")]
    internal static Status ModelTensorName(ulong model, int index, byte* buffer, nuint size, nuint* needed)
    {
        LastError.Clear();
        try
        {
            var tensor = Tensor(model, index, needed);
            Args.CopyOut(Encoding.UTF8.GetBytes(tensor.Name), buffer, size, needed, terminate: true);
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_tensor_name", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_tensor_shape")]
    internal static Status ModelTensorShape(ulong model, int index, long* dims, nuint size, nuint* rank)
    {
        LastError.Clear();
        try
        {
            var tensor = Tensor(model, index, rank);
            Args.CopyOut(Array.ConvertAll(tensor.Shape, d => (long)d), dims, size, rank);
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_tensor_shape", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_tensor_read")]
    internal static Status ModelTensorRead(ulong model, int index, float* buffer, nuint size, nuint* needed)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<ModelEntry>(model, HandleKind.Model);
            var tensor = Tensor(model, index, needed);
            entry.Weights.EnterRead();
            try
            {
                Args.CopyOut(entry.Model.TensorData(tensor), buffer, size, needed);
            }
            finally
            {
                entry.Weights.ExitRead();
            }

            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_tensor_read", e);
        }
    }

    private static ParameterTensor Tensor(ulong model, int index, nuint* needed)
    {
        var tensors = HandleTable.Get<ModelEntry>(model, HandleKind.Model).Model.Tensors;
        Args.NotNull(needed, "needed");
        Index(index, tensors.Count, "tensors");
        return tensors[index];
    }

    private static void Index(int index, int count, string what)
    {
        if ((uint)index >= (uint)count)
        {
            throw new NativeException(Status.InvalidArgument, $"index must be 0 to {count - 1} (the model has {count} {what}); it is {index}");
        }
    }
}
