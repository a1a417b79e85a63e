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

    /// <summary>
    /// Checks that every label of a real step is a class, 0 to <paramref name="classes"/> − 1. A label the head never
    /// reads is not checked: one of a padded step (a per-step head's step at or past its sample's length) or of an empty
    /// slot (length 0). <paramref name="lengths"/> (checked before) is empty when every sample has all
    /// <paramref name="steps"/>; labels are [B×T] for a per-step head, [B] otherwise.
    /// </summary>
    public static void CheckLabels(ReadOnlySpan<int> labels, int classes, ReadOnlySpan<int> lengths, int steps, bool everyStep)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            bool read = lengths.IsEmpty || (everyStep ? i % steps < lengths[i / steps] : lengths[i] > 0);
            if (read && (uint)labels[i] >= (uint)classes)
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
