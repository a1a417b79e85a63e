using EdgeLstm.IO;

namespace EdgeLstm.Quantization;

/// <summary>
/// How an <see cref="Int8Matrix"/> is stored in safetensors: the values as an I8 tensor [rows, cols] under the weight's
/// own name, the scales as an F32 tensor [rows] under the name + <see cref="ScaleSuffix"/>
/// (<c>lstm.weight_hh_l0</c> and <c>lstm.weight_hh_l0.scale</c>).
/// </summary>
public static class Int8Tensors
{
    /// <summary>Appended to a weight's name to name its scales.</summary>
    public const string ScaleSuffix = ".scale";

    /// <summary>The name of the scales of the weight <paramref name="name"/>.</summary>
    public static string ScaleName(string name) => name + ScaleSuffix;

    /// <summary>Adds the two tensors of <paramref name="matrix"/> to <paramref name="writer"/>.</summary>
    public static void Add(SafeTensorsWriter writer, string name, Int8Matrix matrix)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(matrix);
        writer.Add(name, [matrix.Rows, matrix.Cols], matrix.ValueMemory);
        writer.Add(ScaleName(name), [matrix.Rows], matrix.ScaleMemory);
    }

    /// <summary>
    /// Reads the weight <paramref name="name"/> and its scales from a reader opened with I8 accepted. Anything wrong (a
    /// missing tensor, a wrong dtype or shape, a value of -128, a scale that is negative, not finite, of the wrong
    /// count, or 0 for a row that is not all zeros) is a <see cref="ModelFormatException"/> naming the tensor.
    /// </summary>
    public static Int8Matrix Read(SafeTensorsReader reader, string name)
    {
        ArgumentNullException.ThrowIfNull(reader);
        string scaleName = ScaleName(name);
        var entry = reader.Find(name) ?? throw Fail(reader, $"tensor {name}", "expected an I8 weight tensor, found it missing");
        var scaleEntry = reader.Find(scaleName) ?? throw Fail(reader, $"tensor {scaleName}", $"expected the F32 per-row scales of {name}, found them missing");
        if (entry.DType != "I8")
        {
            throw Fail(reader, $"tensor {name}: dtype", $"expected I8 (an int8 weight), found {entry.DType}");
        }

        if (scaleEntry.DType != "F32")
        {
            throw Fail(reader, $"tensor {scaleName}: dtype", $"expected F32 (scales), found {scaleEntry.DType}");
        }

        if (entry.Shape.Length != 2)
        {
            throw Fail(reader, $"tensor {name}: shape", $"expected [rows, cols], found {entry.ShapeText}");
        }

        // The reader has checked the bytes are really there, so these sizes are bounded by the file.
        int rows = checked((int)entry.Shape[0]), cols = checked((int)entry.Shape[1]);
        if (entry.ElementCount > Array.MaxLength)
        {
            throw Fail(reader, $"tensor {name}: shape", $"expected at most {Array.MaxLength} elements, found {entry.ShapeText}");
        }

        if (scaleEntry.Shape.Length != 1 || scaleEntry.Shape[0] != rows)
        {
            throw Fail(reader, $"tensor {scaleName}: shape", $"expected [{rows}] (one scale per row of {name}), found {scaleEntry.ShapeText}");
        }

        var values = new sbyte[entry.ElementCount];
        var scales = new float[rows];
        reader.ReadInto(entry, values);
        reader.ReadInto(scaleEntry, scales);
        if (Int8Matrix.FindFault(rows, cols, values, scales) is { } fault)
        {
            throw Fail(reader, $"tensor {(fault.Part == "scales" ? scaleName : name)}", fault.Problem);
        }

        return new Int8Matrix(rows, cols, values, scales);
    }

    private static ModelFormatException Fail(SafeTensorsReader reader, string field, string problem) => new(reader.Source, field, problem);
}
