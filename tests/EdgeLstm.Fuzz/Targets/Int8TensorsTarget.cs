using EdgeLstm.IO;
using EdgeLstm.Quantization;

namespace EdgeLstm.Fuzz.Targets;

/// <summary>
/// Int8 weights (<see cref="Int8Tensors.Read"/> over a reader that accepts F32 and I8): the safetensors mutations, plus
/// <see cref="Int8Mutations"/> (scales 0, negative, non-finite, tiny or of another shape; values of -128; I8 and F32 swapped).
/// </summary>
internal sealed class Int8TensorsTarget : FuzzTarget
{
    private static readonly string[] Weights = ["lstm.weight_hh_l0", "fc.weight"];

    public override string Name => "int8 weights";

    public override Type FormatException => typeof(ModelFormatException);

    public override IReadOnlyList<byte[]> Seeds { get; } = [Seed(3, 5, 1), Seed(8, 17, 2)];

    public override IReadOnlyList<(string Group, Func<byte[], Random, byte[]> Mutate)> Structured { get; } =
    [
        .. SafeTensorsMutations.All,
        .. Int8Mutations.For(Weights),
    ];

    public override void Load(byte[] input, LoadRoute route, string path)
    {
        const SafeTensorsDTypes accepted = SafeTensorsDTypes.F32 | SafeTensorsDTypes.I8;
        if (route == LoadRoute.File)
        {
            File.WriteAllBytes(path, input);
        }

        using var reader = route == LoadRoute.File ? SafeTensorsReader.Open(path, accepted) : SafeTensorsReader.Open(input, "fuzz", accepted);
        foreach (string name in Weights)
        {
            Int8Tensors.Read(reader, name);
        }

        var bias = reader.Find("fc.bias") ?? throw new ModelFormatException("fuzz", "tensor fc.bias", "expected it, found it missing");
        reader.ReadInto(bias, new float[checked((int)bias.ElementCount)]);
    }

    private static byte[] Seed(int rows, int cols, int seed)
    {
        var random = new Random(seed);
        var writer = new SafeTensorsWriter();
        writer.SetMetadata("quantization", "int8-symmetric-per-row");
        foreach (string name in Weights)
        {
            var w = new float[rows * cols];
            for (int i = 0; i < w.Length; i++)
            {
                w[i] = i / cols == 1 ? 0 : (float)(random.NextDouble() - 0.5);
            }

            Int8Tensors.Add(writer, name, Int8Quantizer.Quantize(w, rows, cols));
        }

        writer.Add("fc.bias", [rows], new float[rows]);
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
    }
}
