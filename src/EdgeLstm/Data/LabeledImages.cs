namespace EdgeLstm.Data;

/// <summary>Images with one class label each (a training or a test set).</summary>
public sealed class LabeledImages
{
    /// <summary>Pairs <paramref name="images"/> with <paramref name="labels"/>; the counts must match.</summary>
    public LabeledImages(ImageSet images, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.Count != labels.Length)
        {
            throw new ArgumentException($"{images.Count} images but {labels.Length} labels.", nameof(labels));
        }

        Images = images;
        Labels = labels;
    }

    /// <summary>The images.</summary>
    public ImageSet Images { get; }

    /// <summary>The class of each image.</summary>
    public int[] Labels { get; }

    /// <summary>Number of examples.</summary>
    public int Count => Labels.Length;

    /// <summary>
    /// Copies the examples at <paramref name="indices"/> into a batch: images batch-major into <paramref name="inputs"/>
    /// (indices.Length·ImageLength floats, the trainer's [B×T×I] layout, scaled to [0, 1] here from the stored bytes)
    /// and their classes into <paramref name="labels"/>. Allocates nothing.
    /// </summary>
    public void CopyBatch(ReadOnlySpan<int> indices, Span<float> inputs, Span<int> labels)
    {
        int length = Images.ImageLength;
        if (inputs.Length != indices.Length * length || labels.Length != indices.Length)
        {
            throw new ArgumentException($"A batch of {indices.Length} needs {indices.Length * length} input floats and {indices.Length} labels; got {inputs.Length} and {labels.Length}.");
        }

        for (int b = 0; b < indices.Length; b++)
        {
            Images.CopyImage(indices[b], inputs.Slice(b * length, length));
            labels[b] = Labels[indices[b]];
        }
    }

    /// <summary>Copies the contiguous examples [<paramref name="start"/>, start + labels.Length) into a batch.</summary>
    public void CopyRange(int start, Span<float> inputs, Span<int> labels)
    {
        int count = labels.Length;
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, Count - count);
        Images.CopyImages(start, count, inputs);
        Labels.AsSpan(start, count).CopyTo(labels);
    }
}
