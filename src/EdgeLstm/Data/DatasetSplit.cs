namespace EdgeLstm.Data;

/// <summary>The two halves of an MNIST-layout data set.</summary>
public enum DatasetSplit
{
    /// <summary><c>train-images-idx3-ubyte</c> and <c>train-labels-idx1-ubyte</c> (60,000 for MNIST).</summary>
    Train = 0,

    /// <summary><c>t10k-images-idx3-ubyte</c> and <c>t10k-labels-idx1-ubyte</c> (10,000 for MNIST).</summary>
    Test = 1,
}
