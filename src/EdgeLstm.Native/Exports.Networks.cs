using System.Runtime.InteropServices;
using EdgeLstm.Model;

namespace EdgeLstm.Native;

/// <summary>
/// Any network the engine runs, from C: <c>edgelstm_model_create_network</c> and the queries of a model's cells, head
/// and weight type.
/// </summary>
internal static unsafe partial class Exports
{
    /// <summary>The header's <c>edgelstm_network</c> as of ABI 1: 8 int32 fields, 32 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Network
    {
        public uint StructSize;
        public int InputSize;
        public int HiddenSize;
        public int Layers;
        public int Outputs;
        public int Steps;
        public int Cell;
        public int Head;
    }

    /// <summary>
    /// The most a caller's <c>struct_size</c> may say: a later header adds fields at the end, but never kilobytes of
    /// them, so a larger value is a caller's mistake (an uninitialised field), refused before anything is read.
    /// </summary>
    private const uint MaxNetworkStructSize = 4096;

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_create_network")]
    internal static Status ModelCreateNetwork(Network* network, ulong seed, ulong* output)
    {
        LastError.Clear();
        try
        {
            Args.NotNull(output, "out");
            *output = 0;
            Args.NotNull(network, "network");
            NetworkStructSize(network->StructSize, "network");

            // Bytes past the fields this library knows come from a newer header: an option it cannot honour must not be ignored.
            byte* tail = (byte*)network + sizeof(Network);
            for (uint i = 0; i < network->StructSize - (uint)sizeof(Network); i++)
            {
                if (tail[i] != 0)
                {
                    throw new NativeException(Status.Unsupported, $"network->struct_size is {network->StructSize} and byte {sizeof(Network) + i} is not 0: a field of a newer header this library (ABI {AbiVersion}, {sizeof(Network)}-byte edgelstm_network) does not know");
                }
            }

            var n = *network;
            var config = new LstmConfig(n.InputSize, n.HiddenSize, n.Layers, n.Outputs, n.Steps)
            {
                Cell = Enum.IsDefined((CellKind)n.Cell) ? (CellKind)n.Cell : throw new NativeException(Status.InvalidArgument, $"network->cell must be EDGELSTM_CELL_LSTM (0) or EDGELSTM_CELL_GRU (1); it is {n.Cell}"),
                Head = Enum.IsDefined((HeadKind)n.Head) ? (HeadKind)n.Head : throw new NativeException(Status.InvalidArgument, $"network->head must be 0 to 3 (an edgelstm_head); it is {n.Head}"),
            };
            HandleTable.ThrowIfShutDown();
            var model = LstmModel.Create(config, seed);
            *output = HandleTable.Add(HandleKind.Model, new ModelEntry(model, NoMetadata));
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_create_network", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_network")]
    internal static Status ModelNetwork(ulong model, Network* output)
    {
        LastError.Clear();
        try
        {
            var config = HandleTable.Get<ModelEntry>(model, HandleKind.Model).Model.Config;
            Args.NotNull(output, "out");
            uint size = output->StructSize;
            NetworkStructSize(size, "out");

            // A newer caller's fields past ours read as zero: their defaults.
            new Span<byte>((byte*)output + sizeof(Network), (int)(size - (uint)sizeof(Network))).Clear();
            *output = new Network
            {
                StructSize = size,
                InputSize = config.InputSize,
                HiddenSize = config.HiddenSize,
                Layers = config.Layers,
                Outputs = config.Classes,
                Steps = config.Steps,
                Cell = (int)config.Cell,
                Head = (int)config.Head,
            };
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_network", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_layer_cell")]
    internal static Status ModelLayerCell(ulong model, int layer, int* cell)
    {
        LastError.Clear();
        try
        {
            // Every layer has the network's cell (a model has one), so this is edgelstm_model_network's cell, read
            // from the same place; the call stays because it is in the ABI.
            var config = HandleTable.Get<ModelEntry>(model, HandleKind.Model).Model.Config;
            Args.NotNull(cell, "cell");
            Layer(layer, config.Layers);
            *cell = (int)config.Cell;
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_layer_cell", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_model_weight_type")]
    internal static Status ModelWeightType(ulong model, int* type)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<ModelEntry>(model, HandleKind.Model);
            Args.NotNull(type, "type");
            *type = entry.Model.Int8Weights is null ? 0 : 1;
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_model_weight_type", e);
        }
    }

    private static void NetworkStructSize(uint size, string name)
    {
        if (size < (uint)sizeof(Network) || size > MaxNetworkStructSize)
        {
            throw new NativeException(Status.InvalidArgument, $"{name}->struct_size must be sizeof(edgelstm_network) ({sizeof(Network)} in ABI {AbiVersion}, at most {MaxNetworkStructSize} in a later one); it is {size}");
        }
    }

    /// <summary>A layer index from C: 0 (the bottom) to layers − 1.</summary>
    private static void Layer(int layer, int layers)
    {
        if ((uint)layer >= (uint)layers)
        {
            throw new NativeException(Status.InvalidArgument, $"layer must be 0 to {layers - 1}; it is {layer}");
        }
    }
}
