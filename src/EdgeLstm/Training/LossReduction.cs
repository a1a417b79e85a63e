namespace EdgeLstm.Training;

/// <summary>How the cross-entropy of a batch is averaged.</summary>
public enum LossReduction
{
    /// <summary>
    /// The reference recipe's loss, −mean(y·log p) over the batch AND the classes: TF's <c>reduce_mean</c> of the
    /// element-wise product. It is the usual loss divided by the number of classes (10 for MNIST), so its gradients are
    /// ten times smaller; Adam, which divides by the running RMS of the gradient, is almost blind to that scale.
    /// </summary>
    MeanOverBatchAndClasses = 0,

    /// <summary>The usual cross-entropy: −Σ_c y·log p per sample, averaged over the batch (PyTorch's CrossEntropyLoss).</summary>
    MeanOverBatch = 1,
}
