namespace EdgeLstm.Engine;

/// <summary>Checks of the shapes callers pass, and the batch-major ↔ time-major reorder of inputs.</summary>
internal static unsafe class InputShape
{
    /// <summary>The number of steps T in an input of <paramref name="length"/> floats = B·T·I, or an exception that says why not.</summary>
    public static int StepsOf(int length, int batch, int inputSize)
    {
        if (batch <= 0)
        {
            throw new ArgumentException($"The batch must hold at least one sample; it holds {batch}.");
        }

        long perStep = (long)batch * inputSize;
        if (length == 0 || length % perStep != 0)
        {
            throw new ArgumentException($"The input holds {length} floats, which is not a whole number of steps of {batch} samples × {inputSize} inputs.");
        }

        return (int)(length / perStep);
    }

    public static void CheckLabels(ReadOnlySpan<int> labels, int classes)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
            {
                throw new ArgumentException($"Label {i} is {labels[i]}; labels must be 0 to {classes - 1}.");
            }
        }
    }

    /// <summary>[B×T×I] → [T×B×I].</summary>
    public static void ToTimeMajor(float* source, float* destination, int batch, int steps, int inputSize)
    {
        long bytes = (long)inputSize * sizeof(float);
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < steps; t++)
            {
                Buffer.MemoryCopy(source + (((long)b * steps) + t) * inputSize, destination + (((long)t * batch) + b) * inputSize, bytes, bytes);
            }
        }
    }

    /// <summary>[T×B×I] → [B×T×I].</summary>
    public static void ToBatchMajor(float* source, float* destination, int batch, int steps, int inputSize)
    {
        long bytes = (long)inputSize * sizeof(float);
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < steps; t++)
            {
                Buffer.MemoryCopy(source + (((long)t * batch) + b) * inputSize, destination + (((long)b * steps) + t) * inputSize, bytes, bytes);
            }
        }
    }
}
