namespace EdgeLstm.IO;

/// <summary>One tensor in a safetensors header: its name, dtype, shape and byte range in the data section.</summary>
/// <param name="Name">The key in the header, e.g. <c>lstm.weight_ih_l0</c>.</param>
/// <param name="DType">The element type, e.g. <c>F32</c>.</param>
/// <param name="Shape">Dimensions, row-major.</param>
/// <param name="Begin">First byte, relative to the start of the data section.</param>
/// <param name="End">One past the last byte.</param>
public sealed record SafeTensorsEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    /// <summary>Elements (the product of the shape).</summary>
    public long ElementCount => Shape.Aggregate(1L, (n, d) => n * d);

    /// <summary>The shape as text, e.g. <c>[1024, 28]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
