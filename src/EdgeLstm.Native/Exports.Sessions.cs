using System.Runtime.InteropServices;
using EdgeLstm.Inference;

namespace EdgeLstm.Native;

internal static unsafe partial class Exports
{
    private const string StateShape = "batch {0} × hidden_size {1}";

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_session_create")]
    internal static Status SessionCreate(ulong model, int batch, ulong* output)
    {
        LastError.Clear();
        try
        {
            Args.NotNull(output, "out");
            *output = 0;
            var entry = HandleTable.Get<ModelEntry>(model, HandleKind.Model);
            var config = entry.Model.Config;
            Args.Positive(batch, "batch");

            // The session's buffers are batch × (4·hidden, inputs, classes) floats: each must fit one array.
            Args.Count(batch, 4 * config.HiddenSize);
            Args.Count(batch, config.InputSize);
            Args.Count(batch, config.Classes);
            var stream = new LstmStream(entry.Model, batch, threads: 1);
            *output = HandleTable.Add(HandleKind.Session, new SessionEntry(entry, stream));
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_session_create", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_session_reset")]
    internal static Status SessionReset(ulong session)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<SessionEntry>(session, HandleKind.Session);
            entry.Enter();
            try
            {
                entry.Stream.Reset();
            }
            finally
            {
                entry.Exit();
            }

            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_session_reset", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_session_reset_stream")]
    internal static Status SessionResetStream(ulong session, int stream)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<SessionEntry>(session, HandleKind.Session);
            entry.Enter();
            try
            {
                if ((uint)stream >= (uint)entry.Stream.BatchSize)
                {
                    throw new NativeException(Status.InvalidArgument, $"stream must be 0 to {entry.Stream.BatchSize - 1} (the session's batch); it is {stream}");
                }

                entry.ResetStream(stream);
            }
            finally
            {
                entry.Exit();
            }

            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_session_reset_stream", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_session_step")]
    internal static Status SessionStep(ulong session, float* x, nuint xLength, float* topH, nuint topHLength, float* probabilities, nuint probabilitiesLength)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<SessionEntry>(session, HandleKind.Session);
            entry.Enter();
            try
            {
                var config = entry.Model.Model.Config;
                int batch = entry.Stream.BatchSize;
                var input = Args.Exact(x, xLength, batch * config.InputSize, "x", "batch {0} × input_size {1}", batch, config.InputSize);
                var h = Args.Optional(topH, topHLength, batch * config.HiddenSize, "top_h", StateShape, batch, config.HiddenSize);
                var p = Args.Optional(probabilities, probabilitiesLength, batch * config.Classes, "probabilities", "batch {0} × classes {1}", batch, config.Classes);
                entry.Model.Weights.EnterRead();
                try
                {
                    entry.Stream.Step(input, h, p);
                }
                finally
                {
                    entry.Model.Weights.ExitRead();
                }
            }
            finally
            {
                entry.Exit();
            }

            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_session_step", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_session_get_state")]
    internal static Status SessionGetState(ulong session, int layer, float* c, nuint cLength, float* h, nuint hLength)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<SessionEntry>(session, HandleKind.Session);
            entry.Enter();
            try
            {
                State(entry, layer, c, cLength, h, hLength, out var cs, out var hs);
                entry.GetState(layer, cs, hs);
            }
            finally
            {
                entry.Exit();
            }

            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_session_get_state", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_session_set_state")]
    internal static Status SessionSetState(ulong session, int layer, float* c, nuint cLength, float* h, nuint hLength)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<SessionEntry>(session, HandleKind.Session);
            entry.Enter();
            try
            {
                State(entry, layer, c, cLength, h, hLength, out var cs, out var hs);
                entry.SetState(layer, cs, hs);
            }
            finally
            {
                entry.Exit();
            }

            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_session_set_state", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_session_free")]
    internal static Status SessionFree(ulong session)
    {
        LastError.Clear();
        try
        {
            HandleTable.ThrowIfShutDown();
            if (session == 0)
            {
                return Status.Ok;
            }

            var entry = HandleTable.Get<SessionEntry>(session, HandleKind.Session);
            entry.Enter();
            try
            {
                HandleTable.Remove(session, HandleKind.Session);
                entry.Free();
            }
            finally
            {
                entry.Exit();
            }

            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_session_free", e);
        }
    }

    /// <summary>
    /// The state arrays of one layer: c and h [batch × hidden] for an LSTM layer; for a GRU layer, which has no cell
    /// state, h alone (c as <see cref="Args.CellState"/> says: NULL with length 0, an empty span).
    /// </summary>
    private static void State(SessionEntry entry, int layer, float* c, nuint cLength, float* h, nuint hLength, out Span<float> cs, out Span<float> hs)
    {
        var config = entry.Model.Model.Config;
        Layer(layer, config.Layers);
        int batch = entry.Stream.BatchSize;
        int length = batch * config.HiddenSize;
        cs = Args.CellState(config.Cell, c, cLength, length, optional: false, "c", StateShape, batch, config.HiddenSize);
        hs = Args.Exact(h, hLength, length, "h", StateShape, batch, config.HiddenSize);
    }
}
