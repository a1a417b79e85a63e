using System.Runtime.InteropServices;
using EdgeLstm.IO;

namespace EdgeLstm.Native;

internal static unsafe partial class Exports
{
    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_save_checkpoint")]
    internal static Status TrainerSaveCheckpoint(ulong trainer, byte* path)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<TrainerEntry>(trainer, HandleKind.Trainer);
            string file = PathOf(path);
            entry.Enter();
            try
            {
                CheckpointFile.Save(entry.Checkpoint(), file);
            }
            finally
            {
                entry.Exit();
            }

            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_trainer_save_checkpoint", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_save_checkpoint_memory")]
    internal static Status TrainerSaveCheckpointMemory(ulong trainer, byte* buffer, nuint size, nuint* needed)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<TrainerEntry>(trainer, HandleKind.Trainer);
            Args.NotNull(needed, "needed");
            entry.Enter();
            try
            {
                Args.CopyOut(CheckpointFile.ToBytes(entry.Checkpoint()), buffer, size, needed, terminate: false);
            }
            finally
            {
                entry.Exit();
            }

            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_trainer_save_checkpoint_memory", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_load_checkpoint")]
    internal static Status TrainerLoadCheckpoint(byte* path, ulong* model, ulong* trainer)
    {
        LastError.Clear();
        try
        {
            Outputs(model, trainer);
            string file = PathOf(path);
            HandleTable.ThrowIfShutDown();
            (*model, *trainer) = Resume(ReadFile(file), file);
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_trainer_load_checkpoint", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_load_checkpoint_memory")]
    internal static Status TrainerLoadCheckpointMemory(byte* data, nuint size, ulong* model, ulong* trainer)
    {
        LastError.Clear();
        try
        {
            Outputs(model, trainer);
            Args.NotNull(data, "data");
            if (size > int.MaxValue)
            {
                throw new NativeException(Status.InvalidArgument, $"size is {size} bytes; a checkpoint in memory may have at most 2^31 − 1");
            }

            HandleTable.ThrowIfShutDown();
            (*model, *trainer) = Resume(new ReadOnlySpan<byte>(data, (int)size).ToArray(), "(memory)");
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_trainer_load_checkpoint_memory", e);
        }
    }

    /// <summary>Both handle outputs must be there; they are 0 until the load succeeds (the header's create/load rule).</summary>
    private static void Outputs(ulong* model, ulong* trainer)
    {
        Args.NotNull(model, "model");
        Args.NotNull(trainer, "trainer");
        *model = 0;
        *trainer = 0;
    }

    /// <summary>A model handle and a trainer handle continuing the checkpoint in <paramref name="bytes"/>.</summary>
    private static (ulong Model, ulong Trainer) Resume(byte[] bytes, string source)
    {
        var checkpoint = CheckpointFile.Load(bytes, source);
        IReadOnlyDictionary<string, string> metadata;
        using (var reader = SafeTensorsReader.Open(bytes, source))
        {
            metadata = reader.Metadata;
        }

        var model = new ModelEntry(checkpoint.Model, metadata);
        var trainer = new TrainerEntry(model, checkpoint, Settings.Threads);
        ulong modelHandle = 0;
        try
        {
            modelHandle = HandleTable.Add(HandleKind.Model, model);
            return (modelHandle, HandleTable.Add(HandleKind.Trainer, trainer));
        }
        catch
        {
            if (modelHandle != 0)
            {
                HandleTable.Remove(modelHandle, HandleKind.Model);
            }

            trainer.Free();
            throw;
        }
    }

    /// <summary>
    /// A whole file, read once, so the checkpoint and its metadata come from the same bytes even if the file is
    /// replaced meanwhile. Only what has a length (a regular file) is read: a pipe is refused rather than read without end.
    /// </summary>
    private static byte[] ReadFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        if (!stream.CanSeek)
        {
            throw new IOException($"{path}: not a regular file (a pipe or a device cannot hold a checkpoint)");
        }

        long length = stream.Length;
        if (length > int.MaxValue)
        {
            throw new ModelFormatException(path, "file", $"expected at most 2^31 − 1 bytes, found {length}");
        }

        byte[] bytes = new byte[length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
